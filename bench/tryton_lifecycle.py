#!/usr/bin/env python3
"""Tryton 8.2's sale and order-to-cash lifecycles, in one process: the peer worker of bench/lifecycle.py.

    python bench/tryton_lifecycle.py --worker --engine sqlite [--warmup 20] [--workdir /tmp/lc-bench/tryton]

Any Python runs it: it makes its own virtual environment (``TRYTON_VENV``, default /tmp/tryton-venv), installs
``trytond[postgresql]==8.2.1`` and ``trytond-sale==8.2.0`` (which brings account_invoice and
account_invoice_stock) from PyPI into it, and runs itself again there.

The database is fresh for each run: a template is made once — ``trytond-admin -u sale --activate-dependencies``,
then the master data (CNY, a company with an employee linked to the selling user, a minimal chart of accounts
with two fiscal years, their periods and invoice sequences, a cash journal's payment method, a stocked warehouse,
a goods product, a customer) — as PostgreSQL database ``bench_lc_tryton_template`` at ``TRYTON_PG_URI`` (default
postgresql://postgres@127.0.0.1:5432/) or a SQLite file under ``--workdir``; each run clones it
(``CREATE DATABASE … TEMPLATE …``, a file copy) into ``bench_lc_tryton`` (``TRYTON_TEMPLATE``, ``TRYTON_DB``). A database that keeps earlier runs'
orders grows its stock-move history, and ``assign_try`` sums that history: the peer would slow down run by run.

Per order, in one transaction committed at its end, as a user's buttons would run it:

- **sale**: create (1 line) → quote → confirm → process → shipment assign_try/pick/pack/do → process, with
  ``invoice_method = manual`` (invoicing left out), as shared/PEERS.md describes;
- **o2c** (order-to-cash): the same with Tryton's default ``invoice_method = order``: processing the confirmed
  sale makes its invoice, which is posted, then paid in full with the payment method as the pay wizard does
  (``Invoice.pay_invoice`` and the reconciliation of the invoice's lines to pay with the payment), the invoice
  processed to paid and the sale to done.

``confirm``, ``do``, posting and reconciling queue ``process`` calls; with no queue worker we run them ourselves
inside the order's transaction (the dispatcher would run them after the commit, in transactions of their own).
The queued printing of the posted invoice (its report rendered to the cache) is left out: a cost orderloop's
receipts do not have, so leaving it out favours Tryton. Tryton asks for table/record locks by restarting the
transaction (``TransactionError``); we learn them on the warm-up orders and ask for them up front after that,
and count any restart that still happens.

After warming up it prints one JSON line (ready) and answers each command line on stdin (``{"op": "run",
"kind": "sale"|"o2c", "seconds": s}``: lifecycles until ``s`` seconds have passed, at least one; ``{"op":
"check"}``; ``{"op": "quit"}``) with one JSON line.
"""
import sys
import argparse
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

PINS = ["trytond[postgresql]==8.2.1", "trytond-sale==8.2.0"]
VENV = Path(os.environ.get("TRYTON_VENV", "/tmp/tryton-venv"))
PG_URI = os.environ.get("TRYTON_PG_URI", "postgresql://postgres@127.0.0.1:5432/")
DB_NAME = os.environ.get("TRYTON_DB", "bench_lc_tryton")
TEMPLATE = os.environ.get("TRYTON_TEMPLATE", "bench_lc_tryton_template")


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


def _sqlite_file(workdir: Path, name: str) -> Path:
    return workdir / "tryton-sqlite" / f"{name}.sqlite"


def template_ready(engine: str, workdir: Path) -> bool:
    """Whether the template has ``sale`` activated and its master data loaded (the payment method is the last)."""
    query = "select 1 from account_invoice_payment_method where name = 'Bench cash'"
    if engine == "sqlite":
        import sqlite3
        path = _sqlite_file(workdir, TEMPLATE)
        if not path.exists() or path.stat().st_size == 0:
            return False
        with sqlite3.connect(path) as db:
            try:
                return db.execute(query).fetchone() is not None
            except sqlite3.Error:
                return False
    import psycopg
    with psycopg.connect(PG_URI + "postgres", autocommit=True) as db:
        if not db.execute("select 1 from pg_database where datname=%s", (TEMPLATE,)).fetchone():
            return False
    with psycopg.connect(PG_URI + TEMPLATE) as db:
        try:
            return db.execute(query).fetchone() is not None
        except psycopg.Error:
            return False


def make_template(engine: str, workdir: Path, conf: Path) -> None:
    """An empty database, ``sale`` activated in it, then the master data (in a process of its own, so that this one
    keeps no connection to the template)."""
    if engine == "sqlite":
        path = _sqlite_file(workdir, TEMPLATE)
        path.unlink(missing_ok=True)
        path.touch()
    else:
        import psycopg
        with psycopg.connect(PG_URI + "postgres", autocommit=True) as db:
            db.execute(f'drop database if exists "{TEMPLATE}" with (force)')
            db.execute(f'create database "{TEMPLATE}"')
    activate(conf, TEMPLATE)
    subprocess.run([sys.executable, os.path.abspath(__file__), "--engine", engine, "--workdir", str(workdir),
                    "--master-data"], check=True)


def clone(engine: str, workdir: Path) -> None:
    """This run's database: a copy of the template."""
    if engine == "sqlite":
        shutil.copyfile(_sqlite_file(workdir, TEMPLATE), _sqlite_file(workdir, DB_NAME))
        return
    import psycopg
    with psycopg.connect(PG_URI + "postgres", autocommit=True) as db:
        db.execute(f'drop database if exists "{DB_NAME}" with (force)')
        db.execute(f'create database "{DB_NAME}" template "{TEMPLATE}"')


def activate(conf: Path, name: str) -> None:
    started = time.perf_counter()
    # A new database asks for the admin's e-mail and password: give both, never a prompt.
    password = conf.with_name("admin-password")
    password.write_text("bench-admin\n")
    done = subprocess.run([str(Path(sys.executable).with_name("trytond-admin")), "-c", str(conf), "-d", name,
                           "--all", "-u", "sale", "--activate-dependencies", "--email", "admin@example.com"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**os.environ, "TRYTONPASSFILE": str(password)})
    if done.returncode:
        raise RuntimeError(f"trytond-admin failed:\n{done.stderr[-3000:]}")
    print(f"trytond-admin -u sale: {time.perf_counter() - started:.0f} s", file=sys.stderr)


def load_master_data(name: str) -> dict:
    """Master data in database ``name`` as root, with the locks Tryton asks for; the ids the lifecycles need."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    Pool.start()
    Pool(name).init()
    extras: dict = {}
    while True:
        try:
            with Transaction().start(name, 0, **extras):
                return master_data()
        except TransactionError as error:
            error.fix(extras)


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
        method, = pool.get("account.invoice.payment.method").search([("name", "=", "Bench cash")])
        return {"customer": found[0].id, "product": product.id, "company": company.id, "user": user.id,
                "payment_method": method.id}

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
            invoice_type, = SequenceType.search([("name", "=", "Invoice")], limit=1)
            numbers, = Sequence.create([{"name": f"Invoices {year}", "sequence_type": invoice_type.id,
                                         "company": company.id}])
            pool.get("account.fiscalyear.invoice_sequence").create([{
                "company": company.id, "fiscalyear": fiscalyear.id, "out_invoice_sequence": numbers.id,
                "out_credit_note_sequence": numbers.id, "in_invoice_sequence": numbers.id,
                "in_credit_note_sequence": numbers.id}])

        Category = pool.get("product.category")
        # postable accounts (not a closed summary account): invoice lines are checked against them
        revenue, = Account.search([("type.revenue", "=", True), ("closed", "!=", True), ("company", "=", company.id)],
                                  limit=1)
        expense, = Account.search([("type.expense", "=", True), ("closed", "!=", True), ("company", "=", company.id)],
                                  limit=1)
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

        # how the customer pays: cash into the cash account, through the cash journal
        Journal = pool.get("account.journal")
        journal, = Journal.search([("type", "=", "cash")], limit=1)
        cash = Account.search([("code", "=", "1.1.1"), ("company", "=", company.id)], limit=1) or Account.search([
            ("type.receivable", "=", False), ("type.payable", "=", False), ("type.revenue", "=", False),
            ("type.expense", "=", False), ("type", "!=", None), ("closed", "!=", True), ("company", "=", company.id)],
            limit=1)
        method, = pool.get("account.invoice.payment.method").create([{
            "company": company.id, "name": "Bench cash", "journal": journal.id, "credit_account": cash[0].id,
            "debit_account": cash[0].id}])
    user, = User.search([("login", "=", "bench")])
    return {"customer": customer.id, "product": product.id, "company": company.id, "user": user.id,
            "payment_method": method.id}


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


def worker(args) -> None:
    from trytond import config
    workdir = Path(args.workdir)
    conf = write_config(args.engine, workdir)
    config.update_etc(str(conf))
    if args.master_data:  # a step of make_template, in its own process
        load_master_data(TEMPLATE)
        return
    if not template_ready(args.engine, workdir):
        make_template(args.engine, workdir, conf)
    clone(args.engine, workdir)
    from decimal import Decimal

    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError

    Pool.start()
    pool = Pool(DB_NAME)
    ids = load_master_data(DB_NAME)  # found, not made: read from the clone
    admin = ids["user"]  # the user who sells: in the company, linked to its employee
    with Transaction().start(DB_NAME, admin, readonly=True):
        context = dict(pool.get("res.user").get_preferences(context_only=True))
    install_query_counter(args.engine)

    Sale = pool.get("sale.sale")
    SaleLine = pool.get("sale.line")
    ShipmentOut = pool.get("stock.shipment.out")
    Invoice = pool.get("account.invoice")
    MoveLine = pool.get("account.move.line")
    PaymentMethod = pool.get("account.invoice.payment.method")
    Party = pool.get("party.party")
    Product = pool.get("product.product")
    Date = pool.get("ir.date")
    extras: dict = {}
    restarts = 0

    def order_to_cash(transaction, kind: str) -> None:
        customer = Party(ids["customer"])
        sale = Sale(party=customer)
        sale.on_change_party()
        sale.invoice_method = "manual" if kind == "sale" else "order"
        sale.shipment_method = "order"
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
        transaction.tasks.clear()
        shipment, = sale.shipments
        ShipmentOut.assign_try([shipment])
        ShipmentOut.pick([shipment])
        ShipmentOut.pack([shipment])
        ShipmentOut.do([shipment])
        transaction.tasks.clear()
        Sale.process([Sale(sale.id)])
        transaction.tasks.clear()
        sale = Sale(sale.id)
        if kind == "sale":
            assert (sale.state, sale.shipment_state) == ("processing", "sent"), (sale.state, sale.shipment_state)
            return
        invoice, = sale.invoices
        Invoice.post([invoice])
        transaction.tasks.clear()  # its printing: left out (see the docstring)
        invoice = Invoice(invoice.id)
        amount = invoice.amount_to_pay
        # the pay wizard's transition_pay, paying the whole amount: the payment's move, then reconciliation
        to_reconcile, remainder = invoice.get_reconcile_lines_for_amount(amount, invoice.currency)
        assert remainder == 0, remainder
        payment = invoice.pay_invoice(amount, PaymentMethod(ids["payment_method"]), Date.today())
        MoveLine.reconcile(to_reconcile + payment)
        transaction.tasks.clear()
        Invoice.process([invoice])
        transaction.tasks.clear()
        Sale.process([Sale(sale.id)])
        transaction.tasks.clear()
        sale, invoice = Sale(sale.id), Invoice(invoice.id)
        assert (sale.state, invoice.state) == ("done", "paid"), (sale.state, invoice.state)

    def lifecycle(kind: str) -> None:
        nonlocal restarts
        while True:
            try:
                with Transaction().start(DB_NAME, admin, context=context, **extras) as transaction:
                    order_to_cash(transaction, kind)
                return
            except TransactionError as error:  # Tryton wants a lock it did not have: ask for it from now on
                restarts += 1
                error.fix(extras)

    for kind in ("sale", "o2c"):
        for _ in range(args.warmup):
            lifecycle(kind)
    import importlib.metadata

    import trytond
    ready = {"trytond": trytond.__version__, "python": sys.version.split()[0],
             "sale": importlib.metadata.version("trytond-sale"),
             "account_invoice": importlib.metadata.version("trytond-account-invoice"),
             "restarts_in_warmup": restarts, "locks_asked_up_front": extras_repr(extras)}

    def check() -> dict:
        with Transaction().start(DB_NAME, admin, context=context, readonly=True):
            sales = Sale.search([])
            out = {"sale": 0, "sale_processing": 0, "o2c": 0, "o2c_paid": 0}
            for sale in sales:
                if sale.invoice_method == "manual":
                    out["sale"] += 1
                    out["sale_processing"] += (sale.state, sale.shipment_state) == ("processing", "sent")
                else:
                    out["o2c"] += 1
                    out["o2c_paid"] += sale.state == "done" and all(i.state == "paid" for i in sale.invoices) and bool(
                        sale.invoices)
            return out

    def run(command: dict) -> dict:
        nonlocal restarts
        if command["op"] == "check":
            return check()
        restarts_before, queries_before = restarts, Counter.count
        n, started, cpu_started = 0, time.perf_counter(), time.process_time()
        while True:
            lifecycle(command["kind"])
            n += 1
            if time.perf_counter() - started >= command["seconds"]:
                break
        return {"n": n, "wall": time.perf_counter() - started, "cpu": time.process_time() - cpu_started,
                "queries": Counter.count - queries_before, "restarts": restarts - restarts_before}

    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever Tryton prints goes to stderr, not into the protocol
    sys.stdout = sys.stderr
    protocol.write(json.dumps(ready) + "\n")
    protocol.flush()
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "quit":
            break
        protocol.write(json.dumps(run(command)) + "\n")
        protocol.flush()


def extras_repr(extras: dict) -> dict:
    return {"tables": sorted(map(str, extras.get("_lock_tables", []))),
            "record_tables": sorted(map(str, extras.get("_lock_records", {})))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--warmup", type=int, default=20, help="lifecycles of each kind before answering")
    parser.add_argument("--workdir", default="/tmp/lc-bench/tryton")
    parser.add_argument("--worker", action="store_true", help="serve bench/lifecycle.py (the only mode)")
    parser.add_argument("--master-data", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not _in_venv():
        python = ensure_venv()
        os.execv(str(python), [str(python), os.path.abspath(__file__), *sys.argv[1:]])
    import logging
    logging.basicConfig(level=logging.WARNING)
    worker(args)


if __name__ == "__main__":
    main()
