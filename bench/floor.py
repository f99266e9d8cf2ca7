#!/usr/bin/env python
"""The floor: the rows one orderloop lifecycle writes, written by plain SQL through the DB driver.

    .venv/bin/python bench/floor.py --engine sqlite --lifecycles 200
    .venv/bin/python bench/floor.py --engine postgres --lifecycles 200

bench/lifecycle.py traces one real lifecycle (intake to closed) with Django's ``connection.execute_wrapper``:
every INSERT, UPDATE and DELETE with its SQL and parameters, grouped by the transaction that committed it.
The floor replays those writes and nothing else, no SELECT, no ORM: ``sqlite3`` or ``psycopg`` directly, in
the same transactions (BEGIN IMMEDIATE … COMMIT on SQLite in WAL mode with synchronous=NORMAL as orderloop
sets it; PostgreSQL's defaults), into the same tables of the same database. Per replayed lifecycle the ids
are remapped (a foreign key to a row inserted earlier in the lifecycle points at the floor's new row, read
from INSERT … RETURNING) and unique strings (provisional reference, order number, notification key) are made
unique. A write that touched no row (an INSERT … ON CONFLICT DO NOTHING that conflicted, an UPDATE that matched
nothing) is left out: the floor writes the same rows, not the same attempts.

Run on its own it makes the bench database, runs warm-up lifecycles and traces one (bench/lifecycle.py).
"""
import sys
import argparse
import os
import re
import sqlite3
import statistics
import time
from collections import Counter
from pathlib import Path

QMARK = re.compile(r"(?<!%)%s")
IDENT = re.compile(r'(?:"(\w+)"\.)?"(\w+)"')


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


def _param_columns(write: dict) -> list[tuple[str, str]]:
    """(table, column) for each ``%s`` of the statement, in order."""
    sql, table = write["sql"], write["table"]
    if write["verb"] == "INSERT":
        columns = [name for _, name in IDENT.findall(re.match(r'^\s*INSERT\b[^(]*\(([^)]*)\)', sql, re.I).group(1))]
        count = len(write["params"])
        return [(table, columns[i % len(columns)]) for i in range(count)]
    out = []
    for match in QMARK.finditer(sql):
        before = IDENT.findall(sql[:match.start()])
        qualifier, name = before[-1] if before else ("", "")
        out.append((qualifier or table, name))
    return out


def plan(transactions: list[list[dict]], marks: dict[str, int]) -> list[list[dict]]:
    """The traced transactions as statements to replay: SQL for both drivers, and what to do with each parameter."""
    models = _models_by_table()
    next_id = dict(marks)
    steps = []
    for txn in transactions:
        statements = []
        for write in txn:
            if write["many"]:
                raise NotImplementedError("executemany in the lifecycle: not traced")
            table = write["table"]
            returning = write["verb"] == "INSERT" and "RETURNING" in write["sql"].upper()
            old_ids = []
            if write["verb"] == "INSERT" and table in next_id:
                old_ids = list(range(next_id[table] + 1, next_id[table] + 1 + max(write["rowcount"], 0)))
                next_id[table] += max(write["rowcount"], 0)
            if write["rowcount"] == 0:
                continue
            actions = []
            for (t, column) in _param_columns(write):
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
            statements.append({"table": table, "verb": write["verb"], "sql": write["sql"],
                               "sqlite_sql": QMARK.sub("?", write["sql"]).replace("%%", "%"),
                               "params": write["params"], "actions": actions, "returning": returning,
                               "old_ids": old_ids, "rows": write["rowcount"]})
        if statements:
            steps.append(statements)
    return steps


class Replayer:
    def __init__(self, engine: str, plan_: list[list[dict]]):
        from django.conf import settings

        self.engine, self.plan = engine, plan_
        self.seq = 0
        db = settings.DATABASES["default"]
        if engine == "sqlite":
            self.db = sqlite3.connect(db["NAME"], isolation_level=None, timeout=20)
            # orderloop's settings: WAL, synchronous=NORMAL; Django turns foreign keys on
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.driver = f"sqlite3 (SQLite {sqlite3.sqlite_version})"
        else:
            import psycopg
            self.db = psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"],
                                      password=db["PASSWORD"] or None)
            self.driver = f"psycopg {psycopg.__version__}"
        self.rows = Counter()
        self.statements = 0

    def _unique(self, value, length):
        self.seq += 1
        tag = f"F{self.seq:x}-{os.getpid():x}"
        return (tag + ":" + str(value))[:length] if length > len(tag) + 4 else tag[:length]

    def _remap(self, value, action, ids):
        if value is None:
            return None
        if action[0] == "id":
            return ids.get((action[1], value), value)
        return self._unique(value, action[1])

    def lifecycle(self) -> None:
        ids: dict[tuple[str, int], int] = {}
        sqlite = self.engine == "sqlite"
        cursor = self.db.cursor()
        for txn in self.plan:
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            for st in txn:
                params = []
                for value, action in zip(st["params"], st["actions"]):
                    if action is not None and value is not None:
                        if isinstance(value, list):  # PostgreSQL bulk inserts: UNNEST of one array per column
                            value = [self._remap(v, action, ids) for v in value]
                        else:
                            value = self._remap(value, action, ids)
                    params.append(value)
                cursor.execute(st["sqlite_sql"] if sqlite else st["sql"], params)
                if st["returning"]:
                    new = [row[0] for row in cursor.fetchall()]
                    for old, fresh in zip(st["old_ids"], new):
                        ids[(st["table"], old)] = fresh
                self.rows[st["table"]] += st["rows"]
                self.statements += 1
            if sqlite:
                cursor.execute("COMMIT")
            else:
                self.db.commit()

    def close(self):
        self.db.close()


def measure(engine: str, plan_: list[list[dict]], *, lifecycles: int, warmup: int, runs: int) -> dict:
    replayer = Replayer(engine, plan_)
    try:
        for _ in range(warmup):
            replayer.lifecycle()
        replayer.rows.clear()
        replayer.statements = 0
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            for _ in range(lifecycles):
                replayer.lifecycle()
            seconds.append(time.perf_counter() - started)
        total = lifecycles * runs
        median = statistics.median(lifecycles / s for s in seconds)
        return {"lifecycles_per_s": median, "ms_per_lifecycle": 1000 / median, "runs_per_s": [lifecycles / s for s in seconds],
                "transactions_per_lifecycle": len(plan_), "statements_per_lifecycle": replayer.statements / total,
                "rows_per_lifecycle": {t: n / total for t, n in replayer.rows.items()}, "driver": replayer.driver}
    finally:
        replayer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--lifecycles", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench import lifecycle as lc

    lc.configure(args.engine)
    world = lc.master_data()
    for _ in range(args.warmup):
        lc.lifecycle(world)
    marks = max_ids()
    tracer = lc.traced(world, 1)
    result = measure(args.engine, plan(tracer.transactions, marks), lifecycles=args.lifecycles, warmup=args.warmup,
                     runs=args.runs)
    print(f"floor, {args.engine}: {result['lifecycles_per_s']:.1f} lifecycles/s, {result['ms_per_lifecycle']:.2f} ms, "
          f"{result['transactions_per_lifecycle']} transactions, {result['statements_per_lifecycle']:.0f} statements; "
          f"rows {dict(sorted(result['rows_per_lifecycle'].items()))}")


if __name__ == "__main__":
    main()
