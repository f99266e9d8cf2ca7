"""The embedded worker queue (Huey on a SQLite file) keeps the database's durability: WAL, synchronous=NORMAL."""
from orderloop.core.queue import SqliteHuey


def test_the_sqlite_queue_is_wal_with_synchronous_normal(tmp_path):
    huey = SqliteHuey("orderloop-queue-test", filename=str(tmp_path / "queue.sqlite3"))
    conn = huey.storage.conn
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert conn.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL; FULL is 2, OFF is 0

    @huey.task()
    def add(a, b):
        return a + b

    add(1, 2)
    assert huey.pending_count() == 1
    task = huey.dequeue()
    assert huey.execute(task) == 3
