"""The worker on a real queue: Huey on Redis, as in production (HUEY_URL=redis://…)."""
import os
import socket
import subprocess
import sys

import pytest

from tests.support.ci import IN_CI

REDIS = ("127.0.0.1", 6379)


def redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
def test_a_worker_on_redis_runs_the_tasks(tmp_path):
    if not redis_up():
        if IN_CI:
            pytest.fail("Redis must run on 127.0.0.1:6379 in CI")
        pytest.skip("Redis is not running on 127.0.0.1:6379; the production queue cannot be tried here")
    import redis

    redis.Redis(*REDIS, db=15).flushdb()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"ORDERLOOP_VAR_DIR": str(tmp_path), "HUEY_URL": "redis://127.0.0.1:6379/15",
                "DJANGO_SETTINGS_MODULE": "orderloop.config.settings"})
    orderloop = [sys.executable, "-m", "orderloop.cli"]
    subprocess.run([*orderloop, "migrate", "-v0"], env=env, check=True, timeout=120)
    worker = subprocess.Popen([*orderloop, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        script = ("from orderloop.notifications.tasks import deliver_outbox\n"
                  "print('RESULT', deliver_outbox().get(blocking=True, timeout=60))")
        done = subprocess.run([*orderloop, "shell", "-c", script], env=env, capture_output=True, text=True, timeout=120)
        assert "RESULT 0" in done.stdout, done.stdout + done.stderr
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode()
    assert "orderloop.notifications.tasks.deliver_outbox" in output
