#!/usr/bin/env python
"""Lifecycle throughput, interleaved: orderloop against Tryton and against the bare-driver floor, same run, one engine.

    .venv/bin/python bench/lifecycle.py --engine sqlite --duration 300
    .venv/bin/python bench/lifecycle.py --engine postgres --duration 300

Three long-lived worker processes, each warmed up before the clock starts, are driven in short alternating chunks
(``--chunk-seconds`` each, at least one lifecycle; the order of the chunks rotates every round) for ``--duration``
seconds, so that every contestant sees the same machine — this machine is shared, and measurements minutes apart
swing by a factor of five:

- **orderloop** (``--worker orderloop``): two lifecycles through the service layer, each action through
  ``perform_action`` in its own transaction, intake to closed (tests/conftest.py's PATH plus its track and
  follow-up): the **sale** lifecycle with terms that name no payment plan (``按合同约定``: no instalment, no
  receipt; Tryton's sale without an invoice is its peer), and **order-to-cash** with the seed's terms
  "30%预付,余款到付": finance records the deposit receipt (allocated to the first instalment) before
  ``start_fulfillment``, the balance receipt after delivery, and the order closes settled;
- **the floor** (``--worker floor``, bench/floor.py): one traced orderloop lifecycle of each kind replayed through
  the bare driver — every statement, reads included, in the same transactions; and its writes only (the old floor);
- **Tryton 8.2** (bench/tryton_lifecycle.py ``--worker``, its own venv from PyPI): the sale lifecycle
  (``invoice_method = manual``) and order-to-cash (the invoice Tryton makes on confirmation, posted, paid with a
  payment method as the pay wizard does, the sale done), on a database cloned fresh from a template for each run.

The ratios are computed per round (orderloop's throughput ÷ Tryton's in that round; orderloop's time per lifecycle
÷ the floor's), and reported as their median and interquartile range beside the pooled ones (all lifecycles ÷ all
seconds of each contestant). Before the run the orderloop worker traces both lifecycles (statements by kind, rows
written) and profiles ``--profile-orders`` order-to-cash lifecycles with cProfile, grouped by where the time goes.
With ``--write`` (the default) the engine's section of bench/results/lifecycle.md is replaced; bench/report.py puts
it into docs/benchmarks.md.

Databases: SQLite file <work>/<engine>/orderloop.sqlite3 (WAL, synchronous=NORMAL: orderloop's own settings);
PostgreSQL ``bench_lc_orderloop`` at 127.0.0.1:5432, made anew each run. <work> is ``LC_BENCH_DIR`` (default
/tmp/lc-bench). The worker queue is orderloop's default for the engine: Huey on a SQLite file next to the database,
and Redis (db 15) beside PostgreSQL as in production.
"""
import sys
import argparse
import cProfile
import json
import os
import pickle
import platform
import pstats
import shutil
import statistics
import subprocess
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, write_section as write_results_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("LC_BENCH_DIR", "/tmp/lc-bench"))
PG_HOST = os.environ.get("LC_PG_HOST", "127.0.0.1")
PG_DB = os.environ.get("LC_PG_DB", "bench_lc_orderloop")
RESULTS = ROOT / "bench" / "results" / "lifecycle.md"
KINDS = ("sale", "o2c")
TERMS = {"sale": "按合同约定", "o2c": "30%预付,余款到付"}  # the first names no term: no plan
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


def lifecycle(world: dict, kind: str = "o2c") -> int:
    """One order from intake to closed, as conftest's PATH (plus its track and follow-up) drives it; ``o2c``: with
    the seed's payment plan, its deposit and balance received. Returns the order's id."""
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
        payment_terms=TERMS[kind], delivery_address="北京市海淀区路1号", requested_date="2030-05-25", remarks="需定制logo",
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
    if kind == "o2c":
        pay(order, "on_confirmation")  # 30%预付: finance records the deposit first
    act("start_fulfillment", "production", stages=[{"name": "生产", "owner": "production", "planned_date": "2030-05-20"}])
    act("track", "production", stage="生产", record="生产完成", actual_date="2024-05-19")
    act("prepare_shipment", "warehouse", goods="服务器A型 × 10", quantity_checked=True, qc_passed=True, qc_report="合格")
    act("ship", "logistics", method="express", carrier="顺丰速运", tracking_number="SF1", eta="2030-05-23")
    receipt = attachment_store(order=order, kind="receipt", filename="签收单.png", content=PNG,
                               actor=None, now=clock.now())
    act("accept", "account_manager", quantity_ok=True, spec_ok=True, appearance_ok=True, signed_by="李*",
        receipt_attachment_id=receipt.pk)
    if kind == "o2c":
        pay(order)  # and the balance on arrival
    act("follow_up", "account_manager", channel="phone", usage="运行正常", satisfaction=5)
    order = act("close", "sales_manager", note="")
    assert order.status == "closed", order.status
    return pk


# --- tracing: every statement, and where transactions committed ---------------------------------------------

class Tracer:
    """Records every statement (SQL, parameters, rows touched, whether inside an atomic block) and every commit and
    rollback of the connection, in order: what the floor replays (bench/floor.py)."""

    def __init__(self, connection):
        self.connection = connection
        self.events: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        from bench.floor import INSERT_COLUMNS, held_params, split_held, verb_and_table
        in_atomic = self.connection.in_atomic_block
        result = execute(sql, params, many, context)
        verb, table = verb_and_table(sql)
        rowcount = context["cursor"].rowcount
        if verb == "INSERT" and "RETURNING" in sql.upper():  # the rows inserted (a held write's are not counted)
            columns = INSERT_COLUMNS.match(split_held(sql)[1]).group(1).count('"') // 2
            rowcount = (len(params or ()) - held_params(sql)) // max(columns, 1)
        self.events.append({"kind": "statement", "sql": sql, "params": list(params or ()), "many": many, "verb": verb,
                            "table": table, "rowcount": rowcount, "in_atomic": in_atomic})
        return result

    def install(self):
        connection = self.connection
        self._originals = connection.commit, connection.rollback

        def commit(*args, **kwargs):
            self.events.append({"kind": "commit"})
            return self._originals[0](*args, **kwargs)

        def rollback(*args, **kwargs):
            self.events.append({"kind": "rollback"})
            return self._originals[1](*args, **kwargs)
        connection.commit, connection.rollback = commit, rollback
        return connection.execute_wrapper(self)

    def uninstall(self):
        self.connection.commit, self.connection.rollback = self._originals

    def statements(self) -> Counter:
        return Counter(e["verb"] for e in self.events if e["kind"] == "statement")

    def commits(self) -> int:
        return sum(1 for e in self.events if e["kind"] == "commit")

    def rows_by_table(self) -> dict[str, Counter]:
        rows: dict[str, Counter] = defaultdict(Counter)
        for e in self.events:
            if e["kind"] == "statement" and e["table"]:
                rows[e["table"]][e["verb"].lower()] += max(e["rowcount"], 0)
        return rows


def traced(world, kind: str, n: int) -> Tracer:
    from django.db import connection

    tracer = Tracer(connection)
    with tracer.install():
        try:
            for _ in range(n):
                lifecycle(world, kind)
        finally:
            tracer.uninstall()
    return tracer


# --- where the time goes ----------------------------------------------------------------------------------------

GROUPS = [
    ("ORM: building and compiling queries", ("django/db/models/sql/", "django/db/models/expressions.py",
                                             "django/db/models/lookups.py", "django/db/models/query_utils.py",
                                             "django/db/models/query.py", "django/db/models/manager.py",
                                             "django/db/models/functions/", "django/db/models/aggregates.py",
                                             "django/db/models/constraints.py")),
    ("ORM: model instances and fields", ("django/db/models/base.py", "django/db/models/fields/",
                                         "django/db/models/options.py", "django/db/models/deletion.py",
                                         "django/db/models/signals.py", "django/dispatch/")),
    ("Django's DB layer: connections, cursors, transactions", ("django/db/backends/", "django/db/utils.py",
                                                              "django/db/transaction.py", "django/db/__init__.py")),
    ("driver and database (the SQL itself, commits, waiting for the server)", ("/psycopg/", "/psycopg_binary/",
                                                                              "sqlite3")),
    ("pydantic (validating the actions' input)", ("/pydantic/", "/pydantic_core/")),
    ("templates", ("django/template/", "/jinja2/")),
    ("work queue (Huey, Redis)", ("/huey/", "/redis/")),
    ("orderloop's own code", ("/orderloop/",)),
    ("Django, other (i18n, utils, files)", ("/django/",)),
]
OTHER = "Python's standard library and built-ins"


def group_of(filename: str, function: str) -> str:
    if filename == "~":  # a built-in: the driver's C calls are named after their module
        if any(name in function.lower() for name in ("sqlite", "psycopg", "pgconn")):
            return GROUPS[3][0]
        return OTHER
    if filename.startswith(str(ROOT / "bench")):
        return "the bench's own driving code"
    for name, parts in GROUPS:
        if any(part in filename for part in parts):
            return name
    return OTHER


def profile(world, n: int) -> dict:
    """cProfile of ``n`` order-to-cash lifecycles: own time per group, model instances per lifecycle, top functions."""
    import inspect

    from django.db.models import Model

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        lifecycle(world, "o2c")
    profiler.disable()
    stats = pstats.Stats(profiler)
    groups: Counter = Counter()
    init_line = inspect.getsourcelines(Model.__init__)[1]
    instances = 0
    top = []
    for (filename, line, function), (_cc, ncalls, tottime, _ct, callers) in stats.stats.items():
        group = group_of(filename, function)
        if group != OTHER:
            groups[group] += tottime
        else:  # a built-in or the standard library (getattr, copy, re…): counted where it was called from
            for (caller_file, _line, caller_function), caller_stats in callers.items():
                groups[group_of(caller_file, caller_function)] += caller_stats[2]
        if filename.endswith("django/db/models/base.py") and line == init_line:
            instances = ncalls
        top.append((tottime, ncalls, f"{filename.replace(str(ROOT) + '/', '').split('site-packages/')[-1]}:{line}"
                                      f"({function})"))
    total = sum(groups.values())
    top.sort(reverse=True)
    return {"lifecycles": n, "ms_per_lifecycle": 1000 * total / n, "instances_per_lifecycle": instances / n,
            "groups": [(name, 1000 * t / n, 100 * t / total) for name, t in groups.most_common()],
            "top": [(1000 * t / n, calls / n, where) for t, calls, where in top[:12]]}


def versions(engine: str) -> dict:
    import sqlite3

    import django
    from django.db import connection
    v = {"python": platform.python_version(), "django": django.get_version(), "sqlite": sqlite3.sqlite_version}
    if engine == "postgres":
        import psycopg
        v["psycopg"] = psycopg.__version__
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            v["postgresql"] = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            v["synchronous_commit"] = cursor.fetchone()[0]
            cursor.execute("SHOW fsync")
            v["fsync"] = cursor.fetchone()[0]
    return v


# --- the workers: warmed up, then one chunk per command on stdin, one JSON line per answer on stdout ----------

def chunk(fn, seconds: float) -> dict:
    """Lifecycles one after another until ``seconds`` have passed (at least one): count, wall clock, CPU."""
    n, started, cpu_started = 0, time.perf_counter(), time.process_time()
    while True:
        fn()
        n += 1
        if time.perf_counter() - started >= seconds:
            break
    return {"n": n, "wall": time.perf_counter() - started, "cpu": time.process_time() - cpu_started}


def serve(ready: dict, run) -> None:
    """Answer the driver: ``ready`` first, then each ``{"op": …}`` line with ``run(command)``'s JSON."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything the code under test prints goes to stderr, not into the protocol
    sys.stdout = sys.stderr
    protocol.write(json.dumps(ready, default=str) + "\n")
    protocol.flush()
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "quit":
            break
        protocol.write(json.dumps(run(command), default=str) + "\n")
        protocol.flush()


def orderloop_worker(args) -> None:
    from bench import floor

    configure(args.engine)
    world = master_data()
    for kind in KINDS:
        for _ in range(args.warmup):
            lifecycle(world, kind)
    ready: dict = {"versions": versions(args.engine), "kinds": {}}
    plans = {}
    for kind in KINDS:
        marks = floor.max_ids()
        one = traced(world, kind, 1)
        plans[f"{kind}-all"] = floor.plan_all(one.events, marks, args.engine)
        plans[f"{kind}-writes"] = floor.plan_writes(one.events, marks, args.engine)
        many = traced(world, kind, args.trace_orders)
        n = args.trace_orders
        ready["kinds"][kind] = {
            "statements": {k: v / n for k, v in sorted(many.statements().items())},
            "statements_total": sum(many.statements().values()) / n, "commits": many.commits() / n,
            "rows": {t: {k: v / n for k, v in c.items()} for t, c in sorted(many.rows_by_table().items())}}
    (WORK / args.engine / "floor-plans.pickle").write_bytes(pickle.dumps(plans))
    ready["profile"] = profile(world, args.profile_orders)

    def run(command):
        if command["op"] == "check":
            return check()
        return chunk(lambda: lifecycle(world, command["kind"]), command["seconds"])
    serve(ready, run)


def check() -> dict:
    """What a user would look at after the run: every order closed, every order-to-cash order settled."""
    from django.db.models import Count, F, Q

    from orderloop.finance.models import Instalment
    from orderloop.orders.models import SalesOrder
    out = {}
    for kind in KINDS:
        orders = SalesOrder.objects.filter(payment_terms=TERMS[kind])
        out[kind] = {"orders": orders.count(), "closed": orders.filter(status="closed").count(),
                     "with_a_plan": orders.annotate(n=Count("instalments")).filter(n__gt=0).count(),
                     "open_instalments": Instalment.objects.filter(order__in=orders).filter(
                         Q(is_open=True) | Q(received__lt=F("amount"))).count()}
    return out


def floor_worker(args) -> None:
    from bench import floor
    from django.conf import settings

    configure(args.engine, fresh=False)
    plans = pickle.loads((WORK / args.engine / "floor-plans.pickle").read_bytes())
    replayer = floor.Replayer(args.engine, settings.DATABASES["default"])
    for name, plan in plans.items():
        for _ in range(args.warmup):
            replayer.lifecycle(plan)
    ready = {"driver": replayer.driver, "plans": {
        name: {"statements": sum(1 for s in plan if s["type"] == "statement"),  # BEGIN included, as traced
               "selects": sum(1 for s in plan if s["type"] == "statement" and s["verb"] == "SELECT"),
               "transactions": sum(1 for s in plan if s["type"] == "commit")} for name, plan in plans.items()}}
    serve(ready, lambda command: chunk(lambda: replayer.lifecycle(plans[command["kind"]]), command["seconds"]))


# --- the driver -------------------------------------------------------------------------------------------------

class Worker:
    def __init__(self, name: str, command: list[str]):
        self.name = name
        # a session of its own: a worker that fails is ended with what it started (Tryton's trytond-admin)
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                        start_new_session=True)

    def answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker ended (exit {self.process.wait()}); see its stderr above")
        self.ready = True
        return json.loads(line)

    def ask(self, command: dict) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.answer()

    def quit(self) -> None:
        if self.process.poll() is not None:
            return
        if self.ready:
            self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.process.stdin.flush()
        else:  # still setting up while another failed
            os.killpg(self.process.pid, 15)
        self.process.wait(timeout=60)


# (contestant, worker, kind) in the order of the first round
CHUNKS = [("orderloop sale", "orderloop", "sale"), ("orderloop order-to-cash", "orderloop", "o2c"),
          ("floor sale, every statement", "floor", "sale-all"), ("floor sale, writes only", "floor", "sale-writes"),
          ("floor order-to-cash, every statement", "floor", "o2c-all"),
          ("floor order-to-cash, writes only", "floor", "o2c-writes"),
          ("Tryton sale", "tryton", "sale"), ("Tryton order-to-cash", "tryton", "o2c")]
# (name, numerator, denominator, how the ratio reads, target, whether higher is better)
RATIOS = [
    ("orderloop ÷ Tryton, sale", "orderloop sale", "Tryton sale", "≥ 12×", 12, True),
    ("orderloop ÷ Tryton, order-to-cash", "orderloop order-to-cash", "Tryton order-to-cash", "≥ 15×", 15, True),
    ("orderloop's time ÷ the floor's, order-to-cash, every statement", "floor order-to-cash, every statement",
     "orderloop order-to-cash", None, None, False),
    ("orderloop's time ÷ the floor's, sale, every statement", "floor sale, every statement", "orderloop sale", None, None,
     False),
    ("orderloop's time ÷ the floor's, order-to-cash, writes only", "floor order-to-cash, writes only",
     "orderloop order-to-cash", "", None, False),
    ("orderloop's time ÷ the floor's, sale, writes only", "floor sale, writes only", "orderloop sale", "", None, False),
]


def quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def drive(args) -> dict:
    engine = args.engine
    me = [sys.executable, str(Path(__file__).resolve()), "--engine", engine, "--warmup", str(args.warmup)]
    tryton = None
    if not args.no_tryton:  # its set-up (a fresh database from the template) runs beside orderloop's
        tryton = Worker("tryton", [sys.executable, str(ROOT / "bench" / "tryton_lifecycle.py"), "--worker", "--engine",
                                   engine, "--warmup", str(args.warmup), "--workdir", str(WORK / "tryton")])
    orderloop = Worker("orderloop", [*me, "--worker", "orderloop", "--trace-orders", str(args.trace_orders),
                                     "--profile-orders", str(args.profile_orders)])
    workers = {"orderloop": orderloop, **({"tryton": tryton} if tryton else {})}
    try:
        report: dict = {"orderloop": orderloop.answer()}
        workers["floor"] = Worker("floor", [*me, "--worker", "floor"])
        report["floor"] = workers["floor"].answer()
        if tryton:
            report["tryton"] = tryton.answer()
        chunks = [c for c in CHUNKS if c[1] in workers]
        load_before = os.getloadavg()
        started_at = datetime.now(timezone.utc)
        rounds: list[dict] = []
        started = time.perf_counter()
        while True:
            shift = len(rounds) % len(chunks)
            this = {}
            for contestant, worker, kind in chunks[shift:] + chunks[:shift]:
                this[contestant] = workers[worker].ask({"op": "run", "kind": kind, "seconds": args.chunk_seconds})
            rounds.append(this)
            print(f"round {len(rounds)}: " + ", ".join(f"{c} {r['n'] / r['wall']:.1f}/s" for c, r in this.items()),
                  file=sys.stderr)
            if (args.rounds and len(rounds) >= args.rounds) or (
                    not args.rounds and time.perf_counter() - started >= args.duration):
                break
        report.update(load_before=load_before, load_after=os.getloadavg(), started=started_at,
                      finished=datetime.now(timezone.utc), rounds=rounds, check=orderloop.ask({"op": "check"}))
        if tryton:
            report["tryton_check"] = tryton.ask({"op": "check"})
    finally:
        for worker in workers.values():
            try:
                worker.quit()
            except Exception:  # noqa: BLE001 — a worker that failed already said why on stderr
                os.killpg(worker.process.pid, 9)
    return summarise(report)


def summarise(report: dict) -> dict:
    rounds = report["rounds"]
    pooled = {}
    for contestant in rounds[0]:
        n = sum(r[contestant]["n"] for r in rounds)
        wall = sum(r[contestant]["wall"] for r in rounds)
        cpu = sum(r[contestant]["cpu"] for r in rounds)
        pooled[contestant] = {"lifecycles": n, "seconds": wall, "per_s": n / wall, "ms": 1000 * wall / n,
                              "cpu_ms": 1000 * cpu / n}
    ratios = []
    for name, top, bottom, target_text, target, higher in RATIOS:
        if top not in pooled or bottom not in pooled:
            continue
        per_round = [(r[top]["n"] / r[top]["wall"]) / (r[bottom]["n"] / r[bottom]["wall"]) for r in rounds]
        q1, median, q3 = quartiles(per_round)
        ratios.append({"name": name, "pooled": pooled[top]["per_s"] / pooled[bottom]["per_s"], "median": median,
                       "q1": q1, "q3": q3, "target_text": target_text, "target": target, "higher": higher})
    report["pooled"], report["ratios"] = pooled, ratios
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--duration", type=float, default=300, help="seconds of alternating chunks (whole rounds)")
    parser.add_argument("--rounds", type=int, default=0, help="stop after this many rounds instead (tests)")
    parser.add_argument("--chunk-seconds", type=float, default=1.0, help="each chunk: at least one lifecycle")
    parser.add_argument("--warmup", type=int, default=20, help="lifecycles of each kind before the clock starts")
    parser.add_argument("--trace-orders", type=int, default=5, help="lifecycles traced for statements and rows")
    parser.add_argument("--profile-orders", type=int, default=50)
    parser.add_argument("--no-tryton", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, don't write bench/results/lifecycle.md")
    parser.add_argument("--worker", choices=["orderloop", "floor"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "orderloop":
        return orderloop_worker(args)
    if args.worker == "floor":
        return floor_worker(args)

    report = drive(args)
    report["machine"], report["args"] = machine(), vars(args)
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / f"lifecycle-{args.engine}.json").write_text(json.dumps(report, indent=1, default=str))
    section = render(report, " ".join([".venv/bin/python", "bench/lifecycle.py", *sys.argv[1:]]))
    if args.no_write:
        print(section)
    else:
        write_section(args.engine, section)
        print(f"wrote the {args.engine} section of {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    print(json.dumps({"check": report["check"], "tryton_check": report.get("tryton_check"),
                      "pooled": report["pooled"]}, default=str))


# --- the results file -------------------------------------------------------------------------------------------

def verdict(ratio: dict) -> str:
    if ratio["target"] is None:
        return ""
    ok = ratio["pooled"] >= ratio["target"] if ratio["higher"] else ratio["pooled"] <= ratio["target"]
    return "**met**" if ok else "**not met**"


def floor_target(engine: str) -> tuple[str, float]:
    return ("≤ 3×", 3.0) if engine == "postgres" else ("≤ 5×", 5.0)


def render(r: dict, command: str) -> str:
    e = r["engine"] if "engine" in r else r["args"]["engine"]
    ol, fl, tr = r["orderloop"], r["floor"], r.get("tryton")
    v, m = ol["versions"], r["machine"]
    name = "SQLite" if e == "sqlite" else "PostgreSQL"
    engine_version = f"SQLite {v['sqlite']} (WAL, synchronous=NORMAL)" if e == "sqlite" else (
        f"PostgreSQL {v['postgresql']} (fsync={v['fsync']}, synchronous_commit={v['synchronous_commit']})")
    text, target = floor_target(e)
    for ratio in r["ratios"]:
        if ratio["name"].endswith("order-to-cash, every statement"):
            ratio.update(target_text=text, target=target)
    rounds = r["rounds"]
    out = [f"## {name}", "", f"`{command}`", "",
           f"- date: {r['started']:%Y-%m-%d %H:%M} – {r['finished']:%H:%M} UTC; load average (1/5/15 min) before "
           f"{'/'.join(f'{x:.2f}' for x in r['load_before'])}, after {'/'.join(f'{x:.2f}' for x in r['load_after'])}",
           f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM (shared)",
           f"- versions: Python {v['python']}, Django {v['django']}, {engine_version}; floor through {fl['driver']}"
           + (f"; trytond {tr['trytond']}, trytond-sale {tr['sale']}, trytond-account-invoice {tr['account_invoice']} "
              f"(Python {tr['python']}), database cloned from its template for this run" if tr else ""),
           f"- {len(rounds)} rounds of {len(rounds[0])} alternating chunks of ≥ {r['args']['chunk_seconds']:g} s "
           f"(the order rotated every round), each worker warmed up by {r['args']['warmup']} lifecycles of each kind",
           "", "| contestant | lifecycles | per second (pooled) | ms per lifecycle | CPU ms of the process | "
           "statements per lifecycle |", "|---|---:|---:|---:|---:|---:|"]
    for contestant, p in r["pooled"].items():
        if contestant.startswith("orderloop"):
            k = ol["kinds"]["sale" if contestant.endswith("sale") else "o2c"]
            statements = f"{k['statements_total']:.0f} ({k['statements'].get('SELECT', 0):g} SELECT), {k['commits']:g} commits"
        elif contestant.startswith("floor"):
            plan = fl["plans"][next(c[2] for c in CHUNKS if c[0] == contestant)]
            statements = f"{plan['statements']} ({plan['selects']} SELECT), {plan['transactions']} commits"
        else:
            chunks = [rd[contestant] for rd in rounds]
            statements = f"{sum(c['queries'] for c in chunks) / sum(c['n'] for c in chunks):.0f}, 1 commit"
        out.append(f"| {contestant} | {p['lifecycles']} | **{p['per_s']:.2f}** | {p['ms']:.2f} | {p['cpu_ms']:.2f} | "
                   f"{statements} |")
    out += ["", "| ratio | pooled | per round: median (IQR) | Done-when 1 | |", "|---|---:|---:|---|---|"]
    for ratio in r["ratios"]:
        out.append(f"| {ratio['name']} | **{ratio['pooled']:.2f}×** | {ratio['median']:.2f}× "
                   f"({ratio['q1']:.2f}–{ratio['q3']:.2f}) | {ratio['target_text'] or ''} | {verdict(ratio)} |")
    c = r["check"]
    out += ["", f"After the run: orderloop sale orders {c['sale']['closed']} of {c['sale']['orders']} closed, "
            f"{c['sale']['with_a_plan']} with a payment plan; order-to-cash orders {c['o2c']['closed']} of "
            f"{c['o2c']['orders']} closed, {c['o2c']['with_a_plan']} with a plan, {c['o2c']['open_instalments']} "
            "instalments open (the floor's replayed orders counted in)."
            + (f" Tryton: {r['tryton_check']['o2c_paid']} of {r['tryton_check']['o2c']} order-to-cash sales done with "
               f"their invoice paid, {r['tryton_check']['sale_processing']} of {r['tryton_check']['sale']} sales "
               f"processing with the shipment sent; {sum(rd[k]['restarts'] for rd in rounds for k in rd if k.startswith('Tryton'))} "
               "transactions restarted for a lock during the run." if tr else "")]
    for kind, label in (("o2c", "order-to-cash"), ("sale", "sale")):
        k = ol["kinds"][kind]
        out += ["", f"orderloop's {label} lifecycle, per lifecycle: " + ", ".join(
            f"{verb} {n:g}" for verb, n in k["statements"].items()) + f", {k['commits']:g} commits; rows written: "
            + ", ".join(f"{t} {'/'.join(f'{op[0]}{n:g}' for op, n in ops.items())}" for t, ops in k["rows"].items())
            + " (i insert, u update, d delete)."]
    p = ol["profile"]
    out += ["", f"Where orderloop's order-to-cash time goes: cProfile of {p['lifecycles']} lifecycles before the run "
            f"(own time per function, grouped; a built-in or standard-library function counted with its caller's group; "
            f"{p['ms_per_lifecycle']:.1f} ms per lifecycle under the profiler, "
            f"{p['instances_per_lifecycle']:.0f} model instances per lifecycle):", "",
            "| where | ms per lifecycle | share |", "|---|---:|---:|"]
    out += [f"| {group} | {ms:.2f} | {share:.0f} % |" for group, ms, share in p["groups"]]
    out += ["", "The functions with the most own time (ms and calls per lifecycle):", "", "```"]
    out += [f"{ms:7.2f} ms {calls:7.0f}×  {where}" for ms, calls, where in p["top"]]
    out += ["```"]
    return "\n".join(out) + "\n"


def write_section(engine: str, section: str) -> None:
    write_results_section(RESULTS, "lifecycle", engine, section, new_file=(
        "# Lifecycle throughput: orderloop vs Tryton vs the bare-driver floor\n\n"
        "Written by `bench/lifecycle.py` (one section per engine; the text outside the markers is kept).\n\n"
        "<!-- lifecycle:sqlite -->\n<!-- /lifecycle:sqlite -->\n\n<!-- lifecycle:postgres -->\n<!-- /lifecycle:postgres -->\n"))


if __name__ == "__main__":
    main()
