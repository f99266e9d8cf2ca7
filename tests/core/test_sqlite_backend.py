"""The SQLite backend (core/sqlite3): Django's, with each statement's placeholders converted once per process. The
rows are those Django's own conversion gives, a literal %% stays a percent sign, and a statement run again is not
converted again. The cursor is tried on a SQLite database of its own, so this runs whatever DATABASE_URL names."""
import sqlite3

from django.db import connection, connections

from orderloop.core.sqlite3.base import DatabaseWrapper, SQLiteCursorWrapper, _qmark


def _database():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO item VALUES (1, 'a%b'), (2, 'c')")
    return db


def test_a_statement_is_converted_once_and_gives_what_django_gives():
    cursor = _database().cursor(factory=SQLiteCursorWrapper)
    sql = "SELECT id, name, '100%%' FROM item WHERE id = %s AND name LIKE %s"
    cursor.execute(sql, [1, "a%"])  # a first run may fill the cache
    converted = _qmark.cache_info()
    cursor.execute(sql, [1, "a%"])
    assert cursor.fetchall() == [(1, "a%b", "100%")]
    again = _qmark.cache_info()
    assert (again.hits, again.misses) == (converted.hits + 1, converted.misses)


def test_named_placeholders_are_djangos_as_before():
    cursor = _database().cursor(factory=SQLiteCursorWrapper)
    cursor.execute("SELECT name FROM item WHERE id = %(id)s", {"id": 2})
    assert cursor.fetchall() == [("c",)]


def test_a_sqlite_database_url_is_served_by_this_backend():
    if connection.vendor == "sqlite":
        assert isinstance(connections["default"], DatabaseWrapper)
    else:  # PostgreSQL's: tests/core/test_postgresql_backend.py
        assert type(connections["default"]).__module__ == "orderloop.core.postgresql.base"
