"""The SQL of every statement a block runs, as Django hands it to the driver. ``CaptureQueriesContext`` shows the
text Django's debug cursor rebuilds from the driver, which PostgreSQL's server-side binding can leave empty."""
from contextlib import contextmanager

from django.db import connection


@contextmanager
def statements_run():
    sqls: list[str] = []

    def record(execute, sql, params, many, context):
        sqls.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield sqls
