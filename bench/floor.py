"""The floor: one orderloop lifecycle's statements, replayed through the bare DB driver.

bench/lifecycle.py traces a real lifecycle with Django's ``connection.execute_wrapper``: every statement with its
SQL and parameters, in order, and where each transaction began and committed. Two floors replay it through
``sqlite3`` or ``psycopg`` directly, no ORM, into the same tables of the same database:

- **every statement** (``plan_all``): SELECTs included, in the same transactions (SQLite: the traced ``BEGIN
  IMMEDIATE`` … ``COMMIT``, in WAL mode with synchronous=NORMAL as orderloop sets it; PostgreSQL: ``BEGIN`` where
  Django's atomic block began, ``COMMIT`` where it committed, autocommit outside), statements outside a
  transaction in autocommit, as Django ran them;
- **the writes only** (``plan_writes``): every INSERT, UPDATE and DELETE that touched a row, grouped by the
  transaction that committed it, no SELECT.

Per replayed lifecycle the ids are remapped — a parameter naming a row inserted earlier in the lifecycle (a foreign
key, a primary key in a WHERE, a read by id) names the floor's new row, read from INSERT … RETURNING — and unique
strings the lifecycle writes (provisional reference, order number, notification key) are made unique, the same new
value wherever the lifecycle used the old one (a read by order number reads the floor's new order; a read by a
value the lifecycle did not write, such as a user name, reads it as it was). PostgreSQL statements run through
psycopg's default cursor, which prepares a statement on the server from its fifth run.
"""
import os
import re
import sqlite3
from collections import Counter

QMARK = re.compile(r"(?<!%)%s")
IDENT = re.compile(r'(?:"(\w+)"\.)?"(\w+)"')
WRITE = re.compile(r'^\s*(INSERT|UPDATE|DELETE|REPLACE)\b(?:\s+OR\s+\w+)?(?:\s+INTO|\s+FROM)?\s+"(\w+)"', re.I)


def _models_by_table() -> dict:
    from django.apps import apps
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def max_ids() -> dict[str, int]:
    """The highest id of every table with an integer ``id`` (before tracing, to know the traced rows' ids)."""
    from django.db import connection

    marks = {}
    with connection.cursor() as cursor:
        for table, model in _models_by_table().items():
            if model._meta.pk.column != "id" or model._meta.pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            cursor.execute(f'SELECT max("id") FROM "{table}"')
            marks[table] = cursor.fetchone()[0] or 0
    return marks


def _param_columns(sql: str, verb: str, table: str | None, count: int) -> list[tuple[str, str]]:
    """(table, column) for each ``%s`` of the statement, in order: an INSERT's columns, else the identifier
    written before the placeholder (``"t"."c" = %s``, ``"c" IN (%s, %s)``); a held write's first
    (``split_held``)."""
    held, sql = split_held(sql)
    if held is not None:
        held_verb, held_table = verb_and_table(held)
        first = len(QMARK.findall(held))
        return _param_columns(held, held_verb, held_table, first) + _param_columns(sql, verb, table, count - first)
    if verb == "INSERT":
        columns = [name for _, name in IDENT.findall(re.match(r'^\s*INSERT\b[^(]*\(([^)]*)\)', sql, re.I).group(1))]
        return [(table, columns[i % len(columns)]) for i in range(count)]
    out = []
    for match in QMARK.finditer(sql):
        before = IDENT.findall(sql[:match.start()])
        qualifier, name = before[-1] if before else ("", "")
        out.append((qualifier or table or "", name))
    return out


def _actions(models, sql, verb, table, params) -> list:
    actions = []
    for (t, column) in _param_columns(sql, verb, table, len(params)):
        model = models.get(t)
        field = None
        if model is not None:
            field = next((f for f in model._meta.concrete_fields if f.column == column), None)
        if field is None:
            actions.append(None)
        elif field.primary_key:
            actions.append(("id", t))
        elif field.is_relation:
            actions.append(("id", field.related_model._meta.db_table))
        elif field.unique and field.get_internal_type() == "CharField":
            actions.append(("unique", field.max_length))
        else:
            actions.append(None)
    return actions


def _statement(models, event: dict, next_id: dict) -> dict:
    """One traced statement as a step to replay: SQL for both drivers, what to do with each parameter, and the ids
    the traced run gave the rows an INSERT … RETURNING made (to map them to the replay's)."""
    if event["many"]:
        raise NotImplementedError("executemany in the lifecycle: not traced")
    sql, verb, table = event["sql"], event["verb"], event["table"]
    returning = verb == "INSERT" and "RETURNING" in sql.upper()
    old_ids = []
    if verb == "INSERT" and table in next_id:
        rows = max(event["rowcount"], 0)
        old_ids = list(range(next_id[table] + 1, next_id[table] + 1 + rows))
        next_id[table] += rows
    params = list(event["params"] or ())
    return {"type": "statement", "table": table, "verb": verb, "sql": sql,
            "sqlite_sql": QMARK.sub("?", sql).replace("%%", "%"), "params": params,
            "actions": _actions(models, sql, verb, table, params), "returning": returning, "old_ids": old_ids,
            "rows": event["rowcount"] if table else 0}


def plan_all(events: list[dict], marks: dict[str, int], engine: str) -> list[dict]:
    """Every traced statement, in order, with the transaction boundaries Django drew."""
    models, next_id = _models_by_table(), dict(marks)
    steps, open_ = [], False
    for event in events:
        if event["kind"] in ("commit", "rollback"):
            if open_:
                steps.append({"type": event["kind"]})
            open_ = False
            continue
        if event["verb"] == "BEGIN":  # SQLite: Django's BEGIN IMMEDIATE, replayed as traced
            open_ = True
        elif event["in_atomic"] and not open_:
            open_ = True
            if engine != "sqlite":
                steps.append({"type": "begin"})  # psycopg's implicit BEGIN under Django's atomic block
        steps.append(_statement(models, event, next_id))
    return steps


def plan_writes(events: list[dict], marks: dict[str, int], engine: str) -> list[dict]:
    """The writes that touched a row, in the transactions that committed them (one of its own outside one)."""
    models, next_id = _models_by_table(), dict(marks)
    steps, pending = [], []
    begin = [{"type": "statement", "sql": "BEGIN IMMEDIATE", "sqlite_sql": "BEGIN IMMEDIATE", "params": [], "actions": [],
              "returning": False, "old_ids": [], "rows": 0, "table": None, "verb": "BEGIN"}] if engine == "sqlite" else [
        {"type": "begin"}]

    def flush(writes):
        if writes:
            steps.extend(begin + writes + [{"type": "commit"}])
    for event in events:
        if event["kind"] == "commit":
            flush(pending)
            pending = []
        elif event["kind"] == "rollback":
            pending = []
        elif event["table"]:
            step = _statement(models, event, next_id)  # always: it advances the traced ids
            if event["rowcount"] == 0:
                continue  # same rows, not the same attempts
            if event["in_atomic"]:
                pending.append(step)
            else:
                flush([step])
    flush(pending)
    return steps


class Replayer:
    """A bare driver connection that replays plans (bench/lifecycle.py's floor worker)."""

    def __init__(self, engine: str, database: dict):
        self.engine = engine
        self.seq = 0
        if engine == "sqlite":
            self.db = sqlite3.connect(database["NAME"], isolation_level=None, timeout=20)
            # orderloop's settings: WAL, synchronous=NORMAL; Django turns foreign keys on
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.driver = f"sqlite3 (SQLite {sqlite3.sqlite_version})"
        else:
            import psycopg
            self.db = psycopg.connect(host=database["HOST"], port=database["PORT"] or 5432, user=database["USER"],
                                      dbname=database["NAME"], password=database["PASSWORD"] or None, autocommit=True)
            self.driver = f"psycopg {psycopg.__version__}"
        self.rows = Counter()
        self.statements = 0

    def _unique(self, value, length, uniques, verb):
        if value not in uniques:
            if verb == "SELECT":  # a value the lifecycle did not write (a user name, a product code): as it was
                return value
            self.seq += 1
            tag = f"F{self.seq:x}-{os.getpid():x}"
            uniques[value] = (tag + ":" + str(value))[:length] if length > len(tag) + 4 else tag[:length]
        return uniques[value]

    def _remap(self, value, action, ids, uniques, verb):
        if value is None:
            return None
        if isinstance(value, (list, tuple)):  # PostgreSQL bulk inserts: UNNEST of one array per column
            return [self._remap(v, action, ids, uniques, verb) for v in value]
        if action[0] == "id":
            return ids.get((action[1], value), value)
        return self._unique(value, action[1], uniques, verb)

    def lifecycle(self, plan: list[dict]) -> None:
        ids: dict[tuple[str, int], int] = {}
        uniques: dict = {}
        sqlite = self.engine == "sqlite"
        cursor = self.db.cursor()
        for st in plan:
            kind = st["type"]
            if kind == "begin":
                cursor.execute("BEGIN")
                continue
            if kind in ("commit", "rollback"):
                cursor.execute(kind.upper())
                continue
            params = [value if action is None else self._remap(value, action, ids, uniques, st["verb"])
                      for value, action in zip(st["params"], st["actions"])]
            cursor.execute(st["sqlite_sql"] if sqlite else st["sql"], params)
            if st["returning"]:
                new = [row[0] for row in cursor.fetchall()]
                for old, fresh in zip(st["old_ids"], new):
                    ids[(st["table"], old)] = fresh
            elif st["verb"] == "SELECT":
                cursor.fetchall()  # what the application reads, it receives
            if st["table"]:
                self.rows[st["table"]] += max(st["rows"], 0)
            self.statements += 1

    def close(self):
        self.db.close()


HELD = re.compile(r"^\s*WITH held AS \(")


def split_held(sql: str) -> tuple[str | None, str]:
    """(the held write, the statement it went out with) of core.prepared's ``WITH held AS (UPDATE …) INSERT …``
    (one statement: replayed as one); (None, sql) for any other statement."""
    if not HELD.match(sql):
        return None, sql
    start, depth = sql.index("("), 0
    for i in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[i], 0)
        if depth == 0:
            return sql[start + 1:i], sql[i + 1:].strip()
    raise ValueError(f"unbalanced: {sql}")


def held_params(sql: str) -> int:
    """How many of the statement's parameters are its held write's."""
    held, _ = split_held(sql)
    return 0 if held is None else len(QMARK.findall(held))


def verb_and_table(sql: str) -> tuple[str, str | None]:
    """The statement's verb and the table it writes (a held write's statement: the INSERT's)."""
    sql = split_held(sql)[1]
    match = WRITE.match(sql)
    if match:
        return match.group(1).upper(), match.group(2)
    return sql.lstrip().split(None, 1)[0].upper(), None


INSERT_COLUMNS = re.compile(r'^\s*INSERT\b[^(]*\(([^)]*)\)', re.I)
