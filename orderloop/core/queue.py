"""The worker queue on its own SQLite file (the embedded default; production uses Redis), with the durability
the main database has: WAL and synchronous=NORMAL (settings.DATABASES). Huey's SqliteStorage opens WAL but
leaves SQLite's synchronous=FULL, an fsync per enqueue (about 2 ms, twice per order lifecycle), and its only
switch (``fsync=False``) turns syncing off altogether. With NORMAL, as for the database, a power cut may lose the
last enqueued tasks but never corrupts the file; a lost delivery task is what the minutely sweep
(notifications.tasks.sweep_outbox) is there for, since the notifications themselves are in the database."""
from huey import Huey
from huey.storage import SqliteStorage


class NormalSyncSqliteStorage(SqliteStorage):
    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class SqliteHuey(Huey):
    storage_class = NormalSyncSqliteStorage
