"""Values read from the database and kept per process: the business calendar's entries and the notification
routes, read on nearly every action and changed by an admin now and then (ProcessCache, for a few seconds at
most); the order filters' pickers, kept under the master data's stamp (StampedCache, exact); which orders' timelines
were drawn last (RecentKeys, a hint)."""
from collections import OrderedDict
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


class StampedCache:
    """Values kept per process under the master data's stamp (core.models.MasterDataStamp, read with the session:
    ``User.master_data_stamp``), at most ``size`` of them, the least recently used forgotten first. The database
    renews the stamp in the transaction of every change of what they show, so a value kept under the stamp read at
    the start of a request is never older than the data that request sees; with no stamp (a request that may
    write, a database emptied by a test's flush) the value is loaded each time."""

    def __init__(self, size: int):
        self.size, self.kept = size, OrderedDict()
        ProcessCache.every.append(self)

    def get(self, key, stamp, load: Callable):
        if stamp is None:
            return load()
        key = (key, stamp)
        try:
            self.kept.move_to_end(key)
            return self.kept[key]
        except KeyError:
            value = self.kept[key] = load()
            if len(self.kept) > self.size:
                self.kept.popitem(last=False)
            return value

    def forget(self, **_kwargs) -> None:
        self.kept.clear()


class RecentKeys:
    """The last ``size`` keys noted (``note``), the least recent forgotten first: what a cache of as many values
    likely holds, asked before what it is kept under is known (``key in recent``). Only a hint: a wrong one costs a
    read, never a stale value."""

    def __init__(self, size: int):
        self.size, self.keys = size, OrderedDict()
        ProcessCache.every.append(self)

    def note(self, key) -> None:
        self.keys[key] = None
        self.keys.move_to_end(key)
        if len(self.keys) > self.size:
            self.keys.popitem(last=False)

    def __contains__(self, key) -> bool:
        return key in self.keys

    def forget(self, **_kwargs) -> None:
        self.keys.clear()
