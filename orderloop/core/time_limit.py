"""A time limit for one piece of work (reading a spreadsheet, taking in one mail), checked by the work itself.

The work calls ``time_check()`` where it loops (each row, each few thousand XML elements, each attachment);
once the limit is over, the check raises ``InvalidInput`` with the message the limit was set with, so the work
stops at a point where its transaction rolls back cleanly. It is cooperative on purpose: the worker runs its
tasks in threads (Huey ``worker_type: thread``), and ``signal.alarm`` works in a process's main thread only;
an alarm would also interrupt whatever runs at that moment, a database call included. Limits nest: the one
that ends first holds. The limit is per thread and per task (a context variable)."""
import time
from contextlib import contextmanager
from contextvars import ContextVar

from orderloop.core.exceptions import InvalidInput

_limit: ContextVar[tuple[float, str] | None] = ContextVar("orderloop_time_limit", default=None)


@contextmanager
def time_limit(seconds: float, message: str):
    """Work inside must end within ``seconds``; ``message`` (naming the limit) is the refusal once it has not."""
    end = time.monotonic() + seconds
    current = _limit.get()
    if current is not None and current[0] <= end:  # an enclosing limit ends first: it holds
        yield
        return
    token = _limit.set((end, message))
    try:
        yield
    finally:
        _limit.reset(token)


def time_check() -> None:
    """Raise ``InvalidInput`` (422, errors under ``file``) when the time limit of the work running now is over."""
    current = _limit.get()
    if current is not None and time.monotonic() > current[0]:
        raise InvalidInput(current[1], errors={"file": [current[1]]}, code="time_limit")
