"""Queries built by the ORM once and run many times: the same SQL, new parameters.

Django builds and compiles a query's SQL from its QuerySet on every run (``Query.build_filter``,
``SQLCompiler.as_sql``, the select list of every column, the joins of ``select_related``): for the lifecycle's
hottest reads, the locked order with its customer and the order's lines, that work costs several times what the
database takes to answer. ``PreparedQuery`` makes the QuerySet once per database with a marker value in place of
the parameter, keeps the compiled SQL, and on each run puts the value where the marker was, executes it through
Django's cursor (so it is logged, traced and counted like any query) and turns the rows into model instances as
``QuerySet`` iteration does (``ModelIterable``): from_db, the converters of the fields, ``select_related``
instances and annotations. Model querysets without prefetching or known related objects qualify; a list given
for an ``__in`` is compiled once for each length met (up to ``LONGEST_LIST``). ``PreparedUpdate`` does the same
for ``queryset.update()`` on one table, ``delete`` for a row nothing refers to. ``update(…, hold=True)`` keeps an
UPDATE back (``Held``) to go out with the next ``insert(…, after=…)``: on PostgreSQL one statement, one round trip
(the lifecycle's actions send about an eighth fewer statements). ``read_together`` sends several reads at once: on
PostgreSQL one round trip for all of them.

All of it leans on Django's internals (the compiler's select list, ``get_related_populators``, the fields' database
preparation), which a Django upgrade may change without a word. ``ORDERLOOP_PREPARED_SQL=0`` turns it off, read
at each call: ``PreparedQuery`` runs its QuerySet, ``PreparedUpdate`` its ``update()``, ``insert`` and ``update``
call ``save()``, ``delete`` calls ``delete()``, ``server_prepared`` does nothing. ``insert`` and ``update`` write
without calling the model's ``save()`` (``delete`` without its ``delete()``), so in either mode they refuse a
model that overrides it, unless the class that defines it names the operation in ``prepared_sql_skips_save``
(``prepared_sql_skips_delete``): a reviewed promise that the override does nothing the operation leaves out.
"""
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DatabaseError, connections, models, router
from django.db.models import NOT_PROVIDED, Model, QuerySet
from django.db.models.deletion import Collector
from django.db.models.constants import OnConflict
from django.db.models.query import get_related_populators
from django.db.backends.signals import connection_created
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.db.transaction import TransactionManagementError

MARKER = 7_919_000_000_000_017  # never an id: it only marks where the parameter goes


def _markers(count: int) -> tuple[int, ...]:
    """One marker per parameter: MARKER, MARKER + 1, …"""
    return tuple(MARKER + i for i in range(count))


_LISTS = (list, tuple, set, frozenset)
LONGEST_LIST = 64  # an ``__in`` of more values is built by the ORM each time


def _shape(values) -> tuple:
    """Each value's place in the compiled SQL: None for one parameter, a list's length for an ``__in`` of it."""
    return tuple(len(value) if isinstance(value, _LISTS) else None for value in values)


def _marked(shape: tuple) -> tuple[list, int]:
    """What the query is built from for ``shape``: a marker for each value, a list of markers for each list; and
    how many markers that is."""
    built, count = [], 0
    for length in shape:
        if length is None:
            built.append(MARKER + count)
            count += 1
        else:
            built.append([MARKER + count + i for i in range(length)])
            count += length
    return built, count


def enabled() -> bool:
    """``ORDERLOOP_PREPARED_SQL``: off, the ORM builds every statement as usual."""
    return settings.ORDERLOOP_PREPARED_SQL


def _refuse_unsupported(queryset: QuerySet) -> None:
    if queryset._known_related_objects or queryset._prefetch_related_lookups:
        raise ValueError(f"not a query PreparedQuery can run: {queryset.query}")


def _is_marker(value, marker: int) -> bool:
    """A compiled parameter that is ``marker``: a text field's lookup (``groups__name=marker``) holds it as text."""
    return value == marker or value == str(marker)


class _Compiled:
    def __init__(self, queryset: QuerySet, alias: str, count: int, shape: tuple = (), may_omit: bool = False):
        _refuse_unsupported(queryset)
        self.for_update = bool(queryset.query.select_for_update)
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet as exc:
            if 0 not in shape:  # a marker out of its column's range (an integer field on PostgreSQL), not a list
                raise ValueError(f"not a query PreparedQuery can run (compare a bigint key or text): a query of "
                                 f"{queryset.model._meta.label} compares a value to a column too small for it") from exc
            self.empty = True  # an ``__in`` of no values that leaves nothing to find: no statement, as the ORM
            return
        self.empty = False
        self.positions = []  # of each value: where it goes (a user's id may be asked in several subqueries)
        for marker in _markers(count):
            positions = [i for i, value in enumerate(params) if _is_marker(value, marker)]
            if not positions and (not may_omit or any(str(marker) in str(value) for value in params)):
                raise ValueError(f"not a query PreparedQuery can run: {sql}")  # e.g. made into '%marker%'
            self.positions.append(positions)
        self.sql, self.params = sql, list(params)
        select, klass_info = compiler.select, compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start:self.end]]
        self.related_populators = get_related_populators(klass_info, select, alias)
        self.annotations = list((compiler.annotation_col_map or {}).items())
        self.converters = compiler.get_converters([s[0] for s in select[0:compiler.col_count]])
        self.compiler = compiler


class PreparedQuery:
    """``PreparedQuery(Model, lambda value: Model.objects.filter(pk=value))``, then ``.all(value)``: the instances.
    A query of several values takes as many: ``PreparedQuery(Model, lambda a, b: …, params=2)``, ``.all(a, b)``;
    each value must appear among the compiled SQL's parameters as it was given (once or more). A list (tuple, set)
    given as a value is an ``__in`` of its items: the SQL is compiled once for each length met (an empty list as
    the ORM treats it)."""

    def __init__(self, model, build: Callable[..., QuerySet], *, for_write: bool = False,
                 prep: Callable | None = None, params: int = 1, may_omit: bool = False, plan_once: bool = False):
        """``prep`` turns each value into what the query's field takes (e.g. a field's ``get_prep_value``), as
        ``filter()`` would; ``for_write``: the database to read from is the one written to (select_for_update);
        ``may_omit``: a value the built query does not ask for is left out (a visibility filter that names neither
        the user nor their team) instead of refusing the query; ``plan_once``: run as ``server_prepared`` runs its
        statements (a read of the same plan for any value: a row by its key, a user's few rows)."""
        self.model, self.build, self.for_write, self.prep, self.count = model, build, for_write, prep, params
        self.may_omit, self.plan_once = may_omit, plan_once
        self.compiled: dict[tuple, _Compiled] = {}  # by database and shape

    def all(self, *values) -> list:
        statement = self._statement(values)
        if statement is None:
            return self._built(values)
        compiled, connection, params = statement
        if compiled.empty:  # as the ORM: nothing asked, not even whether a lock could be taken
            return []
        return self._objects(compiled, connection.alias, _run(connection, compiled.sql, params, self.plan_once))

    def _statement(self, values: tuple) -> tuple | None:
        """(the compiled query, its connection, the parameters) of a run with ``values``; None when the ORM builds
        it (ORDERLOOP_PREPARED_SQL=0, a list longer than LONGEST_LIST)."""
        if len(values) != self.count:
            raise TypeError(f"this query takes {self.count} values, not {len(values)}")
        shape = _shape(values)
        if not enabled() or any(length is not None and length > LONGEST_LIST for length in shape):
            return None
        using = router.db_for_write(self.model) if self.for_write else router.db_for_read(self.model)
        compiled = self.compiled.get((using, shape))
        if compiled is None:
            built, count = _marked(shape)
            compiled = self.compiled[(using, shape)] = _Compiled(self.build(*built), using, count, shape, self.may_omit)
        connection = connections[using]
        if compiled.empty:
            return compiled, connection, None
        if compiled.for_update and connection.features.has_select_for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled.params)
        flat = [item for value in values for item in (value if isinstance(value, _LISTS) else (value,))]
        for positions, value in zip(compiled.positions, flat):
            for position in positions:
                params[position] = self.prep(value) if self.prep is not None else value
        return compiled, connection, params

    def _built(self, values: tuple) -> list:
        """The QuerySet itself (what the prepared query could not run is refused alike); a long list is rare (an
        import's products) and its SQL is not kept, one per length."""
        queryset = self.build(*values)
        _refuse_unsupported(queryset)
        if self.for_write:
            queryset = queryset.using(router.db_for_write(self.model))
        return list(queryset)

    @staticmethod
    def _objects(compiled: _Compiled, using: str, rows: list) -> list:
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        objects = []
        for row in rows:
            obj = compiled.model.from_db(using, compiled.init_list, row[compiled.start:compiled.end])
            for populator in compiled.related_populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations:
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def read_together(*reads: tuple[PreparedQuery, tuple]) -> list[list]:
    """The instances of several ``PreparedQuery`` reads, each ``(query, values)``, in their order. On PostgreSQL
    they go to the server at once and come back in one round trip (psycopg's pipeline mode: the server runs them
    one after another, in order, as if sent one by one; each is still logged, counted and kept prepared as
    ``.all()`` would): an order's page reads eight sets of rows by the order's key, and waiting for each in turn
    was about half of their time. Elsewhere, and for the reads the ORM builds (``ORDERLOOP_PREPARED_SQL=0``, a long
    list), one after another. A read that finds nothing whatever its values sends no statement, as ``.all()``.
    Reads of different databases, or that differ in ``plan_once``, go one after another too."""
    results: list = [None] * len(reads)
    sent = []  # (index, query, compiled, connection, params) of the statements to send
    for index, (query, values) in enumerate(reads):
        statement = query._statement(tuple(values))
        if statement is None:
            results[index] = query._built(tuple(values))
        elif statement[0].empty:
            results[index] = []
        else:
            sent.append((index, query, *statement))
    connection = sent[0][3] if sent else None
    together = (len(sent) > 1 and connection.vendor == "postgresql"
                and all(c is connection and q.plan_once == sent[0][1].plan_once for _i, q, _s, c, _p in sent))
    if together:
        with server_prepared(connection.alias) if sent[0][1].plan_once else nullcontext():
            answers = _run_pipelined(connection, [(compiled.sql, params) for _i, _q, compiled, _c, params in sent])
    else:
        answers = [_run(c, compiled.sql, params, q.plan_once) for _i, q, compiled, c, params in sent]
    for (index, _query, compiled, c, _params), rows in zip(sent, answers):
        results[index] = PreparedQuery._objects(compiled, c.alias, rows)
    return results


class PreparedRows:
    """``PreparedRows(Model, lambda: Model.objects.filter(…).values_list(…))``, then ``.all()``: the rows as tuples
    (a picker's options: the active products, the people who may own an order). The ORM builds and compiles the
    query once per database; each run executes the kept SQL and applies the columns' converters, as
    ``values_list()`` iteration does. A query of values takes them as ``PreparedQuery`` does (``params=1``:
    ``.all(user_id)``), each put wherever the compiled SQL holds it."""

    def __init__(self, model, build: Callable[..., QuerySet], *, params: int = 0, may_omit: bool = False,
                 plan_once: bool = False, count_rows: bool = False, like: bool = False, outer: str | None = None):
        """``may_omit``, ``plan_once``: as ``PreparedQuery``'s; ``count_rows``: the one row is the number of the
        query's rows, ``[(n,)]`` (``SELECT COUNT(*) FROM (…)``, as ``count()`` of a sliced QuerySet writes it);
        ``like``: a value may be the term of a LIKE pattern (``name__icontains=value``, ``number__startswith=value``),
        put into the pattern and escaped as the ORM escapes it; ``outer``: the statement run is this text with the
        query's SQL in place of ``{}`` (``SELECT "pk" FROM ({}) AS "m" ORDER BY …``), its rows as the database gives
        them. A query that finds nothing whatever its values (an empty ``__in``: the orders of a user no role lets see
        any) runs no statement and gives no rows, or a count of 0, as the ORM does."""
        self.model, self.build, self.count, self.may_omit, self.plan_once = model, build, params, may_omit, plan_once
        self.like = like
        self.outer = "SELECT COUNT(*) FROM ({}) subquery" if count_rows else outer
        self.nothing = [(0,)] if count_rows else []
        self.compiled: dict[str, tuple | None] = {}

    def all(self, *values) -> list[tuple]:
        if len(values) != self.count:
            raise TypeError(f"this query takes {self.count} values, not {len(values)}")
        if not enabled():
            queryset = self.build(*values)
            if self.outer is None:
                return [tuple(row) for row in queryset]
            try:
                sql, params = queryset.query.sql_with_params()
            except EmptyResultSet:
                return list(self.nothing)
            with _cursor(connections[queryset.db]) as cursor:
                cursor.execute(self.outer.format(sql), params)
                return [tuple(row) for row in cursor.fetchall()]
        using = router.db_for_read(self.model)
        if using not in self.compiled:
            self.compiled[using] = self._compile(using)
        entry = self.compiled[using]
        if entry is None:  # it finds nothing, whatever the values
            return list(self.nothing)
        sql, params, positions, compiler, converters = entry
        connection = connections[using]
        if values:
            params = list(params)
            for places, value in zip(positions, values):
                for place, pattern in places:
                    params[place] = value if pattern is None else pattern % connection.ops.prep_for_like_query(value)
        rows = _run(connection, sql, params, self.plan_once)
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [tuple(row) for row in rows]

    def _compile(self, using: str) -> tuple | None:
        markers = _markers(self.count)
        queryset = self.build(*markers)
        _refuse_unsupported(queryset)
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet as exc:
            try:  # the same query of small values: nothing to find whatever they are, or the markers out of range
                self.build(*(1,) * self.count).query.get_compiler(using=using).as_sql()
            except EmptyResultSet:
                return None
            raise ValueError(f"not a query PreparedRows can run (compare a bigint key or text): a query of "
                             f"{self.model._meta.label} compares a value to a column too small for it") from exc
        positions = []  # of each value: (where, None) or, a LIKE pattern's term, (where, the pattern with %s for it)
        for marker in markers:
            places = [(i, None) for i, value in enumerate(params) if _is_marker(value, marker)]
            if self.like:
                places += [(i, _pattern_of(value, marker)) for i, value in enumerate(params)
                           if isinstance(value, str) and str(marker) in value and not _is_marker(value, marker)]
            if not places and (not self.may_omit or any(str(marker) in str(value) for value in params)):
                raise ValueError(f"not a query PreparedRows can run: {sql}")
            positions.append(places)
        converters = compiler.get_converters([column[0] for column in compiler.select[0:compiler.col_count]])
        if self.outer is not None:
            sql, converters = self.outer.format(sql), {}
        return sql, list(params), positions, compiler, converters


def _pattern_of(value: str, marker: int) -> str:
    """A LIKE pattern the ORM made of ``marker`` (``%marker%``, ``marker%``) as a format for the escaped term."""
    rest = value.split(str(marker))
    if len(rest) != 2 or any(part.strip("%") for part in rest):
        raise ValueError(f"not a LIKE pattern of one value: {value}")
    return rest[0].replace("%", "%%") + "%s" + rest[1].replace("%", "%%")


# --- the cursor ----------------------------------------------------------------------------------------

def _run(connection, sql: str, params: list, plan_once: bool) -> list:
    """The rows of one statement, on PostgreSQL kept prepared on the server if ``plan_once`` (``server_prepared``):
    the statements every page reads (the session, the user, the menu's unread count, a picker's options) were
    planned again on each request, a fifth to a half of their time."""
    if plan_once:
        with server_prepared(connection.alias), _cursor(connection) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _run_pipelined(connection, statements: list[tuple[str, list]]) -> list[list]:
    """The rows of each of ``statements`` on PostgreSQL, sent in one pipeline (read_together): each through a cursor
    of its own, as ``connection.cursor()`` makes them (kept for the connection as ``_cursor`` keeps one)."""
    with _Cursors(connection, len(statements)) as cursors:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, statements):
                cursor.execute(sql, params)
            return [cursor.fetchall() for cursor in cursors]


def _cursor(connection):
    """Django's cursor for a statement of this module, as a context. On PostgreSQL making one (psycopg's cursor
    with its own adapters, Django's wrapper) costs about as much CPU as running a short prepared statement, so the
    one made for the connection is kept and used again while the connection stays the same (one for each cursor
    class: ``server_prepared`` changes it); it is a cursor as ``connection.cursor()`` makes it, so every
    statement still goes through the connection's execute wrappers. Elsewhere, while statements are logged (a
    debug cursor records each), or after a statement failed, a new cursor is made and closed as usual. SQLite's are
    cheap, and one left open after ``INSERT … RETURNING`` could keep its statement running past the commit. (A
    class, not a generator: this runs for every statement, and contextlib's machinery costs more than the rest.)"""
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    return _KeptCursor(connection)


def _kept_cursors(connection) -> tuple[dict, type]:
    """The cursors kept for ``connection`` while it stays the same (by cursor class: ``server_prepared`` changes it,
    and by place in a pipeline), and the class a cursor made now would have."""
    connection.close_if_health_check_failed()
    raw, kept = connection.connection, getattr(connection, "_prepared_sql_cursors", None)
    if raw is None or kept is None or kept[0] is not raw:
        connection.ensure_connection()
        raw = connection.connection
        kept = connection._prepared_sql_cursors = (raw, {})
    else:
        connection.validate_thread_sharing()
    return kept[1], raw.cursor_factory


class _KeptCursor:
    __slots__ = ("connection", "cursors", "factory")

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        self.cursors, self.factory = _kept_cursors(self.connection)
        cursor = self.cursors.get(self.factory)
        if cursor is None:
            cursor = self.cursors[self.factory] = self.connection.cursor()
        return cursor

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None:  # the next statement gets a new cursor
            self.cursors.pop(self.factory).close()
        return False


class _Cursors:
    """``count`` cursors for one pipeline (``_run_pipelined``): kept as ``_KeptCursor`` keeps its one (the first is
    that one), or, where ``_cursor`` makes a new one each time (statements logged), made and closed."""

    __slots__ = ("connection", "count", "cursors", "keys", "made")

    def __init__(self, connection, count: int):
        self.connection, self.count = connection, count

    def __enter__(self) -> list:
        connection = self.connection
        if connection.queries_logged:
            self.made = [connection.cursor() for _n in range(self.count)]
            return self.made
        self.made = None
        self.cursors, factory = _kept_cursors(connection)
        self.keys = [factory if n == 0 else (factory, n) for n in range(self.count)]
        for key in self.keys:
            if key not in self.cursors:
                self.cursors[key] = connection.cursor()
        return [self.cursors[key] for key in self.keys]

    def __exit__(self, exc_type, exc, traceback):
        if self.made is not None:
            for cursor in self.made:
                cursor.close()
        elif exc_type is not None:  # the next pipeline gets new cursors
            for key in self.keys:
                self.cursors.pop(key).close()
        return False


# --- a model's own save() and delete() ----------------------------------------------------------------

@cache
def _skipped_method(model: type, operation: str) -> str | None:
    """Why ``operation`` ("insert", "update" or "delete") may not write ``model`` without its ``save()`` (its
    ``delete()``), or None."""
    method = "delete" if operation == "delete" else "save"
    owner = next(klass for klass in model.__mro__ if method in vars(klass))  # whose method the model uses
    if owner is Model or operation in vars(owner).get(f"prepared_sql_skips_{method}", ()):
        return None
    return (f"{model._meta.label} overrides {method}() ({owner.__name__}.{method} in {owner.__module__}), which "
            f"core.prepared.{operation}() does not call: use {method}(), or, once that {method}() is checked to do "
            f"nothing {operation}() leaves out, name {operation!r} in {owner.__name__}.prepared_sql_skips_{method}")


def _check_own(model: type, operation: str) -> None:
    problem = _skipped_method(model, operation)
    if problem is not None:
        raise TypeError(problem)


# --- the values written ------------------------------------------------------------------------------------

_WRITTEN_AS_THEY_ARE = {  # a field of exactly this class, given a value of exactly this type (or None), writes it
    models.CharField: str, models.TextField: str, models.BooleanField: bool, models.IntegerField: int,
    models.BigIntegerField: int, models.SmallIntegerField: int, models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int, models.PositiveBigIntegerField: int}
_INTEGER_KEYS = (models.AutoField, models.BigAutoField, models.IntegerField, models.BigIntegerField)


def _as_it_is(field) -> type | None:
    """The type whose values ``field`` writes as they are — its ``pre_save`` reads the attribute and Django's
    preparation returns a ``str`` or ``bool`` unchanged, an ``int`` only adapted to its column's integer type
    (PostgreSQL) — or None when the field prepares its values (dates, decimals, JSON, files, anything else)."""
    if type(field) in (models.ForeignKey, models.OneToOneField):
        return int if type(field.target_field) in _INTEGER_KEYS else None
    return _WRITTEN_AS_THEY_ARE.get(type(field))


def _writers(fields) -> list[tuple]:
    """For each field: the field, its attribute, the plain type it writes as it is, and its integer column type."""
    writers = []
    for f in fields:
        plain = _as_it_is(f)
        column = f.target_field if f.is_relation else f
        automatic = isinstance(column, (models.AutoField, models.BigAutoField, models.SmallAutoField))
        integer = column.get_internal_type() if plain is int and not automatic else None  # an id goes as it is
        writers.append((f, f.attname, plain, integer))
    return writers


def _written(obj, writers, connection, add: bool) -> list:
    """What ``save()`` sends for these fields of ``obj``: each field's ``pre_save`` and database preparation,
    shortened for a plain value (the common case, and the costly part of a row): a str or bool as it is, an int as
    the database's ``adapt_integerfield_value`` gives it (PostgreSQL: its column's Int2/Int4/Int8, as Django)."""
    adapt = connection.ops.adapt_integerfield_value
    values = []
    for field, attname, plain, integer in writers:
        if plain is not None:
            value = getattr(obj, attname)
            if value is None:
                values.append(None)
                continue
            if type(value) is plain:
                values.append(adapt(value, integer) if integer else value)
                continue
        values.append(field.get_db_prep_save(field.pre_save(obj, add), connection=connection))
    return values


# --- inserts ------------------------------------------------------------------------------------

_INSERTS: dict[tuple, tuple] = {}


# --- a write held for the next INSERT ------------------------------------------------------------------

class Held(NamedTuple):
    """A write not sent yet (``update(…, hold=True)``, a ``Held`` of one's own): it goes out with the next
    ``insert(obj, after=held)`` — on PostgreSQL in the same statement, as a data-modifying WITH (one round trip
    instead of two), elsewhere just before it. On PostgreSQL both run on one snapshot: the held write must not need
    the inserted row nor the insert what the held write changes (the order's UPDATE and its event's INSERT; the
    order's open deadlines stopped and a new one started, which the stopping must not touch)."""
    using: str
    sql: str
    params: list
    must_change: bool  # as save(update_fields=…): an error when it finds no row


_UNCHANGED = "Save with update_fields did not affect any rows."


def held_run(held: Held | None) -> None:
    """Send ``held`` on its own (nothing to go out with)."""
    if held is None:
        return
    with _cursor(connections[held.using]) as cursor:
        cursor.execute(held.sql, held.params)
        if held.must_change and cursor.rowcount == 0:
            raise DatabaseError(_UNCHANGED)


_WITH_HELD: dict[tuple[str, str], str] = {}


def insert(obj, *, after: Held | None = None):
    """Save the new ``obj`` as ``obj.save()`` would (every concrete field but the automatic id, the fields'
    ``pre_save`` and database preparation, the id read back), with the INSERT written once per model and database
    instead of being built by the ORM each time; ``after``: a write held until now goes out with it (``Held``).
    Models with save signals listened to, or objects that already have an id, are saved by ``save()``; a model that
    overrides ``save()`` is refused (see the module)."""
    model = type(obj)
    _check_own(model, "insert")
    if not enabled() or obj.pk is not None or pre_save.has_listeners(model) or post_save.has_listeners(model):
        held_run(after)
        obj.save(force_insert=True)
        return obj
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    entry = _INSERTS.get((model, using))
    if entry is None:
        meta, qn = model._meta, connection.ops.quote_name
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
        returning = connection.features.can_return_columns_from_insert
        sql = (f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})")
        if returning:
            sql += f" RETURNING {qn(meta.db_table)}.{qn(meta.pk.column)}"
        plain = all(f.db_default is NOT_PROVIDED for f in fields) and meta.auto_field is not None
        entry = _INSERTS[(model, using)] = (sql, _writers(fields), returning, plain)
    sql, writers, returning, plain = entry
    if not plain:  # database defaults, no automatic id: the ORM knows how
        held_run(after)
        obj.save(force_insert=True)
        return obj
    obj._prepare_related_fields_for_save(operation_name="save")  # as save(): a parent saved since takes its new id
    values = _written(obj, writers, connection, True)
    if after is not None and (after.using != using or connection.vendor != "postgresql"):
        held_run(after)
        after = None
    with _cursor(connection) as cursor:
        if after is None:
            cursor.execute(sql, values)
        else:  # WITH held AS (UPDATE … RETURNING 1) INSERT … RETURNING id, (SELECT count(*) FROM held)
            key = (after.sql, sql)
            joined = _WITH_HELD.get(key)
            if joined is None:
                joined = _WITH_HELD[key] = f"WITH held AS ({after.sql} RETURNING 1) {sql}, (SELECT count(*) FROM held)"
            cursor.execute(joined, [*after.params, *values])
        if returning:
            row = cursor.fetchone()
            pk = row[0]
            if after is not None and after.must_change and row[1] == 0:
                raise DatabaseError(_UNCHANGED)
        else:
            pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    obj.pk = pk
    obj._state.adding, obj._state.db = False, using
    return obj


_MULTI_ROW_INSERTS: dict[tuple, str] = {}


@cache
def _bulk_fields(model: type) -> tuple[list, list]:
    """The fields a row of ``model`` is inserted with (all but the automatic id), and their writers."""
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    return fields, _writers(fields)


def insert_rows(objs: list, *, ignore_conflicts: bool = False) -> None:
    """``Model.objects.bulk_create(objs, ignore_conflicts=…)`` of new rows nobody refers to afterwards: no ids are
    read back (with ``ignore_conflicts``, rows that would break a unique constraint are skipped), and the
    multi-row INSERT is written once per model, database, number of rows and choice instead of being built by the
    ORM each time. Like bulk_create it sends no save signals and calls no ``save()``, so any model qualifies; the
    rows go in batches the database's parameter limit allows."""
    if not objs:
        return
    model = type(objs[0])
    if not enabled():
        model.objects.bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    using = router.db_for_write(model, instance=objs[0])
    connection = connections[using]
    meta = model._meta
    fields, writers = _bulk_fields(model)
    if meta.auto_field is None or any(f.db_default is not NOT_PROVIDED for f in fields):
        model.objects.bulk_create(objs, ignore_conflicts=ignore_conflicts)  # database defaults: the ORM knows how
        return
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    size = max(connection.ops.bulk_batch_size(fields, objs), 1)
    with _cursor(connection) as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start:start + size]
            key = (model, using, len(batch), ignore_conflicts)
            sql = _MULTI_ROW_INSERTS.get(key)
            if sql is None:
                qn = connection.ops.quote_name
                row = f"({', '.join(['%s'] * len(fields))})"
                on_conflict = OnConflict.IGNORE if ignore_conflicts else None
                sql = " ".join(part for part in (
                    connection.ops.insert_statement(on_conflict=on_conflict),
                    f"{qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES",
                    ", ".join([row] * len(batch)),
                    connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)) if part)
                sql = _MULTI_ROW_INSERTS[key] = sql
            cursor.execute(sql, [value for obj in batch for value in _written(obj, writers, connection, True)])
    for obj in objs:
        obj._state.adding, obj._state.db = False, using


_UPDATES: dict[tuple, tuple] = {}


def update(obj, fields: list[str], *, hold: bool = False) -> Held | None:
    """``obj.save(update_fields=fields)``, with the UPDATE written once per model, fields and database instead of
    being built by the ORM each time; like save(), an UPDATE that finds no row is an error. ``hold``: not sent
    yet but returned, to go out with the next INSERT (``Held``; None when it was written at once: saved by the
    ORM). Models with save signals listened to are saved by ``save()``; a model that overrides ``save()`` is
    refused (see the module)."""
    model = type(obj)
    _check_own(model, "update")
    if not enabled() or not fields or pre_save.has_listeners(model) or post_save.has_listeners(model):
        obj.save(update_fields=fields)
        return None
    using = obj._state.db or router.db_for_write(model, instance=obj)
    connection = connections[using]
    key = (model, tuple(fields), using)
    entry = _UPDATES.get(key)
    if entry is None:
        meta, qn = model._meta, connection.ops.quote_name
        columns = [meta.get_field(name) for name in fields]
        if any(not f.concrete or f.primary_key for f in columns):
            raise ValueError(f"not fields update() can write: {fields}")
        sql = (f"UPDATE {qn(meta.db_table)} SET {', '.join(f'{qn(f.column)} = %s' for f in columns)} "
               f"WHERE {qn(meta.db_table)}.{qn(meta.pk.column)} = %s")
        entry = _UPDATES[key] = (sql, _writers(columns))
    sql, writers = entry
    values = _written(obj, writers, connection, False)
    values.append(model._meta.pk.get_db_prep_value(obj.pk, connection))
    held = Held(using, sql, values, True)
    if hold:
        return held
    held_run(held)
    return None


class PreparedUpdate:
    """``queryset.update(**changes)`` of a query on one table (no joins), with the UPDATE compiled once per
    database: ``PreparedUpdate(Model, lambda order_id: Model.objects.filter(order_id=order_id), ["done_on"])``,
    then ``.run(order_id, done_on=day)``: the number of rows changed. The values are prepared for their fields as
    ``update()`` prepares them; like ``update()`` it sends no signals and calls no ``save()``."""

    def __init__(self, model, build: Callable[..., QuerySet], fields: list[str], *, params: int = 1):
        self.model, self.build, self.count = model, build, params
        self.fields = [model._meta.get_field(name) for name in fields]
        if any(not f.concrete or f.primary_key for f in self.fields):
            raise ValueError(f"not fields PreparedUpdate can write: {fields}")
        self.compiled: dict[str, tuple] = {}

    def run(self, *values, **changes) -> int:
        if len(values) != self.count or set(changes) != {f.name for f in self.fields}:
            raise TypeError(f"this update takes {self.count} values and {[f.name for f in self.fields]}")
        if not enabled():
            return self.build(*values).update(**changes)
        using = router.db_for_write(self.model)
        connection = connections[using]
        entry = self.compiled.get(using)
        if entry is None:
            entry = self.compiled[using] = self._compile(using)
        sql, params, positions = entry
        params = [f.get_db_prep_save(changes[f.name], connection=connection) for f in self.fields] + list(params)
        for position, value in zip(positions, values):
            params[len(self.fields) + position] = value
        with _cursor(connection) as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def _compile(self, using: str) -> tuple:
        query = self.build(*_markers(self.count)).query
        compiler = query.get_compiler(using=using)
        compiler.pre_sql_setup()
        if len([alias for alias, count in query.alias_refcount.items() if count]) > 1:
            raise ValueError(f"not a query PreparedUpdate can run (it joins): {query}")
        try:
            where, params = compiler.compile(query.where)
        except FullResultSet as exc:
            raise ValueError(f"not a query PreparedUpdate can run: an update of every {self.model._meta.label}") from exc
        except EmptyResultSet as exc:  # a marker out of its column's range (an integer field on PostgreSQL)
            raise ValueError(f"not a query PreparedUpdate can run (compare a bigint key or text): an update of "
                             f"{self.model._meta.label} compares a value to a column too small for it") from exc
        positions = []
        for marker in _markers(self.count):
            found = [i for i, value in enumerate(params) if _is_marker(value, marker)]
            if len(found) != 1:
                raise ValueError(f"not a query PreparedUpdate can run: {where}")
            positions.append(found[0])
        qn = connections[using].ops.quote_name
        table = qn(self.model._meta.db_table)
        sql = f"UPDATE {table} SET {', '.join(f'{qn(f.column)} = %s' for f in self.fields)} WHERE {where}"
        return sql, list(params), positions


_DELETES: dict[tuple, str] = {}


def delete(obj) -> None:
    """``obj.delete()`` of a row nothing refers to (no cascade, no delete signals listened to: Django's own "fast
    delete"), with the DELETE written once per model and database instead of being built by the ORM each time.
    Any other row is deleted by ``delete()``; a model that overrides ``delete()`` is refused (see the module)."""
    model = type(obj)
    _check_own(model, "delete")
    if obj.pk is None:  # as delete()
        raise ValueError(f"{model._meta.object_name} object can't be deleted because its id attribute is set to None.")
    using = obj._state.db or router.db_for_write(model, instance=obj)
    if not enabled() or not Collector(using=using, origin=obj).can_fast_delete(obj):
        obj.delete()
        return
    connection = connections[using]
    sql = _DELETES.get((model, using))
    if sql is None:
        meta, qn = model._meta, connection.ops.quote_name
        sql = _DELETES[(model, using)] = f"DELETE FROM {qn(meta.db_table)} WHERE {qn(meta.db_table)}.{qn(meta.pk.column)} = %s"
    with _cursor(connection) as cursor:
        cursor.execute(sql, [model._meta.pk.get_db_prep_value(obj.pk, connection)])
    obj.pk = None


@receiver(connection_created)
def _generic_plans(sender, connection, **kwargs):
    """On PostgreSQL, a statement kept prepared (``server_prepared``, ``plan_once``) is planned once, for any values:
    left to choose, PostgreSQL planned some for each run anyway (an order read with the visibility filter: 1.3 ms
    of planning for 0.2 ms of work, on every order page) because their generic plan looked dearer on paper. Only
    named prepared statements follow ``plan_cache_mode``: the lists, sent with their values, are planned for them.
    Not with ``ORDERLOOP_PG_PREPARED_STATEMENTS=0`` (a pooler in transaction mode would hand the setting on) nor
    ``ORDERLOOP_PREPARED_SQL=0`` (nothing is kept prepared then)."""
    if connection.vendor == "postgresql" and settings.ORDERLOOP_PG_PREPARED_STATEMENTS and enabled():
        connection.connection.execute("SET plan_cache_mode = force_generic_plan")


@contextmanager
def server_prepared(using: str = "default"):
    """On PostgreSQL, the statements run inside are bound by the server and, from their fifth run on a
    connection, kept prepared there (psycopg's automatic preparation): the lifecycle's short statements — a row
    by its primary key, an insert, an update — are then neither parsed nor planned again, which makes an action
    about a quarter faster; an order's page reads its rows by the order's keys alike. Only there: a list
    filtered by status or searched is planned for its own parameters each time (a status may hold a thousand
    orders or eight hundred thousand), which a prepared statement's generic plan would not.
    ``ORDERLOOP_PG_PREPARED_STATEMENTS=0`` switches it off for poolers in transaction mode that cannot keep
    prepared statements; ``ORDERLOOP_PREPARED_SQL=0`` too."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not settings.ORDERLOOP_PG_PREPARED_STATEMENTS or not enabled():
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    kept = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, 5
    try:
        yield
    finally:
        if connection.connection is raw and not raw.closed:
            raw.cursor_factory, raw.prepare_threshold = kept
