"""Django's PostgreSQL backend, its moments read by psycopg's C loader.

Django reads every ``timestamptz`` through a loader of its own (``psycopg_any.BaseTzLoader``), a subclass of
psycopg's pure-Python one, so that each moment gets Django's time zone: psycopg's compiled loader cannot be
subclassed, and the Python one parses each value with a regular expression — about 4 µs a moment, and a page
reads dozens (an order's events and deadlines, a list's creation times). Django sets each connection's session
time zone to UTC (``ensure_timezone``) when ``USE_TZ`` is on and the database names no ``TIME_ZONE``; psycopg's
compiled loader then gives the same moments with the same ``datetime.timezone.utc`` Django's does. Only then is it
used (``UtcMoments``); in any other configuration, or without psycopg's C implementation, the backend is Django's
as it is. Everything else is Django's backend, unchanged: ``connection.vendor`` is "postgresql"; settings name
this package as the ENGINE when DATABASE_URL is a PostgreSQL one."""
import datetime
from functools import cache

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import is_psycopg3

if is_psycopg3:
    import psycopg
    from psycopg.adapt import AdaptersMap, Loader
    from psycopg.pq import Format

    TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid
    COMPILED = psycopg.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)  # psycopg_binary's or psycopg_c's, if present

    class UtcMoments(Loader):
        """A ``timestamptz`` as psycopg's compiled loader reads it in the session's time zone, UTC."""

        timezone = datetime.timezone.utc  # what Django's create_cursor compares with its own

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._load = COMPILED(oid, context).load

        def load(self, data):
            return self._load(data)

    @cache
    def _with_utc_moments(template: AdaptersMap) -> AdaptersMap:
        adapters = AdaptersMap(template)
        adapters.register_loader("timestamptz", UtcMoments)
        return adapters


def compiled_moments_apply(wrapper) -> bool:
    """Whether ``wrapper``'s connections read moments with UtcMoments: psycopg 3 with its C implementation, and
    Django's time zone for the connection UTC (USE_TZ on, no TIME_ZONE for the database)."""
    return (is_psycopg3 and psycopg.pq.__impl__ in ("c", "binary") and not issubclass(COMPILED, Loader)
            and wrapper.timezone is datetime.timezone.utc and wrapper.timezone_name == "UTC")


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if "context" in params and compiled_moments_apply(self):
            params["context"] = _with_utc_moments(params["context"])
        return params
