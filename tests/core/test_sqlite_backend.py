"""The SQLite backend (core/sqlite3): Django's, with each statement's placeholders converted once per process. The
rows are those Django's own conversion gives, a literal %% stays a percent sign, and a statement run again is not
converted again."""
import pytest
from django.db import connection

from orderloop.core.sqlite3.base import _qmark


@pytest.fixture(autouse=True)
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the backend is SQLite's: PostgreSQL's driver converts and caches its statements itself")


@pytest.mark.django_db
def test_a_statement_is_converted_once_and_gives_what_django_gives(orders):
    order = orders.at("confirmed")
    sql = "SELECT number, 'a%%b' FROM orders_salesorder WHERE id = %s AND number LIKE %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [order.pk, "%"])  # a first run may fill the cache
        converted = _qmark.cache_info()
        cursor.execute(sql, [order.pk, "%"])
        assert cursor.fetchall() == [(order.number, "a%b")]
    again = _qmark.cache_info()
    assert (again.hits, again.misses) == (converted.hits + 1, converted.misses)


@pytest.mark.django_db
def test_named_placeholders_are_djangos_as_before(orders):
    order = orders.at("confirmed")
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM orders_salesorder WHERE id = %(id)s", {"id": order.pk})
        assert cursor.fetchall() == [(order.number,)]
