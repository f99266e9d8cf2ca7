"""Data made once for several tests: in a transaction of its own, rolled back when the last of them has run. Each
test's own transaction (pytest-django's ``db``) nests in it as a savepoint, so what a test changes is undone before
the next one starts, and every test sees the data as it was made."""
import contextlib

from django.db import transaction


@contextlib.contextmanager
def kept_for_the_scope(django_db_blocker):
    """Open the transaction; what is made inside the ``with`` (under ``django_db_blocker.unblock()``) stays for the
    fixture's scope, and is rolled back at its end."""
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
