"""The PostgreSQL backend (core/postgresql): Django's, its moments read by psycopg's compiled loader where that
reads them as Django's would: the same instant, microseconds included, with Django's UTC."""
import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend: run with DATABASE_URL=postgres://…")

MOMENTS = ["2026-12-05 22:08:11.123456+00", "2026-03-01 00:00:00+08", "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
           "2024-02-29 12:30:00.5-05:30", "1969-12-31 23:59:59.999999+00"]


def _read(cursor):
    cursor.execute("SELECT " + ", ".join(f"'{moment}'::timestamptz" for moment in MOMENTS))
    return cursor.fetchone()


def test_moments_read_by_the_compiled_loader_are_djangos_to_the_microsecond(db):
    from orderloop.core.postgresql.base import UtcMoments

    with connection.cursor() as cursor:
        assert connection.connection.adapters.get_loader(1184, 0) is UtcMoments
        read = _read(cursor)
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's own loader, on this cursor only
        djangos = _read(cursor)
    assert read == djangos and [m.isoformat() for m in read] == [m.isoformat() for m in djangos]
    assert all(m.tzinfo is datetime.timezone.utc for m in read)
    assert read[0] == datetime.datetime(2026, 12, 5, 22, 8, 11, 123456, tzinfo=datetime.timezone.utc)
    assert read[1] == datetime.datetime(2026, 2, 28, 16, 0, tzinfo=datetime.timezone.utc)


def test_a_database_in_another_time_zone_keeps_djangos_loader():
    from orderloop.core.postgresql.base import DatabaseWrapper, compiled_moments_apply

    shanghai = DatabaseWrapper({**connection.settings_dict, "TIME_ZONE": "Asia/Shanghai"}, alias="shanghai")
    assert compiled_moments_apply(connection) and not compiled_moments_apply(shanghai)
    loader = shanghai.get_connection_params()["context"].get_loader(1184, 0)
    assert loader.__module__ == "django.db.backends.postgresql.psycopg_any" and str(loader.timezone) == "Asia/Shanghai"
