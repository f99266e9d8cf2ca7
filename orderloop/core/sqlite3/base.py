"""Django's SQLite backend, with each statement's placeholders converted once per process.

Django writes ``%s`` placeholders and its SQLite cursor turns them into ``?`` with a regular expression on every
execution (``SQLiteCursorWrapper.convert_query``): about 20 µs for a statement of the order's 60 columns, several
milliseconds of an order's lifecycle, the same work for the same text each time. Here the converted text is kept,
keyed by the text Django gives (at most ``CONVERTED`` of them, the least recently used dropped). Everything else is
Django's backend, unchanged but for the schema editor, which keeps the database's triggers through a table's
rebuild (``schema``): ``connection.vendor`` is "sqlite"; settings name this package as the ENGINE when DATABASE_URL
is a SQLite one."""
from functools import lru_cache

from django.db.backends.sqlite3 import base

from orderloop.core.sqlite3.schema import DatabaseSchemaEditor

CONVERTED = 1024  # statements whose converted text is kept (the product makes a few hundred kinds): at most a few MB


@lru_cache(maxsize=CONVERTED)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)
