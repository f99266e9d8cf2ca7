"""Scale-out: two web processes and two workers on one PostgreSQL database and one Redis queue (bench/scaleout.py),
at reduced size, and the worker's automatic close when two workers run it at once.

The benchmark test runs the script as a subprocess. It manages its own PostgreSQL database (created, migrated,
dropped) and an empty Redis db, so it does not depend on the suite's database: it runs in the SQLite pass of CI
only (``DATABASE_URL`` unset) and is skipped in the PostgreSQL pass, which would repeat the same run. Without
PostgreSQL on 127.0.0.1:5432 (or ORDERLOOP_TEST_POSTGRES) and Redis on 127.0.0.1:6379 it is skipped, with the
reason; in CI (``CI`` set) it fails instead. The full size (1,000 orders) is run by hand: see
bench/results/scaleout.md.
"""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from orderloop.orders.models import SalesOrder
from orderloop.orders.services import orders_close_completed
from tests.support.ci import IN_CI
from tests.support.orders import act

ROOT = Path(__file__).resolve().parents[2]
ORDERS = 150  # about a minute of driving on 2 cores, with setup and checks well within 90 s
POSTGRES = os.environ.get("ORDERLOOP_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = "redis://127.0.0.1:6379"


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
def test_two_web_processes_and_two_workers_take_orders_to_closed_without_gaps_or_doubles(tmp_path):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the scale-out run manages its own PostgreSQL database: it runs once, in the SQLite pass")
    missing = [name for name, url, port in [("PostgreSQL", POSTGRES, 5432), ("Redis", REDIS, 6379)] if not reachable(url, port)]
    if missing:
        reason = f"{' and '.join(missing)} not reachable ({POSTGRES}, {REDIS}); the scale-out run needs both"
        if IN_CI:
            pytest.fail(f"{reason} — CI must run it")
        pytest.skip(reason)

    results = tmp_path / "scaleout.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "HUEY_", "ORDERLOOP_"))}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scaleout.py"), "--orders", str(ORDERS), "--system-close-every", "0",
         "--postgres", POSTGRES, "--redis", REDIS, "--results", str(results)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "RESULT: PASS" in done.stdout, output[-6000:]
    summary = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("SUMMARY_JSON "))[13:])
    assert summary["ok"] and summary["failed_checks"] == []
    assert summary["orders"] == ORDERS and summary["numbers"] == ORDERS
    assert summary["5xx"] == 0
    # intake, read, 12 actions (the director's approval among them), the receipt upload, and finance reading the plan
    # and recording the deposit, then the balance (4)
    assert summary["requests"] == 18 * ORDERS
    assert summary["emails_sent"] == summary["emails_received"] >= ORDERS
    report = results.read_text()
    assert "Result: **PASS**" in report and f"| Orders (intake → closed) | {ORDERS} |" in report
    print(f"scale-out run: {ORDERS} orders in {summary['elapsed_s']:.1f} s ({summary['orders_per_s']:.2f}/s), "
          f"{elapsed:.0f} s in all")


def test_the_automatic_close_skips_an_order_closed_meanwhile(orders, users, monkeypatch):
    """Every worker schedules the periodic tasks, so two run ``close_completed_orders`` at the same moment (and a
    sales manager may close by hand): an order closed since the list was read is skipped, the others still closed."""
    visited = []
    for _ in range(2):
        order = orders.at("delivered", paid=True)
        visited.append(act(order, "follow_up", users["account_manager"], channel="phone", usage="运行正常", satisfaction=5))
    first, second = visited

    from orderloop.orders import services

    real = services.perform_action

    def the_other_worker_was_first(*, order_id, **kwargs):
        if order_id == first.pk:
            real(order_id=order_id, action_name="close", actor=users["sales_manager"], data={"note": ""})
        return real(order_id=order_id, **kwargs)

    monkeypatch.setattr(services, "perform_action", the_other_worker_was_first)
    assert orders_close_completed() == [second.ref]
    assert set(SalesOrder.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"closed"}
    assert SalesOrder.objects.get(pk=first.pk).events.filter(type="closed").count() == 1
