"""The one clock the domain reads. Tests and the demo loader set it; nothing sleeps."""
import contextlib
import contextvars
from datetime import datetime

from django.utils import timezone

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("orderloop_now", default=None)


def now() -> datetime:
    return _frozen.get() or timezone.now()


def today():
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen_at(moment: datetime):
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    token = _frozen.set(moment)
    try:
        yield moment
    finally:
        _frozen.reset(token)
