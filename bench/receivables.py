#!/usr/bin/env python
"""Receivables ageing (应收账款账龄) at 1,000,000 orders on PostgreSQL: ``finance.receivables.ageing`` — the
page's, the API's and the files' one aggregate statement — by customer, by owner and by team, as finance (every
order) and as a sales manager (their team's), against one hand-written SQL statement with the same figures.

    .venv/bin/python bench/receivables.py                 # PostgreSQL, 1,000,000 orders
    .venv/bin/python bench/receivables.py --orders 2000 --runs 3 --no-write    # a small run

The database is ``bench_receivables_1m`` (``bench_receivables_<N>`` for other sizes) at 127.0.0.1:5432: migrated,
seeded with ``seed(orders=N)`` of bench/seed.py unless it holds exactly N orders, and then given payment plans,
receipts and allocations unless it has them (``finance_data``, plain SQL: a few minutes at 1,000,000 orders):

- every order from 确认 on (confirmed … closed) has two instalments, 30 % on confirmation (due two days after the
  order date) and 70 % on delivery (every third order: 30 days after it; no due date while undelivered);
- a receipt and its allocation for each instalment paid: deposits paid but for 2 % (40 % of the orders just
  confirmed); balances of closed orders paid in full for 85 %, half for 5 %, not at all for 10 %; of delivered
  orders 40 % paid. So about 190,000 instalments stay open, most of them long overdue: a collector's bad year,
  not a quiet one, for the ageing to have every bucket full.

``--all-open`` measures the worst case: every instalment of every planned order counted as open (1.7 million rows
instead of about 160,000), set for the run and restored after it; its section is written beside the other.

The rounds are interleaved (customer, owner, team, the manager's, the hand-written statement, then again) so a
change of the machine's speed touches all alike; each figure is the median of ``--runs`` rounds after a warm-up,
with the fastest and slowest. The figures of orderloop's and the hand-written statement must be the same, else
the run fails. With ``--write`` (the default) bench/results/receivables.md is replaced and docs/benchmarks.md
regenerated (bench/report.py).
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("RECEIVABLES_BENCH_DIR", "/tmp/receivables-bench"))
PG_HOST = os.environ.get("RECEIVABLES_PG_HOST", "127.0.0.1")
RESULTS = ROOT / "bench" / "results" / "receivables.md"
TARGET_MS = 1000


def configure(orders: int, fresh: bool) -> str:
    """Environment for Django, the database created if missing; returns the database's name."""
    import psycopg

    WORK.mkdir(parents=True, exist_ok=True)
    os.environ["ORDERLOOP_VAR_DIR"] = str(WORK)
    os.environ["DJANGO_SETTINGS_MODULE"] = "orderloop.config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    name = "bench_receivables_1m" if orders == 1_000_000 else f"bench_receivables_{orders}"
    with psycopg.connect(f"postgresql://postgres@{PG_HOST}:5432/postgres", autocommit=True) as db:
        if fresh:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@{PG_HOST}:5432/{name}"
    import django

    django.setup()
    return name


# --- the data ----------------------------------------------------------------------------------------------------

# The money is the seeder's (bench/seed.py: finance_data, finance_user), imported once Django is set up.


def ensure_data(orders: int) -> dict:
    """Migrate; seed the orders unless the database holds exactly ``orders``; then their money."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from orderloop.orders.models import SalesOrder

    have = SalesOrder.objects.count()
    data = {"seeded": False, "orders": have}
    if have != orders:
        if have:
            raise SystemExit(f"the database holds {have:,} orders, not {orders:,}: run again with --fresh")
        from bench.seed import seed

        result = seed(orders=orders, out=lambda line: print("  " + line, flush=True))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        data = {"seeded": True, "orders": orders, "seed_seconds": result["seconds"]}
    print("payment plans, receipts and allocations …", flush=True)
    from bench.seed import finance_data

    data["finance"] = finance_data()
    return data


def counts() -> dict:
    from django.db.models import Count, Q

    from orderloop.finance.models import Allocation, Instalment, Receipt

    instalments = Instalment.objects.aggregate(all=Count("pk"), open=Count("pk", filter=Q(is_open=True)))
    return {"instalments": instalments["all"], "open": instalments["open"], "receipts": Receipt.objects.count(),
            "allocations": Allocation.objects.count()}


# --- the hand-written statement ----------------------------------------------------------------------------------

HAND_SQL = """
SELECT o.customer_id,
       COALESCE(SUM(i.amount - i.received - i.written_off) FILTER (WHERE i.due_date IS NULL OR i.due_date >= %(today)s), 0),
       COALESCE(SUM(i.amount - i.received - i.written_off) FILTER (WHERE i.due_date < %(today)s AND i.due_date >= %(today)s - 30), 0),
       COALESCE(SUM(i.amount - i.received - i.written_off) FILTER (WHERE i.due_date < %(today)s - 30 AND i.due_date >= %(today)s - 60), 0),
       COALESCE(SUM(i.amount - i.received - i.written_off) FILTER (WHERE i.due_date < %(today)s - 60 AND i.due_date >= %(today)s - 90), 0),
       COALESCE(SUM(i.amount - i.received - i.written_off) FILTER (WHERE i.due_date < %(today)s - 90), 0),
       COUNT(*)
FROM finance_instalment i JOIN orders_salesorder o ON o.id = i.order_id
WHERE i.is_open
GROUP BY o.customer_id
"""


def hand_ageing(today: date) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(HAND_SQL, {"today": today})
        return {row[0]: (list(row[1:6]), row[6]) for row in cursor.fetchall()}


def plan_of(user, by: str, today: date) -> tuple[str, list[str]]:
    """EXPLAIN ANALYZE of orderloop's statement: its execution time and its costliest nodes."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orderloop.finance.receivables import _ageing_settings, ageing

    with CaptureQueriesContext(connection) as captured:
        ageing(user, by=by, today=today)
    sql = max((q for q in captured.captured_queries if "set_config" not in q["sql"]), key=lambda q: float(q["time"]))["sql"]
    with _ageing_settings(), connection.cursor() as cursor:  # as ageing runs it
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    execution = next((line.strip() for line in lines if line.strip().startswith("Execution Time")), "")
    nodes = []
    for line in lines:
        match = re.search(r"actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)", line)
        if match and "->" in line:
            total = float(match.group(1))  # per process: the leader and the workers run the same nodes at once
            nodes.append((total, line.split("(cost=")[0].strip().lstrip("-> ").strip()
                          + f" — {total:.0f} ms, {int(match.group(2)) * int(match.group(3)):,} rows"))
    nodes.sort(reverse=True)
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    return execution, [text for _total, text in nodes[:8]], len(statements)


def machine_and_versions() -> dict:
    import django
    from django.db import connection

    info = machine()
    versions = {"python": platform.python_version(), "django": django.get_version()}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        versions["postgresql"] = cursor.fetchone()[0]
    info["versions"] = versions
    return info


def all_open(opened: bool) -> None:
    """The worst case (``--all-open``): every instalment counted as open, paid or not; and back."""
    from django.db import connection

    with connection.cursor() as cursor:
        if opened:
            cursor.execute("UPDATE finance_instalment SET is_open = true WHERE NOT is_open")
        else:
            cursor.execute("UPDATE finance_instalment SET is_open = (received + written_off < amount) "
                           "WHERE is_open <> (received + written_off < amount)")
            # the partial indexes of open rows held every instalment meanwhile: back to their size
            cursor.execute("REINDEX INDEX instalment_open_due_idx")
            cursor.execute("REINDEX INDEX instalment_open_order_idx")
        cursor.execute("VACUUM ANALYZE finance_instalment")


def run(args) -> dict:
    name = configure(args.orders, args.fresh)
    print(f"database {name} …", flush=True)
    data = ensure_data(args.orders)
    if args.all_open:
        all_open(True)
        try:
            return measure(args, name, data)
        finally:
            all_open(False)
    return measure(args, name, data)


def measure(args, name: str, data: dict) -> dict:
    from orderloop.accounts.models import User
    from orderloop.core import clock
    from orderloop.finance.receivables import BUCKET_KEYS, ageing

    today = date.fromisoformat(args.today) if args.today else clock.today()
    from bench.seed import finance_user

    finance = finance_user()
    manager = User.objects.filter(groups__name="sales_manager", managed_teams__isnull=False).order_by("pk").first()
    size = counts()
    from django.db import connection

    with connection.cursor() as cursor:  # again: a VACUUM while another transaction was open left pages unmarked
        cursor.execute("VACUUM ANALYZE finance_instalment")
        cursor.execute("SELECT relallvisible::float / GREATEST(relpages, 1) FROM pg_class WHERE relname = 'finance_instalment'")
        size["all_visible"] = cursor.fetchone()[0]
    print(f"{data['orders']:,} orders, {size['instalments']:,} instalments ({size['open']:,} open), "
          f"{size['receipts']:,} receipts, on {today}", flush=True)
    cases = {
        "finance, by customer": lambda: ageing(finance, by="customer", today=today),
        "finance, by owner": lambda: ageing(finance, by="owner", today=today),
        "finance, by team": lambda: ageing(finance, by="team", today=today),
        "a sales manager (their team), by customer": lambda: ageing(manager, by="customer", today=today),
        "one hand-written SQL statement (by customer)": lambda: hand_ageing(today),
    }
    results = {case: function() for case, function in cases.items()}  # warm-up
    times = {case: [] for case in cases}
    load_before = os.getloadavg()
    for _round in range(args.runs):  # interleaved
        for case, function in cases.items():
            t0 = time.perf_counter()
            results[case] = function()
            times[case].append((time.perf_counter() - t0) * 1000)
    load_after = os.getloadavg()
    ours = results["finance, by customer"]
    hand = results["one hand-written SQL statement (by customer)"]
    mine = {row.key: ([row.amounts[key] for key in BUCKET_KEYS], row.instalments) for row in ours.rows}
    if mine != hand:
        differing = [key for key in set(mine) | set(hand) if mine.get(key) != hand.get(key)]
        print(f"THE FIGURES DIFFER for {len(differing)} customers, e.g. {differing[:5]}", file=sys.stderr)
        raise SystemExit(1)
    for case, runs in times.items():
        print(f"{case}: median {statistics.median(runs):.0f} ms (runs {', '.join(f'{t:.0f}' for t in runs)})", flush=True)
    total = ours.total
    return {"all_open": args.all_open, "database": name, "data": data, "size": size, "today": today, "runs": args.runs, "times": times,
            "plan": plan_of(finance, "customer", today), "load_before": load_before, "load_after": load_after,
            "machine": machine_and_versions(), "total": total, "groups": {
                case: len(result.rows) for case, result in results.items() if hasattr(result, "rows")}}


def section(r: dict, command: str) -> str:
    from orderloop.finance.receivables import BUCKETS

    m = r["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    load = " ".join(f"{x:.2f}" for x in r["load_before"]), " ".join(f"{x:.2f}" for x in r["load_after"])
    s, total = r["size"], r["total"]
    title = f"## PostgreSQL, {r['data']['orders']:,} orders"
    if r.get("all_open"):
        title += ", every instalment open (the worst case)"
    out = [title, "", "    " + command, "",
           f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {m['cpu']}, {m['cores']} cores, {m['ram']} RAM · {versions} · "
           f"database `{r['database']}` · {s['instalments']:,} instalments ({s['open']:,} open), {s['receipts']:,} "
           f"receipts, {s['allocations']:,} allocations ({s['all_visible']:.0%} of the instalments' pages all-visible) · ageing on "
           f"{r['today']} · {r['runs']} interleaved rounds after "
           f"a warm-up · load average before: {load[0]}, after: {load[1]}", ""]
    if r["data"].get("seeded"):
        out += [f"Orders seeded in this run: {r['data']['seed_seconds']:.0f} s.", ""]
    if r["data"]["finance"].get("generated"):
        out += [f"Payment plans, receipts and allocations generated in this run: {r['data']['finance']['seconds']:.0f} s "
                "(three INSERT … SELECT statements).", ""]
    out += ["| | median (ms) | fastest – slowest (ms) | runs (ms) | groups |", "|---|---:|---:|---|---:|"]
    for case, runs in r["times"].items():
        out.append(f"| {case} | {statistics.median(runs):.0f} | {min(runs):.0f} – {max(runs):.0f} | "
                   f"{', '.join(f'{t:.0f}' for t in runs)} | {r['groups'].get(case, '')} |")
    worst = max(statistics.median(runs) for case, runs in r["times"].items() if not case.startswith("one hand"))
    if r.get("all_open"):
        verdict = (f"**Slowest median of orderloop's: {worst:.0f} ms** with every one of the {s['instalments']:,} "
                   "instalments open, paid or not — ten times the open rows of the data above, which the target (under "
                   f"{TARGET_MS} ms) is measured on; the hand-written statement takes as long.")
    else:
        verdict = (f"**Slowest median of orderloop's: {worst:.0f} ms** (target: under {TARGET_MS} ms"
                   f"{' — met' if worst < TARGET_MS else ' — NOT met'}).")
    out += ["", verdict + " orderloop's figures by customer were compared with the hand-written statement's, customer "
            "by customer and bucket by bucket, and are the same.", "",
            "The ageing on that day: " + ", ".join(
                f"{label} {total.amounts[key]:,.2f}" for key, label, *_days in BUCKETS)
            + f"; {total.total:,.2f} 元 outstanding on {total.instalments:,} instalments.", ""]
    execution, nodes, statements = r["plan"]
    out += [f"`ageing` runs {statements} statements: the transaction's settings (`AGEING_SETTINGS`: random_page_cost=1.1, "
            "jit=off), the aggregate, the groups' names. The aggregate's plan (EXPLAIN ANALYZE under the same settings, "
            f"{execution}), costliest nodes (time per process, including their children; rows of all processes):", ""]
    out += [f"- {node}" for node in nodes]
    return "\n".join(out) + "\n"


NEW_FILE = """# Receivables ageing at 1,000,000 orders

`bench/receivables.py` times `finance.receivables.ageing` — the one aggregate statement behind 应收账款 (the page,
/api/finance/receivables and the .xlsx) — over the open instalments of 1,000,000 orders with payment plans,
receipts and allocations, by customer, owner and team, as finance (every order) and as a sales manager (the
visibility filter of orders/access.py), and one hand-written statement computing the same figures. The data and
its generation are described in the script's docstring.

<!-- receivables:postgres -->
<!-- /receivables:postgres -->
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--today", help="YYYY-MM-DD: the day of the ageing (default: today)")
    parser.add_argument("--fresh", action="store_true", help="drop the database and seed it again")
    parser.add_argument("--all-open", action="store_true",
                        help="the worst case: every instalment counted as open while it runs (restored after)")
    parser.add_argument("--no-write", dest="write", action="store_false")
    args = parser.parse_args()
    command = ".venv/bin/python bench/receivables.py" + "".join(
        f" {flag} {value}" for flag, value, default in (("--orders", args.orders, 1_000_000), ("--runs", args.runs, 7),
                                                        ("--today", args.today, None)) if value != default)
    command += " --all-open" if args.all_open else ""
    r = run(args)
    if args.write:
        write_section(RESULTS, "receivables", "postgres-all-open" if args.all_open else "postgres", section(r, command),
                      new_file=NEW_FILE)
        subprocess.run([sys.executable, str(ROOT / "bench" / "report.py")], check=True)
        print(f"wrote {RESULTS.relative_to(ROOT)} and docs/benchmarks.md")


if __name__ == "__main__":
    main()
