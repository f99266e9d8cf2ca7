"""Two transactions at once on PostgreSQL: the first keeps what it locked until the second is seen waiting for it."""
import threading
import time

from django.db import connections


def waiting_on_a_lock() -> bool:
    """Whether another connection to this database waits for a lock."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0


def hold_until_another_waits(second_started: threading.Event, seconds: float = 30) -> None:
    """Called inside the first transaction: returns once the second one has started and waits for a lock (or after
    ``seconds`` each)."""
    second_started.wait(seconds)
    deadline = time.monotonic() + seconds
    while not waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.01)
