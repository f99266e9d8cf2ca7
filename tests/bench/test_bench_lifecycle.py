"""``bench/lifecycle.py`` at reduced size: its warmed workers (orderloop, and the floor replaying orderloop's traced
statements through the bare driver) answer one alternating round each, every lifecycle ends as a user would see it
— each order closed, each order-to-cash order with its payment plan settled — and the floor's replayed orders
end the same way, so the floor writes what orderloop writes.

The run is a subprocess on its own SQLite file (no network, no time asserted). It runs in the SQLite pass only
(``DATABASE_URL`` unset): the PostgreSQL pass would repeat the same run. Tryton is left out (``--no-tryton``): its
venv comes from PyPI; the full comparison is run by hand: see bench/results/lifecycle.md."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_one_round_of_the_interleaved_bench_completes_every_lifecycle_and_settles_the_orders(tmp_path):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the lifecycle bench manages its own database: it runs once, in the SQLite pass")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "HUEY_", "ORDERLOOP_"))}
    env["LC_BENCH_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "lifecycle.py"), "--engine", "sqlite", "--no-tryton",
                           "--rounds", "1", "--chunk-seconds", "0", "--warmup", "1", "--trace-orders", "1",
                           "--profile-orders", "1", "--no-write"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    section, result = done.stdout.rsplit("\n", 2)[0], json.loads(done.stdout.strip().splitlines()[-1])

    assert set(result["pooled"]) == {"orderloop sale", "orderloop order-to-cash", "floor sale, every statement",
                                     "floor sale, writes only", "floor order-to-cash, every statement",
                                     "floor order-to-cash, writes only"}
    assert all(p["lifecycles"] >= 1 for p in result["pooled"].values())
    sale, o2c = result["check"]["sale"], result["check"]["o2c"]
    # orderloop's (warm-up, traced, profiled, measured) and the floor's replayed orders alike
    assert sale["orders"] > 1 and sale["closed"] == sale["orders"] and sale["with_a_plan"] == 0
    assert o2c["orders"] > 1 and o2c["closed"] == o2c["orders"] == o2c["with_a_plan"]
    assert o2c["open_instalments"] == 0
    assert "| orderloop's time ÷ the floor's, order-to-cash, every statement |" in section
    assert "| ORM: building and compiling queries |" in section
