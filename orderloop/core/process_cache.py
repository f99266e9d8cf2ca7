"""A value read from the database and kept per process: the business calendar's entries and the notification
routes, read on nearly every action and changed by an admin now and then."""
from time import monotonic
from typing import Callable

from django.db import connection, transaction


class ProcessCache:
    """``load()``'s result, kept for ``ttl`` seconds: the bound on how late another process sees a change.

    A change made in this process (``changed``, from the model's save and delete signals) empties it: the changing
    transaction reads the table on every ``get`` until it commits (it must see its own change and must not leave it
    behind for others), then the next ``get`` reads what was committed. A rollback drops the transaction's
    commit callbacks, and with them the wait: nothing stale stays behind and the cache works again at once.
    ``forget`` empties it after a flush or migrate (tests, restores)."""

    every: list["ProcessCache"] = []  # for ``forget_all``

    def __init__(self, load: Callable, ttl: float):
        self.load, self.ttl = load, ttl
        self.value, self.at = None, 0.0
        ProcessCache.every.append(self)

    @classmethod
    def forget_all(cls) -> None:
        """As in a process just started: what a test counts does not hang on what an earlier test left, and
        how old it is."""
        for cache in cls.every:
            cache.forget()

    def get(self):
        if self.value is not None and not self._changing() and monotonic() - self.at < self.ttl:
            return self.value
        value = self.load()
        if not self._changing():
            self.value, self.at = value, monotonic()
        return value

    def forget(self, **_kwargs) -> None:
        self.value = None

    def changed(self, **_kwargs) -> None:
        self.value = None

        def committed():
            self.value = None
        committed.cache = self
        transaction.on_commit(committed)

    def _changing(self) -> bool:
        """This thread's transaction changed the table and has not committed yet."""
        return any(getattr(func, "cache", None) is self for _savepoints, func, *_robust in connection.run_on_commit)
