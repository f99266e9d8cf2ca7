#!/usr/bin/env python3
"""Tryton 8.2's sale lifecycle, in one process, one order after another: the peer of bench/lifecycle.py.

    python bench/tryton_lifecycle.py --engine sqlite --orders 200 [--warmup 20] [--runs 3] [--json]

Any Python runs it: it makes its own virtual environment (``TRYTON_VENV``, default /tmp/tryton-venv), installs
``trytond[postgresql]==8.2.1`` and ``trytond-sale==8.2.0`` from PyPI into it, and runs itself again there.
Then it makes a database (SQLite file under ``--workdir``, or PostgreSQL database ``bench_lc_tryton`` at
``TRYTON_PG_URI``, default postgresql://postgres@127.0.0.1:5432/), activates ``sale`` with
``trytond-admin``, loads the master data (CNY, a company with an employee linked to the admin user, a
minimal chart of accounts with a fiscal year and periods, a stocked warehouse, a goods product, a
customer) and times, per order, in one transaction committed at its end:

    create (1 line) → quote → confirm → process → shipment assign_try/pick/pack/do → process

with ``invoice_method = manual``, as PEERS.md describes. ``confirm`` queues ``sale.process``; with no
queue worker we call it ourselves. Tryton asks for table/record locks by restarting the transaction
(``TransactionError``); we learn them on the warm-up orders and ask for them up front after that, and
count any restart that still happens. The last line printed is a JSON object with the figures.
"""
import sys
import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

PINS = ["trytond[postgresql]==8.2.1", "trytond-sale==8.2.0"]
VENV = Path(os.environ.get("TRYTON_VENV", "/tmp/tryton-venv"))
PG_URI = os.environ.get("TRYTON_PG_URI", "postgresql://postgres@127.0.0.1:5432/")
DB_NAME = "bench_lc_tryton"


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    ok = python.exists() and subprocess.run(
        [str(python), "-c", "import trytond, trytond.modules.sale, psycopg; assert trytond.__version__ == '8.2.1'"],
        capture_output=True).returncode == 0
    if not ok:
        print(f"installing {' '.join(PINS)} into {VENV} …", file=sys.stderr)
        base = os.environ.get("TRYTON_BASE_PYTHON", "python3")
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PINS], check=True)
    return python


# --- everything below runs inside the Tryton venv --------------------------------------------------


def write_config(engine: str, workdir: Path) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / f"trytond-{engine}.conf"
    if engine == "sqlite":
        (workdir / "tryton-sqlite").mkdir(exist_ok=True)
        uri, extra = "sqlite://", f"path = {workdir / 'tryton-sqlite'}\n"
    else:
        uri, extra = PG_URI, ""
    conf.write_text(f"[database]\nuri = {uri}\n{extra}")
    return conf


def database_ready(engine: str, workdir: Path) -> bool:
    if engine == "sqlite":
        import sqlite3
        path = workdir / "tryton-sqlite" / f"{DB_NAME}.sqlite"
        if not path.exists() or path.stat().st_size == 0:
            path.touch()
            return False
        with sqlite3.connect(path) as db:
            try:
                return db.execute("select state from ir_module where name='sale'").fetchone() == ("activated",)
            except sqlite3.Error:
                return False
    import psycopg
    with psycopg.connect(PG_URI + "postgres", autocommit=True) as db:
        if not db.execute("select 1 from pg_database where datname=%s", (DB_NAME,)).fetchone():
            db.execute(f'create database "{DB_NAME}"')
            return False
    with psycopg.connect(PG_URI + DB_NAME) as db:
        try:
            return db.execute("select state from ir_module where name='sale'").fetchone() == ("activated",)
        except psycopg.Error:
            return False


def activate(conf: Path) -> None:
    started = time.perf_counter()
    # A new database asks for the admin's e-mail and password: give both, never a prompt.
    password = conf.with_name("admin-password")
    password.write_text("bench-admin\n")
    subprocess.run([str(Path(sys.executable).with_name("trytond-admin")), "-c", str(conf), "-d", DB_NAME,
                    "--all", "-u", "sale", "--activate-dependencies", "--email", "admin@example.com"],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL,
                   env={**os.environ, "TRYTONPASSFILE": str(password)})
    print(f"trytond-admin -u sale: {time.perf_counter() - started:.0f} s", file=sys.stderr)


def master_data():
    """Master data, once per database; returns the ids the lifecycle needs."""
    import datetime
    from decimal import Decimal

    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Party = pool.get("party.party")
    found = Party.search([("name", "=", "Bench customer")], limit=1)
    Product = pool.get("product.product")
    Company = pool.get("company.company")
    if found:
        product, = Product.search([("name", "=", "Bench server")], limit=1)
        company, = Company.search([], limit=1)
        user, = pool.get("res.user").search([("login", "=", "bench")])
        return {"customer": found[0].id, "product": product.id, "company": company.id, "user": user.id}

    Currency = pool.get("currency.currency")
    Rate = pool.get("currency.currency.rate")
    Employee = pool.get("company.employee")
    User = pool.get("res.user")
    currency, = Currency.create([{"name": "Yuan Renminbi", "code": "CNY", "symbol": "¥"}])
    Rate.create([{"currency": currency.id, "rate": Decimal(1), "date": datetime.date.min}])
    company_party, = Party.create([{"name": "Bench company", "addresses": [("create", [{}])]}])
    company = Company(party=company_party, currency=currency)
    company.save()
    employee_party, = Party.create([{"name": "Bench employee", "addresses": [("create", [{}])]}])
    employee = Employee(party=employee_party, company=company)
    employee.save()
    User.create([{"login": "bench", "name": "Bench user", "companies": [("add", [company.id])], "company": company.id,
                  "employees": [("add", [employee.id])], "employee": employee.id}])

    with Transaction().set_context(company=company.id, employee=employee.id):
        # a minimal chart of accounts from the generic template, a fiscal year and its periods
        AccountTemplate = pool.get("account.account.template")
        ModelData = pool.get("ir.model.data")
        CreateChart = pool.get("account.create_chart", type="wizard")
        Account = pool.get("account.account")
        template = AccountTemplate(ModelData.get_id("account", "account_template_root_en"))
        session_id, _, _ = CreateChart.create()
        wizard = CreateChart(session_id)
        wizard.account.account_template = template
        wizard.account.company = company
        wizard.transition_create_account()
        state = wizard.states["properties"]
        for name, value in state.get_defaults(wizard, "properties", list(wizard.properties._fields)).items():
            if name in wizard.properties._fields:
                setattr(wizard.properties, name, value)
        if not wizard.properties.account_receivable:
            wizard.properties.account_receivable, = Account.search([
                ("type.receivable", "=", True), ("party_required", "=", True), ("company", "=", company.id)], limit=1)
        if not wizard.properties.account_payable:
            wizard.properties.account_payable, = Account.search([
                ("type.payable", "=", True), ("party_required", "=", True), ("company", "=", company.id)], limit=1)
        wizard.transition_create_properties()

        Sequence = pool.get("ir.sequence.strict")
        SequenceType = pool.get("ir.sequence.type")
        FiscalYear = pool.get("account.fiscalyear")
        today = datetime.date.today()
        for year in (today.year, today.year + 1):
            sequence_type, = SequenceType.search([("name", "=", "Account Move")], limit=1)
            sequence, = Sequence.create([{"name": str(year), "sequence_type": sequence_type.id, "company": company.id}])
            fiscalyear = FiscalYear(name=str(year), company=company, start_date=datetime.date(year, 1, 1),
                                    end_date=datetime.date(year, 12, 31), move_sequence=sequence)
            fiscalyear.save()
            FiscalYear.create_period([fiscalyear])

        Category = pool.get("product.category")
        revenue, = Account.search([("type.revenue", "=", True), ("company", "=", company.id)], limit=1)
        expense, = Account.search([("type.expense", "=", True), ("company", "=", company.id)], limit=1)
        category = Category(name="Bench accounting", accounting=True, account_revenue=revenue, account_expense=expense)
        category.save()
        Uom = pool.get("product.uom")
        unit, = Uom.search([("name", "=", "Unit")], limit=1)
        Template = pool.get("product.template")
        template = Template(name="Bench server", default_uom=unit, sale_uom=unit, type="goods", salable=True,
                            list_price=Decimal("5000"), account_category=category)
        template.products = [Product(cost_price=Decimal("4000"))]
        template.save()
        product, = template.products

        Location = pool.get("stock.location")
        Inventory = pool.get("stock.inventory")
        InventoryLine = pool.get("stock.inventory.line")
        storage, = Location.search([("code", "=", "STO")], limit=1)
        inventory = Inventory(location=storage, company=company)
        inventory.lines = [InventoryLine(product=product, quantity=10_000_000.0, expected_quantity=0.0)]
        inventory.save()
        Inventory.confirm([inventory])

        customer, = Party.create([{"name": "Bench customer", "addresses": [("create", [{"street": "Road 1"}])]}])
    user, = User.search([("login", "=", "bench")])
    return {"customer": customer.id, "product": product.id, "company": company.id, "user": user.id}


class Counter:
    """Counts the SQL statements Tryton sends, by wrapping the cursors of its connections."""
    count = 0


def install_query_counter(engine: str) -> None:
    if engine == "sqlite":
        from trytond.backend.sqlite import database as sqlite_db
        original = sqlite_db.SQLiteCursor.execute

        def execute(self, *args, **kwargs):
            Counter.count += 1
            return original(self, *args, **kwargs)
        sqlite_db.SQLiteCursor.execute = execute
    else:
        from trytond.backend.postgresql import database as pg_db
        original = pg_db.LoggingCursor.execute

        def execute(self, *args, **kwargs):
            Counter.count += 1
            return original(self, *args, **kwargs)
        pg_db.LoggingCursor.execute = execute


def run(args) -> dict:
    from trytond import config
    workdir = Path(args.workdir)
    conf = write_config(args.engine, workdir)
    config.update_etc(str(conf))
    if not database_ready(args.engine, workdir):
        activate(conf)
    from decimal import Decimal

    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    Pool.start()
    pool = Pool(DB_NAME)
    pool.init()
    setup_extras: dict = {}
    while True:  # root loads the master data, with the locks Tryton asks for
        try:
            with Transaction().start(DB_NAME, 0, **setup_extras):
                ids = master_data()
            break
        except TransactionError as error:
            error.fix(setup_extras)
    admin = ids["user"]  # the user who sells: in the company, linked to its employee
    with Transaction().start(DB_NAME, admin, readonly=True):
        context = dict(pool.get("res.user").get_preferences(context_only=True))
    try:
        install_query_counter(args.engine)
        counted = True
    except Exception:  # a Tryton without the cursor class we expect: no query count
        counted = False

    Sale = pool.get("sale.sale")
    SaleLine = pool.get("sale.line")
    ShipmentOut = pool.get("stock.shipment.out")
    Party = pool.get("party.party")
    Product = pool.get("product.product")
    extras: dict = {}
    restarts = 0

    def lifecycle() -> None:
        nonlocal restarts
        while True:
            try:
                with Transaction().start(DB_NAME, admin, context=context, **extras) as transaction:
                    customer = Party(ids["customer"])
                    sale = Sale(party=customer)
                    sale.on_change_party()
                    sale.invoice_method, sale.shipment_method = "manual", "order"  # invoicing left out
                    line = SaleLine(product=Product(ids["product"]), quantity=1.0)
                    line.sale = sale
                    line.on_change_product()
                    line.unit_price = Decimal("5000")
                    sale.lines = [line]
                    sale.save()
                    Sale.quote([sale])
                    Sale.confirm([sale])
                    transaction.tasks.clear()  # no queue worker: we run sale.process ourselves
                    Sale.process([sale])
                    shipment, = sale.shipments
                    ShipmentOut.assign_try([shipment])
                    ShipmentOut.pick([shipment])
                    ShipmentOut.pack([shipment])
                    ShipmentOut.do([shipment])
                    Sale.process([Sale(sale.id)])
                    sale = Sale(sale.id)
                    assert (sale.state, sale.shipment_state) == ("processing", "sent"), (sale.state, sale.shipment_state)
                return
            except TransactionError as error:  # Tryton wants a lock it did not have: ask for it from now on
                restarts += 1
                error.fix(extras)

    for _ in range(args.warmup):
        lifecycle()
    restarts_after_warmup_start = restarts
    runs = []
    for _ in range(args.runs):
        queries_before = Counter.count
        started = time.perf_counter()
        for _ in range(args.orders):
            lifecycle()
        elapsed = time.perf_counter() - started
        runs.append({"seconds": elapsed, "orders_per_s": args.orders / elapsed, "ms_per_order": elapsed * 1000 / args.orders,
                     "queries_per_order": (Counter.count - queries_before) / args.orders if counted else None})
    median = statistics.median(r["orders_per_s"] for r in runs)
    import trytond
    return {
        "engine": args.engine, "orders": args.orders, "warmup": args.warmup, "runs": runs,
        "orders_per_s": median, "ms_per_order": 1000 / median,
        "queries_per_order": statistics.median(r["queries_per_order"] for r in runs) if counted else None,
        "restarts_after_warmup": restarts - restarts_after_warmup_start, "locks_asked_up_front": extras_repr(extras),
        "trytond": trytond.__version__, "python": sys.version.split()[0],
    }


def extras_repr(extras: dict) -> dict:
    return {"tables": sorted(map(str, extras.get("_lock_tables", []))),
            "record_tables": sorted(map(str, extras.get("_lock_records", {})))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/lc-bench/tryton")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    if not _in_venv():
        python = ensure_venv()
        os.execv(str(python), [str(python), os.path.abspath(__file__), *sys.argv[1:]])
    import logging
    logging.basicConfig(level=logging.WARNING)
    result = run(args)
    if not args.json:
        for r in result["runs"]:
            print(f"  {r['orders_per_s']:.2f} orders/s, {r['ms_per_order']:.1f} ms/order", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
