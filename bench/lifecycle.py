#!/usr/bin/env python
"""Lifecycle throughput: orderloop's whole order lifecycle through the service layer, against Tryton's
sale lifecycle and against the plain-SQL floor, in one run on one engine.

    .venv/bin/python bench/lifecycle.py --engine sqlite --orders 200
    .venv/bin/python bench/lifecycle.py --engine postgres --orders 200

One process, one order after another, the real clock. An orderloop lifecycle is what tests/conftest.py's
PATH does, intake to closed: ``order_receive`` → review → approve → confirm_stock → start_fulfillment →
track (the one stage done) → prepare_shipment → ship → receipt scan uploaded → accept (with the receipt)
→ follow_up → close, each action through ``perform_action`` in its own transaction.

Each measurement is the median of ``--runs`` runs of ``--orders`` orders after ``--warmup`` orders. Then:
queries per order and the rows written per table (Django's ``connection.execute_wrapper`` on a traced
batch), a cProfile of ``--profile-orders`` orders, the floor (bench/floor.py: the same writes by plain SQL
in the same transactions), and Tryton (bench/tryton_lifecycle.py, its own venv, the same engine). With
``--write`` (the default) the engine's section of bench/results/lifecycle.md is replaced.

Databases: SQLite file /tmp/lc-bench/<engine>/orderloop.sqlite3 (WAL, synchronous=NORMAL: orderloop's
own settings); PostgreSQL ``bench_lc_orderloop`` at 127.0.0.1:5432, made anew each run. The worker
queue is orderloop's default for the engine: Huey on a SQLite file next to the database, and Redis
(db 15) beside PostgreSQL as in production.
"""
import sys
import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import time
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, write_section as write_results_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("LC_BENCH_DIR", "/tmp/lc-bench"))
PG_HOST = os.environ.get("LC_PG_HOST", "127.0.0.1")
PG_DB = "bench_lc_orderloop"
RESULTS = ROOT / "bench" / "results" / "lifecycle.md"


def configure(engine: str, fresh: bool = True) -> None:
    """Environment for Django, then django.setup() and migrate on a new database."""
    var = WORK / engine
    if fresh and var.exists():
        shutil.rmtree(var)
    var.mkdir(parents=True, exist_ok=True)
    os.environ["ORDERLOOP_VAR_DIR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = "orderloop.config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    if engine == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{var / 'orderloop.sqlite3'}"
        os.environ.pop("HUEY_URL", None)
    else:
        import psycopg
        if fresh:
            with psycopg.connect(f"postgresql://postgres@{PG_HOST}:5432/postgres", autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
                db.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@{PG_HOST}:5432/{PG_DB}"
        os.environ["HUEY_URL"] = os.environ.get("LC_HUEY_URL", "redis://127.0.0.1:6379/15")
    sys.path.insert(0, str(ROOT))
    import django
    django.setup()
    if fresh:
        from django.core.management import call_command
        call_command("migrate", verbosity=0)


# --- master data and one lifecycle ----------------------------------------------------------

ROLES = ["sales_assistant", "account_manager", "sales_manager", "sales_director", "warehouse", "production",
         "logistics", "after_sales", "admin", "finance"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def master_data() -> dict:
    """What tests/conftest.py sets up: a user per role, a team, a qualified customer, a product."""
    from django.contrib.auth.models import Group
    from django.core.files.base import ContentFile

    from orderloop.accounts.models import Team, User
    from orderloop.masterdata.models import Contact, Customer, Product, Qualification, StockLevel
    from orderloop.setup.demo import LICENCE_SCAN

    team = Team.objects.create(name="华北销售一组")
    users = {}
    for role in ROLES:
        user = User.objects.create_user(username=role, password="orderloop", display_name=role, email=f"{role}@example.com",
                                        team=team if role in {"sales_assistant", "account_manager", "sales_manager"} else None)
        user.groups.set([Group.objects.get_or_create(name=role)[0]])
        users[role] = User.objects.get(pk=user.pk)
    team.manager = users["sales_manager"]
    team.save()
    customer = Customer.objects.create(name="科技有限公司", uscc="91310115MA1FL5C15C", owner=users["account_manager"],
                                       qualification=Qualification.QUALIFIED, address="北京市海淀区路1号",
                                       licence_expiry=date(2099, 12, 31), credit_record="信用良好")
    customer.business_licence.save("licence.png", ContentFile(LICENCE_SCAN), save=True)
    Contact.objects.create(customer=customer, name="李*", phone="13800001111", is_primary=True, email="buyer@example.com")
    product = Product.objects.create(name="服务器A型", model="S-001", unit="台", list_price=Decimal("5000.00"),
                                     cost_price=Decimal("4000.00"))
    StockLevel.objects.create(product=product, on_hand=Decimal("1000000000"))  # every order's 现货 line is held
    return {"users": users, "customer": customer, "product": product}


def lifecycle(world: dict) -> None:
    """One order from intake to closed, as conftest's PATH (plus its track and follow-up) drives it."""
    from orderloop.core import clock
    from orderloop.finance.models import Instalment
    from orderloop.finance.receipts import Share, receipt_record
    from orderloop.orders.models import OrderLine
    from orderloop.orders.schemas import OrderCreate
    from orderloop.orders.services import order_receive
    from orderloop.orders.uploads import attachment_store
    from orderloop.orders.lifecycle.engine import perform_action

    u, customer, product = world["users"], world["customer"], world["product"]
    order = order_receive(actor=u["sales_assistant"], data=OrderCreate(
        customer_id=customer.pk, contact_name="李*", contact_phone="13800001111", order_date=clock.today(), channel="web",
        payment_terms="30%预付,余款到付", delivery_address="北京市海淀区路1号", requested_date="2030-05-25", remarks="需定制logo",
        lines=[{"product_id": product.pk, "quantity": "10", "unit_price": "5000"}]))
    pk = order.pk

    def act(action, role, **data):
        return perform_action(order_id=pk, action_name=action, actor=u[role], data=data).order

    def pay(order, *triggers):
        rows = [row for row in Instalment.objects.filter(order_id=pk, is_open=True)
                if not triggers or row.trigger in triggers]
        receipt_record(customer_id=customer.pk, received_on=clock.today(), payer=customer.name,
                       amount=sum(row.outstanding for row in rows), actor=u["finance"],
                       allocations=[Share(row.pk, row.outstanding) for row in rows])

    order = act("review", "sales_assistant", verdict="pass")
    order = act("approve", "sales_manager", comment="同意", version=order.version)  # approvers approve what they read
    if order.status == "pending_director":  # 50,000 yuan: over the director's threshold
        order = act("approve", "sales_director", comment="同意", version=order.version)
    line_ids = OrderLine.objects.filter(order_id=pk).values_list("pk", flat=True)  # what the warehouse sees
    act("confirm_stock", "warehouse", lines=[{"line_id": line_id, "availability": "in_stock", "feasible_date": "2030-05-20",
                                               "date_reason": "按排产计划"} for line_id in line_ids])
    pay(order, "on_confirmation")  # 30%预付: finance records the deposit first
    act("start_fulfillment", "production", stages=[{"name": "生产", "owner": "production", "planned_date": "2030-05-20"}])
    act("track", "production", stage="生产", record="生产完成", actual_date="2024-05-19")
    act("prepare_shipment", "warehouse", goods="服务器A型 × 10", quantity_checked=True, qc_passed=True, qc_report="合格")
    act("ship", "logistics", method="express", carrier="顺丰速运", tracking_number="SF1", eta="2030-05-23")
    receipt = attachment_store(order=order, kind="receipt", filename="签收单.png", content=PNG,
                               actor=None, now=clock.now())
    act("accept", "account_manager", quantity_ok=True, spec_ok=True, appearance_ok=True, signed_by="李*",
        receipt_attachment_id=receipt.pk)
    pay(order)  # and the balance on arrival
    act("follow_up", "account_manager", channel="phone", usage="运行正常", satisfaction=5)
    order = act("close", "sales_manager", note="")
    assert order.status == "closed", order.status


# --- tracing: queries, transactions and the rows written ---------------------------------------

WRITE = re.compile(r'^\s*(INSERT|UPDATE|DELETE|REPLACE)\b(?:\s+OR\s+\w+)?(?:\s+INTO|\s+FROM)?\s+"(\w+)"', re.I)
INSERT_COLUMNS = re.compile(r'^\s*INSERT\b[^(]*\(([^)]*)\)', re.I)


class Tracer:
    """Counts statements by kind, and records every write with its SQL and parameters, grouped by the
    transaction that committed it (a write outside an atomic block is a transaction of its own)."""

    def __init__(self, connection):
        self.connection = connection
        self.kinds = Counter()
        self.transactions: list[list[dict]] = []
        self.open: list[dict] | None = None
        self.commits = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        verb = sql.lstrip().split(None, 1)[0].upper()
        self.kinds[verb] += 1
        match = WRITE.match(sql)
        if match:
            cursor = context["cursor"]
            write = {"verb": match.group(1).upper(), "table": match.group(2), "sql": sql, "params": list(params or ()),
                     "many": many, "rowcount": cursor.rowcount}
            if write["verb"] == "INSERT" and "RETURNING" in sql.upper():
                columns = INSERT_COLUMNS.match(sql).group(1).count('"') // 2
                write["rowcount"] = len(write["params"]) // max(columns, 1)
            if self.connection.in_atomic_block:
                if self.open is None:
                    self.open = []
                self.open.append(write)
            else:
                self.transactions.append([write])
        return result

    def install(self):
        original = self.connection.commit

        def commit(*args, **kwargs):
            self.commits += 1
            if self.open is not None:
                self.transactions.append(self.open)
                self.open = None
            return original(*args, **kwargs)
        self.connection.commit = commit
        self._original_commit = original
        return self.connection.execute_wrapper(self)

    def uninstall(self):
        self.connection.commit = self._original_commit

    @property
    def queries(self) -> int:
        return sum(self.kinds.values())

    def rows_by_table(self) -> dict[str, Counter]:
        rows: dict[str, Counter] = defaultdict(Counter)
        for txn in self.transactions:
            for w in txn:
                rows[w["table"]][w["verb"].lower()] += max(w["rowcount"], 0)
        return rows


def traced(world, n: int):
    from django.db import connection

    tracer = Tracer(connection)
    with tracer.install():
        try:
            for _ in range(n):
                lifecycle(world)
        finally:
            tracer.uninstall()
    return tracer


# --- measuring -------------------------------------------------------------------------------

def timed_runs(fn, *, count: int, runs: int, cpu: list | None = None) -> list[float]:
    """Wall-clock seconds of each run; ``cpu`` gets this process's CPU seconds of each run (less disturbed by
    other work on the machine than the wall clock, but blind to the database server's own CPU)."""
    seconds = []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(count):
            fn()
        seconds.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - cpu_started)
    return seconds


def profile(world, n: int) -> tuple[str, str]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        lifecycle(world)
    profiler.disable()
    out = []
    for key in ("cumulative", "tottime"):
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats(key).print_stats(15 if key == "cumulative" else 12)
        text = buffer.getvalue()
        text = text.replace(str(ROOT) + "/", "").replace(str(Path(sys.prefix)) + "/lib/python3.11/site-packages/", "")
        text = re.sub(r"/root/\.pyenv/versions/[^/]+/lib/python3\.\d+/", "", text)
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
        header = [line.strip() for line in lines[:start] if "function calls" in line]
        out.append("\n".join(header + lines[start:]).rstrip())
    return out[0], out[1]


def versions(engine: str) -> dict:
    import sqlite3

    import django
    from django.db import connection
    v = {"python": platform.python_version(), "django": django.get_version(), "sqlite": sqlite3.sqlite_version}
    if engine == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            v["postgresql"] = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            v["synchronous_commit"] = cursor.fetchone()[0]
            cursor.execute("SHOW fsync")
            v["fsync"] = cursor.fetchone()[0]
    return v


def run_tryton(engine: str, orders: int, warmup: int, runs: int) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "tryton_lifecycle.py"), "--engine", engine, "--orders", str(orders),
               "--warmup", str(warmup), "--runs", str(runs), "--json", "--workdir", str(WORK / "tryton")]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"Tryton failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trace-orders", type=int, default=5, help="lifecycles traced for queries and rows per order")
    parser.add_argument("--profile-orders", type=int, default=50)
    parser.add_argument("--no-tryton", action="store_true")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, don't write bench/results/lifecycle.md")
    args = parser.parse_args()

    load_before = os.getloadavg()
    configure(args.engine)
    world = master_data()
    report: dict = {"engine": args.engine, "args": vars(args), "started": datetime.now().isoformat(timespec="seconds"),
                    "machine": machine(), "versions": versions(args.engine), "load_before": load_before}

    for _ in range(args.warmup):
        lifecycle(world)

    # queries, transactions and rows per lifecycle (traced apart: tracing costs time)
    from bench import floor
    marks = floor.max_ids()
    tracer = traced(world, 1)
    plan = floor.plan(tracer.transactions, marks)
    tracer_n = traced(world, args.trace_orders)
    n = args.trace_orders
    report["queries_per_order"] = tracer_n.queries / n
    report["statements"] = {k: v / n for k, v in sorted(tracer_n.kinds.items())}
    report["commits_per_order"] = tracer_n.commits / n
    report["write_transactions_per_order"] = len(tracer_n.transactions) / n
    report["rows_per_order"] = {t: {k: v / n for k, v in c.items()} for t, c in sorted(tracer_n.rows_by_table().items())}

    cpu: list = []
    seconds = timed_runs(lambda: lifecycle(world), count=args.orders, runs=args.runs, cpu=cpu)
    report["cpu_ms_per_order"] = statistics.median(1000 * c / args.orders for c in cpu)
    report["runs"] = [{"seconds": s, "orders_per_s": args.orders / s, "ms_per_order": 1000 * s / args.orders} for s in seconds]
    median = statistics.median(args.orders / s for s in seconds)
    report["orders_per_s"], report["ms_per_order"] = median, 1000 / median
    print(f"orderloop {args.engine}: {median:.1f} orders/s, {1000 / median:.1f} ms/order "
          f"(CPU of this process {report['cpu_ms_per_order']:.1f} ms), "
          f"{report['queries_per_order']:.0f} queries/order", file=sys.stderr)

    report["profile_cumulative"], report["profile_tottime"] = profile(world, args.profile_orders)

    if not args.no_floor:
        fl = floor.measure(args.engine, plan, lifecycles=args.orders, warmup=args.warmup, runs=args.runs)
        report["floor"] = fl
        report["ratio_to_floor"] = fl["lifecycles_per_s"] / median
        print(f"floor {args.engine}: {fl['lifecycles_per_s']:.1f} lifecycles/s "
              f"({report['ratio_to_floor']:.2f}× orderloop's time)", file=sys.stderr)
    if not args.no_tryton:
        from django.db import connections
        connections.close_all()
        tr = run_tryton(args.engine, args.orders, args.warmup, args.runs)
        report["tryton"] = tr
        report["ratio_to_tryton"] = median / tr["orders_per_s"]
        print(f"tryton {args.engine}: {tr['orders_per_s']:.2f} orders/s → orderloop is {report['ratio_to_tryton']:.0f}×",
              file=sys.stderr)
    report["load_after"] = os.getloadavg()
    report["finished"] = datetime.now().isoformat(timespec="seconds")
    (WORK / f"lifecycle-{args.engine}.json").write_text(json.dumps(report, indent=1, default=str))
    section = render(report, " ".join([".venv/bin/python", "bench/lifecycle.py", *sys.argv[1:]]))
    if args.no_write:
        print(section)
    else:
        write_section(args.engine, section)
        print(f"wrote the {args.engine} section of {RESULTS.relative_to(ROOT)}", file=sys.stderr)


# --- the results file --------------------------------------------------------------------------

def render(r: dict, command: str) -> str:
    e = r["engine"]
    v = r["versions"]
    m = r["machine"]
    name = "SQLite" if e == "sqlite" else "PostgreSQL"
    engine_version = f"SQLite {v['sqlite']} (WAL, synchronous=NORMAL)" if e == "sqlite" else (
        f"PostgreSQL {v['postgresql']} (fsync={v['fsync']}, synchronous_commit={v['synchronous_commit']})")
    tr, fl = r.get("tryton"), r.get("floor")
    out = [f"## {name}", "",
           f"`{command}`", "",
           f"- date: {r['started']} – {r['finished']}; load average (1/5/15 min) before "
           f"{'/'.join(f'{x:.2f}' for x in r['load_before'])}, after {'/'.join(f'{x:.2f}' for x in r['load_after'])}",
           f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM",
           f"- versions: Python {v['python']}, Django {v['django']}, {engine_version}"
           + (f", trytond {tr['trytond']} + trytond-sale 8.2.0 (Python {tr['python']})" if tr else ""),
           f"- each figure: the median of {r['args']['runs']} runs of {r['args']['orders']} orders after "
           f"{r['args']['warmup']} warm-up orders, one process, one order after another, real clock", "",
           "| | per second | ms per lifecycle | queries per lifecycle | runs (per second) |",
           "|---|---:|---:|---:|---|",
           f"| orderloop, intake → closed | **{r['orders_per_s']:.1f}** | {r['ms_per_order']:.1f} "
           f"(CPU {r['cpu_ms_per_order']:.1f}) | {r['queries_per_order']:.0f} | "
           + ", ".join(f"{x['orders_per_s']:.1f}" for x in r["runs"]) + " |"]
    if tr:
        out.append(f"| Tryton 8.2 sale, create → … → shipment done → process, 1 line | {tr['orders_per_s']:.2f} | "
                   f"{tr['ms_per_order']:.0f} | {tr['queries_per_order']:.0f} | "
                   + ", ".join(f"{x['orders_per_s']:.2f}" for x in tr["runs"]) + " |")
    if fl:
        out.append(f"| floor: orderloop's writes by plain SQL, same transactions | {fl['lifecycles_per_s']:.1f} | "
                   f"{fl['ms_per_lifecycle']:.2f} | {fl['statements_per_lifecycle']:.0f} | "
                   + ", ".join(f"{x:.1f}" for x in fl["runs_per_s"]) + " |")
    out.append("")
    if tr:
        out.append(f"- **orderloop ÷ Tryton: {r['ratio_to_tryton']:.1f}×** (Done-when 2 asks ≥ 10×); Tryton restarted "
                   f"{tr['restarts_after_warmup']} transactions after warm-up (locks asked up front: "
                   f"{tr['locks_asked_up_front']['tables'] or 'none'})")
    if fl:
        out.append(f"- **orderloop's time ÷ the floor's: {r['ratio_to_floor']:.2f}×** (Done-when 3 asks ≤ 3×)")
    out += ["", f"Per lifecycle: {r['queries_per_order']:.0f} statements ("
            + ", ".join(f"{k} {v:g}" for k, v in r["statements"].items()) + f"), {r['commits_per_order']:g} commits, "
            f"{r['write_transactions_per_order']:g} transactions that write. Rows written per lifecycle "
            "(traced with `connection.execute_wrapper`):", "",
            "| table | inserted | updated | deleted |", "|---|---:|---:|---:|"]
    for table, c in r["rows_per_order"].items():
        out.append(f"| {table} | {c.get('insert', 0):g} | {c.get('update', 0):g} | {c.get('delete', 0):g} |")
    if fl:
        out += ["", f"The floor replays exactly these writes ({fl['statements_per_lifecycle']:.0f} INSERT/UPDATE statements, "
                f"{fl['transactions_per_lifecycle']} transactions per lifecycle, no SELECT) through "
                f"{fl['driver']} with the same durability settings; its rows per lifecycle: "
                + ", ".join(f"{t} {n:g}" for t, n in sorted(fl["rows_per_lifecycle"].items())) + "."]
    out += ["", f"cProfile of {r['args']['profile_orders']} lifecycles, top 15 by cumulative time:", "", "```",
            r["profile_cumulative"], "```", "", "and top 12 by own time:", "", "```", r["profile_tottime"], "```"]
    return "\n".join(out) + "\n"


def write_section(engine: str, section: str) -> None:
    write_results_section(RESULTS, "lifecycle", engine, section, new_file=(
        "# Lifecycle throughput: orderloop vs Tryton vs the plain-SQL floor\n\n"
        "Written by `bench/lifecycle.py` (one section per engine; the text outside the markers is kept).\n\n"
        "<!-- lifecycle:sqlite -->\n<!-- /lifecycle:sqlite -->\n\n<!-- lifecycle:postgres -->\n<!-- /lifecycle:postgres -->\n"))


if __name__ == "__main__":
    main()
