#!/usr/bin/env python
"""Going live (issue #25): 10,000 customers, then 1,000 orders in flight over every open stage, imported from
.xlsx as the administrator does it (``golive.services.import_file``: read, check, preview, write in one
transaction), on SQLite and on PostgreSQL. Each engine runs in a process of its own on an empty migrated
database, so its peak memory (ru_maxrss) is the import's and not the other engine's.

    .venv/bin/python bench/golive_import.py                       # both engines, the issue's sizes
    .venv/bin/python bench/golive_import.py --customers 500 --orders 50 --no-write   # a small run

Targets: the customers and the orders together < 60 s and the process < 500 MB, per engine. With ``--write``
(the default) bench/results/golive.md is replaced and docs/benchmarks.md regenerated (bench/report.py).
"""
import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "golive.md"
PG = "postgres://postgres@127.0.0.1:5432/bench_golive"
TARGET_SECONDS, TARGET_MB = 60, 500
PRODUCTS = 200
OWNERS = 20


def uscc(serial: int) -> str:
    from orderloop.masterdata.uscc import uscc_check_char

    first17 = f"91110108{serial:09d}"
    return first17 + uscc_check_char(first17)


def sheet(header: list[str], rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet()
    page.append(header)
    for row in rows:
        page.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def customers_file(count: int) -> bytes:
    header = ["客户名称", "统一社会信用代码", "地址", "联系人", "联系方式", "信用额度(元)", "客户经理", "付款方式"]
    return sheet(header, ([f"客户{n:05d}有限公司", uscc(n), f"北京市海淀区{n}号", f"联系人{n}", f"138{n:08d}", 500000,
                           f"am{n % OWNERS}", "30%预付,余款到付"] for n in range(count)))


def products_file() -> bytes:
    return sheet(["产品/服务名称", "规格型号", "单位", "单价(元)", "成本价(元)"],
                 ([f"产品{n}", f"P-{n:04d}", "台", 1000 + n, 700 + n] for n in range(PRODUCTS)))


def orders_file(count: int, customers: int) -> bytes:
    from orderloop.golive.orders import COLUMNS, STAGES

    stages = list(STAGES)
    rows = []
    month_serial: dict[str, int] = {}
    for n in range(count):
        month = f"2026{(n % 6) + 6:02d}"
        month_serial[month] = month_serial.get(month, 0) + 1
        number = f"{month}-{month_serial[month]:03d}"
        stage = stages[n % len(stages)]
        for line in range(3):
            values = {"订单编号": number, "客户名称": f"客户{(n * 7) % customers:05d}有限公司", "联系人": f"联系人{n}",
                      "联系方式": f"139{n:08d}", "下单日期": f"{month[:4]}-{month[4:]}-05", "规格型号": f"P-{(n + line) % PRODUCTS:04d}",
                      "数量": 1 + line, "付款方式": "30%预付,余款到付", "交付地址": "上海市浦东新区1号",
                      "交付日期": "2026-12-20", "销售负责人": f"am{n % OWNERS}", "当前阶段": stage}
            rows.append([values.get(column, "") for column in COLUMNS])
    return sheet(COLUMNS, rows)


def people_create():
    """The administrator who imports, and the account managers the sheets name (am0 …); returns the administrator."""
    from django.contrib.auth.models import Group

    from orderloop.accounts.models import User

    admin = User.objects.create_user("admin", password="x", display_name="管理员")
    admin.groups.add(Group.objects.get_or_create(name="admin")[0])
    managers = Group.objects.get_or_create(name="account_manager")[0]
    for n in range(OWNERS):
        User.objects.create_user(f"am{n}", password="x", display_name=f"客户经理{n}").groups.add(managers)
    return admin


def measure(engine: str, customers: int, orders: int) -> dict:
    """One engine, in this process: a fresh database, the users, then the timed imports."""
    work = Path(tempfile.mkdtemp(prefix=f"golive-bench-{engine}-"))
    os.environ["ORDERLOOP_VAR_DIR"] = str(work)
    os.environ["DJANGO_SETTINGS_MODULE"] = "orderloop.config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if engine == "postgresql":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
            db.execute('DROP DATABASE IF EXISTS "bench_golive" WITH (FORCE)')
            db.execute('CREATE DATABASE "bench_golive"')
        os.environ["DATABASE_URL"] = PG
    import django

    django.setup()
    from django.core.management import call_command

    from orderloop.golive.services import import_file

    call_command("migrate", verbosity=0)
    admin = people_create()
    files = {"customers": customers_file(customers), "products": products_file(), "orders": orders_file(orders, customers)}
    figures = {}
    for kind in ("customers", "products", "orders"):
        started = time.perf_counter()
        run = import_file(actor=admin, kind=kind, content=files[kind], filename=f"{kind}.xlsx")
        figures[kind] = time.perf_counter() - started
        if run.summary["errors"]:
            raise SystemExit(f"{kind}: {list(run.summary['errors'].items())[:5]}")
        figures[f"{kind}_created"] = run.summary["create"]
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["bytes"] = {kind: len(files[kind]) for kind in files}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)  # one engine, here
    parser.add_argument("--no-write", dest="write", action="store_false")
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(measure(args.engine, args.customers, args.orders)))
        return
    results = {}
    for engine in ("sqlite", "postgresql"):
        out = subprocess.run([sys.executable, __file__, "--engine", engine, "--customers", str(args.customers),
                              "--orders", str(args.orders)], capture_output=True, text=True, check=True).stdout
        results[engine] = json.loads(out.strip().splitlines()[-1])
        print(engine, results[engine])
    if args.write:
        write(results, args)


def write(results: dict, args) -> None:
    info = machine()
    load = os.getloadavg()[0]
    lines = [f"Command: `.venv/bin/python bench/golive_import.py` ({args.customers:,} customers, {PRODUCTS} products, "
             f"{args.orders:,} orders of 3 lines over every open stage). Machine: {info['cpu']}, {info['cores']} cores, "
             f"{info['ram']}; load average {load:.1f} at the start; Python {platform.python_version()}; "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Each figure is the preview and the import of one file, as the "
             "page does them (the file read and checked twice), on an empty migrated database.", "",
             "| engine | customers | products | orders in flight | customers + orders | peak memory of the process |",
             "|---|---|---|---|---|---|"]
    for engine, f in results.items():
        total = f["customers"] + f["orders"]
        mark = "met" if total < TARGET_SECONDS and f["peak_mb"] < TARGET_MB else "NOT met"
        lines.append(f"| {engine} | {f['customers']:.1f} s | {f['products']:.1f} s | {f['orders']:.1f} s | "
                     f"**{total:.1f} s** ({mark}: < {TARGET_SECONDS} s, < {TARGET_MB} MB) | {f['peak_mb']:.0f} MB |")
    lines.append("")
    write_section(RESULTS, "golive", "both", "\n".join(lines) + "\n",
                  new_file="## Going live: importing customers and orders in flight (issue 25)\n")
    subprocess.run([sys.executable, str(ROOT / "bench" / "report.py")], check=True)


if __name__ == "__main__":
    main()
