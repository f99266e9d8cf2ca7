#!/usr/bin/env python
"""The monthly review of one month inside 1,000,000 orders: ``review_figures`` (what the review page shows and
what a filed review freezes, always computed afresh: it has no cache) against one hand-written SQL statement
that computes the same figures for the same month.

    .venv/bin/python bench/review.py                              # PostgreSQL, 1,000,000 orders
    .venv/bin/python bench/review.py --engine sqlite --orders 100000

The database is ``bench_review_1m`` (``bench_review_<N>`` for other sizes) at 127.0.0.1:5432 (PostgreSQL) or /tmp/review-bench/sqlite-<N>/ (SQLite):
migrated, and seeded with ``seed(orders=N)`` of bench/seed.py unless it already holds exactly N orders (then it
is reused as it is, so a second run takes seconds). The month is the calendar month in the middle of the seeded
orders' dates. Each side runs once to warm up, then ``--runs`` times; the figure is the median. Both results
must be the same in every figure (labels and the computation time aside), else the run fails.

The hand-written statement is PostgreSQL only (CTEs, FILTER, percentile_cont, json_build_object); on SQLite
only orderloop is timed. With ``--write`` (the default) the engine's section of bench/results/review.md is
replaced and docs/benchmarks.md regenerated (bench/report.py).
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import machine, write_section as write_results_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("REVIEW_BENCH_DIR", "/tmp/review-bench"))
PG_HOST = os.environ.get("REVIEW_PG_HOST", "127.0.0.1")
RESULTS = ROOT / "bench" / "results" / "review.md"


def configure(engine: str, orders: int, fresh: bool) -> str:
    """Environment for Django, the database created if missing; returns the database's name."""
    var = WORK / f"{engine}-{orders}"
    if fresh and var.exists():
        shutil.rmtree(var)
    var.mkdir(parents=True, exist_ok=True)
    os.environ["ORDERLOOP_VAR_DIR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = "orderloop.config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    if engine == "sqlite":
        name = str(var / "orderloop.sqlite3")
        os.environ["DATABASE_URL"] = f"sqlite:///{name}"
    else:
        import psycopg

        name = "bench_review_1m" if orders == 1_000_000 else f"bench_review_{orders}"
        with psycopg.connect(f"postgresql://postgres@{PG_HOST}:5432/postgres", autocommit=True) as db:
            if fresh:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                db.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@{PG_HOST}:5432/{name}"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return name


def ensure_data(orders: int) -> dict:
    """Migrate (new indexes included); seed unless the database holds exactly ``orders`` orders."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from orderloop.orders.models import SalesOrder

    have = SalesOrder.objects.count()
    if have == orders:
        return {"seeded": False, "orders": have}
    if have:
        raise SystemExit(f"the database holds {have:,} orders, not {orders:,}: run again with --fresh")
    from bench.seed import seed

    result = seed(orders=orders, out=lambda line: print("  " + line, flush=True))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # visibility map for index-only scans, fresh statistics
    return {"seeded": True, "orders": orders, "seed_seconds": result["seconds"]}


def middle_month() -> date:
    from django.db.models import Max, Min

    from orderloop.orders.models import SalesOrder

    span = SalesOrder.objects.aggregate(first=Min("order_date"), last=Max("order_date"))
    middle = span["first"] + (span["last"] - span["first"]) / 2
    return middle.replace(day=1)


# --- the hand-written statement -------------------------------------------------------------------------------

HAND_SQL = """
WITH
month_orders AS (
  SELECT o.id, o.status, o.total_amount, o.owner_id, o.customer_id
  FROM orders_salesorder o
  WHERE o.order_date >= %(first_day)s AND o.order_date < %(next_day)s
),
counted AS (SELECT * FROM month_orders WHERE status NOT IN ('rejected', 'cancelled')),
delivered AS (
  SELECT o.id, o.owner_id, o.customer_id, v.satisfaction,
         CASE WHEN COALESCE(o.promised_date, o.requested_date) IS NULL THEN NULL
              ELSE (o.delivered_at AT TIME ZONE 'Asia/Shanghai')::date <= COALESCE(o.promised_date, o.requested_date)
         END AS on_time
  FROM orders_salesorder o LEFT JOIN orders_followupvisit v ON v.order_id = o.id
  WHERE o.delivered_at >= %(start)s AND o.delivered_at < %(end)s
),
phase_list (phase, position) AS (VALUES
  ('intake', 1), ('approval', 2), ('stock_check', 3), ('fulfilment', 4), ('shipment_preparation', 5), ('transport', 6)
),
steps AS (
  SELECT e.order_id, e.occurred_at,
         CASE e.to_status WHEN 'received' THEN 1 WHEN 'needs_info' THEN 1 WHEN 'pending_approval' THEN 2
           WHEN 'pending_director' THEN 2 WHEN 'pending_stock_check' THEN 3 WHEN 'date_negotiation' THEN 3
           WHEN 'confirmed' THEN 4 WHEN 'in_fulfillment' THEN 4 WHEN 'ready_to_ship' THEN 5 WHEN 'shipped' THEN 6
         END AS position,
         LEAD(e.occurred_at) OVER (PARTITION BY e.order_id ORDER BY e.occurred_at, e.id) AS left_at
  FROM orders_orderevent e JOIN delivered d ON d.id = e.order_id
  WHERE e.to_status <> e.from_status
),
time_in_phase AS (
  SELECT position, order_id, SUM(EXTRACT(EPOCH FROM left_at - occurred_at))::float8 / 86400 AS days
  FROM steps WHERE left_at IS NOT NULL AND position IS NOT NULL
  GROUP BY order_id, position
),
phases AS (
  SELECT l.phase, l.position, COUNT(t.days) AS orders,
         ROUND(PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY t.days)::numeric, 1) AS median_days,
         ROUND(PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY t.days)::numeric, 1) AS p90_days
  FROM phase_list l LEFT JOIN time_in_phase t ON t.position = l.position
  GROUP BY l.phase, l.position
),
tickets AS (
  SELECT ticket_type AS type, COUNT(*) AS count FROM aftersales_ticket
  WHERE opened_at >= %(start)s AND opened_at < %(end)s GROUP BY ticket_type
),
risks AS (
  SELECT risk_type AS type, COUNT(*) AS count FROM orders_risk
  WHERE raised_at >= %(start)s AND raised_at < %(end)s GROUP BY risk_type
),
deadlines AS (
  SELECT kind,
         COUNT(*) FILTER (WHERE breached_at IS NULL AND met_at IS NOT NULL AND met_at <= due_at) AS on_time,
         COUNT(*) FILTER (WHERE NOT (breached_at IS NULL AND met_at IS NOT NULL AND met_at <= due_at)) AS breached
  FROM orders_ordertimer
  WHERE due_at >= %(start)s AND due_at < %(end)s AND (met_at IS NOT NULL OR breached_at IS NOT NULL)
    AND kind = ANY(%(timer_kinds)s)
  GROUP BY kind
),
both_sets AS (
  SELECT owner_id, customer_id, total_amount, NULL::boolean AS on_time, false AS is_delivered FROM counted
  UNION ALL
  SELECT owner_id, customer_id, NULL, on_time, true FROM delivered
),
by_owner AS (
  SELECT COALESCE(NULLIF(u.display_name, ''), u.username) AS name,
         COUNT(*) FILTER (WHERE NOT b.is_delivered) AS orders,
         COALESCE(SUM(b.total_amount), 0) AS amount,
         COUNT(*) FILTER (WHERE b.is_delivered) AS delivered,
         COUNT(*) FILTER (WHERE b.on_time) AS on_time,
         COUNT(b.on_time) AS dated
  FROM both_sets b JOIN accounts_user u ON u.id = b.owner_id
  GROUP BY b.owner_id, u.display_name, u.username
),
by_customer AS (
  SELECT c.name,
         COUNT(*) FILTER (WHERE NOT b.is_delivered) AS orders,
         COALESCE(SUM(b.total_amount), 0) AS amount,
         COUNT(*) FILTER (WHERE b.is_delivered) AS delivered,
         COUNT(*) FILTER (WHERE b.on_time) AS on_time,
         COUNT(b.on_time) AS dated
  FROM both_sets b JOIN masterdata_customer c ON c.id = b.customer_id
  GROUP BY b.customer_id, c.name
),
by_product AS (
  SELECT MIN(l.product_name) AS product, MIN(l.model) AS model, COUNT(DISTINCT l.order_id) AS orders,
         SUM(l.quantity) AS quantity, SUM(l.amount) AS amount
  FROM orders_orderline l JOIN counted c ON c.id = l.order_id
  GROUP BY l.product_id
)
SELECT json_build_object(
  'orders', (SELECT json_build_object(
      'count', (SELECT COUNT(*) FROM counted),
      'amount', (SELECT COALESCE(SUM(total_amount), 0)::numeric(16, 2)::text FROM counted),
      'rejected', COUNT(*) FILTER (WHERE status = 'rejected'),
      'cancelled', COUNT(*) FILTER (WHERE status = 'cancelled')) FROM month_orders),
  'delivery', (SELECT json_build_object(
      'delivered', COUNT(*), 'on_time', COUNT(*) FILTER (WHERE on_time), 'late', COUNT(*) FILTER (WHERE NOT on_time),
      'no_date', COUNT(*) FILTER (WHERE on_time IS NULL),
      'on_time_rate', ROUND(100.0 * COUNT(*) FILTER (WHERE on_time) / NULLIF(COUNT(on_time), 0), 1)) FROM delivered),
  'satisfaction', (SELECT json_build_object(
      'rated', COUNT(*), 'average', ROUND(AVG(satisfaction), 1),
      'distribution', (SELECT json_agg(json_build_object('score', s, 'count',
                         (SELECT COUNT(*) FROM delivered WHERE satisfaction = s)) ORDER BY s)
                       FROM generate_series(1, 5) AS s))
      FROM delivered WHERE satisfaction > 0),
  'tickets', json_build_object(
      'total', (SELECT COALESCE(SUM(count), 0) FROM tickets),
      'by_type', (SELECT COALESCE(json_agg(json_build_object('type', type, 'count', count)
                    ORDER BY count DESC, COALESCE(array_position(%(ticket_types)s, type::text), 99)), '[]')
                  FROM tickets WHERE count > 0)),
  'deadlines', (SELECT COALESCE(json_agg(json_build_object('kind', kind, 'on_time', on_time, 'breached', breached,
                  'rate', ROUND(100.0 * on_time / NULLIF(on_time + breached, 0), 1))
                  ORDER BY array_position(%(timer_kinds)s, kind::text)), '[]') FROM deadlines),
  'phases', (SELECT json_agg(json_build_object('phase', phase, 'orders', orders, 'median_days', median_days,
               'p90_days', p90_days) ORDER BY position) FROM phases),
  'bottleneck', (SELECT json_build_object('phase', phase, 'median_days', median_days, 'p90_days', p90_days)
                 FROM phases WHERE median_days IS NOT NULL
                 ORDER BY median_days DESC, p90_days DESC, position LIMIT 1),
  'delay_reasons', json_build_object(
      'total', (SELECT COALESCE(SUM(count), 0) FROM risks),
      'by_type', (SELECT COALESCE(json_agg(json_build_object('type', type, 'count', count)
                    ORDER BY count DESC, COALESCE(array_position(%(risk_types)s, type::text), 99)), '[]')
                  FROM risks WHERE count > 0)),
  'by_owner', (SELECT COALESCE(json_agg(json_build_object('name', name, 'orders', orders,
                 'amount', amount::numeric(16, 2)::text, 'delivered', delivered, 'on_time', on_time,
                 'on_time_rate', ROUND(100.0 * on_time / NULLIF(dated, 0), 1))
                 ORDER BY amount DESC, delivered DESC, name COLLATE "C"), '[]') FROM by_owner),
  'by_customer', (SELECT COALESCE(json_agg(json_build_object('name', name, 'orders', orders,
                    'amount', amount::numeric(16, 2)::text, 'delivered', delivered, 'on_time', on_time,
                    'on_time_rate', ROUND(100.0 * on_time / NULLIF(dated, 0), 1))
                    ORDER BY amount DESC, delivered DESC, name COLLATE "C"), '[]') FROM by_customer),
  'by_product', (SELECT COALESCE(json_agg(json_build_object('product', product, 'model', model, 'orders', orders,
                   'quantity', trim_scale(quantity)::text, 'amount', amount::numeric(16, 2)::text)
                   ORDER BY amount DESC, product COLLATE "C", model COLLATE "C"), '[]') FROM by_product)
)
"""


def hand_params(month: date) -> dict:
    from orderloop.aftersales.models import TicketType
    from orderloop.orders.models import RiskType, TimerKind
    from orderloop.reviews.report import month_bounds

    start, end = month_bounds(month)
    return {"first_day": start.date(), "next_day": end.date(), "start": start, "end": end,
            "ticket_types": list(TicketType.values), "risk_types": list(RiskType.values),
            "timer_kinds": list(TimerKind.values)}


def hand_figures(month: date, settings: bool = True) -> dict:
    """The statement, in a transaction with the same SET LOCAL settings as review_figures (REPORT_SETTINGS)."""
    from django.db import connection, transaction

    from orderloop.reviews.report import REPORT_SETTINGS

    with transaction.atomic(), connection.cursor() as cursor:
        if settings:
            cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _setting in REPORT_SETTINGS),
                           [value for pair in REPORT_SETTINGS.items() for value in pair])
        cursor.execute(HAND_SQL, hand_params(month))
        value = cursor.fetchone()[0]
    return value if isinstance(value, dict) else json.loads(value)


def comparable(figures: dict) -> dict:
    """The figures without what the hand-written statement does not compute (labels, month, computed_at), as JSON
    would carry them (numbers as floats)."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("label", "computed_at", "month")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        return float(value)
    return strip(json.loads(json.dumps(figures, default=str)))


def differences(ours, theirs, path="") -> list[str]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours or key not in theirs:
                found.append(f"{path}/{key}: only in {'orderloop' if key in ours else 'the hand-written query'}")
            else:
                found += differences(ours[key], theirs[key], f"{path}/{key}")
        return found
    if isinstance(ours, list) and isinstance(theirs, list):
        found = [f"{path}: {len(ours)} rows vs {len(theirs)}"] if len(ours) != len(theirs) else []
        for index, (a, b) in enumerate(zip(ours, theirs)):
            found += differences(a, b, f"{path}[{index}]")
        return found
    return [] if ours == theirs else [f"{path}: orderloop {ours!r} vs hand-written {theirs!r}"]


def timed(function, runs: int) -> tuple[float, list[float], object]:
    result = function()  # warm-up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), times, result


def orderloop_statements(month: date) -> list[tuple[float, str]]:
    """Each statement review_figures runs, with its time (ms), slowest first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orderloop.reviews.report import review_figures

    with CaptureQueriesContext(connection) as captured:
        review_figures(month)
    rows = [(float(q["time"]) * 1000, " ".join(q["sql"].split())) for q in captured.captured_queries]
    return sorted(rows, reverse=True)


def hand_plan(month: date) -> tuple[str, list[str]]:
    """EXPLAIN ANALYZE of the hand-written statement: its execution time and its costliest nodes."""
    from django.db import connection

    from django.db import transaction

    from orderloop.reviews.report import REPORT_SETTINGS

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _setting in REPORT_SETTINGS),
                       [value for pair in REPORT_SETTINGS.items() for value in pair])
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + HAND_SQL, hand_params(month))
        lines = [row[0] for row in cursor.fetchall()]
    execution = next((line.strip() for line in lines if line.strip().startswith("Execution Time")), "")
    nodes = []
    for line in lines:
        match = re.search(r"actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)", line)
        if match and "->" in line:
            total = float(match.group(1)) * int(match.group(3))
            nodes.append((total, line.split("(cost=")[0].strip().lstrip("-> ").strip() +
                          f" — {total:.0f} ms, {int(match.group(2)) * int(match.group(3)):,} rows"))
    nodes.sort(reverse=True)
    return execution, [text for _total, text in nodes[:8]]


def machine_and_versions() -> dict:
    import sqlite3

    import django
    from django.db import connection

    info = machine()
    versions = {"python": platform.python_version(), "django": django.get_version()}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            versions["postgresql"] = cursor.fetchone()[0]
    else:
        versions["sqlite"] = sqlite3.sqlite_version
    info["versions"] = versions
    return info


def run(args) -> dict:
    name = configure(args.engine, args.orders, args.fresh)
    print(f"database {name} …", flush=True)
    data = ensure_data(args.orders)
    month = date.fromisoformat(args.month + "-01") if args.month else middle_month()
    print(f"month {month:%Y-%m}, {data['orders']:,} orders", flush=True)

    from orderloop.orders.models import SalesOrder
    from orderloop.reviews.report import month_bounds, review_figures

    start, end = month_bounds(month)
    size = {"ordered": SalesOrder.objects.filter(order_date__gte=start.date(), order_date__lt=end.date()).count(),
            "delivered": SalesOrder.objects.filter(delivered_at__gte=start, delivered_at__lt=end).count()}
    load_before = os.getloadavg()
    ours_ms, ours_runs, ours = timed(lambda: review_figures(month), args.runs)
    print(f"orderloop review_figures: {ours_ms:.0f} ms (runs {', '.join(f'{t:.0f}' for t in ours_runs)})", flush=True)
    report = {"engine": args.engine, "database": name, "month": f"{month:%Y-%m}", "size": size, "data": data,
              "runs": args.runs, "orderloop_ms": ours_ms, "orderloop_runs": ours_runs,
              "statements": orderloop_statements(month), "machine": machine_and_versions()}
    if args.engine == "postgres":
        hand_ms, hand_runs, theirs = timed(lambda: hand_figures(month), args.runs)
        print(f"hand-written SQL: {hand_ms:.0f} ms (runs {', '.join(f'{t:.0f}' for t in hand_runs)})", flush=True)
        found = differences(comparable(ours), comparable(theirs))
        # figures added to the review after the statement was written (回款, 反馈, the imported orders): named, not compared
        only_ours = [line.rsplit(":", 1)[0] for line in found if line.endswith(": only in orderloop")]
        found = [line for line in found if not line.endswith(": only in orderloop")]
        report["not_compared"] = only_ours
        if found:
            print("\n".join(["THE FIGURES DIFFER:"] + found[:40]), file=sys.stderr)
            raise SystemExit(1)
        print("same figures: every one the hand-written statement computes"
              + (f" (not compared, it has none: {', '.join(only_ours)})" if only_ours else ""), flush=True)
        defaults_ms, defaults_runs, _same = timed(lambda: hand_figures(month, settings=False), 3)
        print(f"hand-written SQL with the server's default settings: {defaults_ms:.0f} ms", flush=True)
        report.update(hand_ms=hand_ms, hand_runs=hand_runs, ratio=ours_ms / hand_ms, plan=hand_plan(month),
                      defaults_ms=defaults_ms, defaults_runs=defaults_runs)
    report["load_before"], report["load_after"] = load_before, os.getloadavg()
    report["figures"] = ours
    return report


def section(r: dict, command: str) -> str:
    from orderloop.reviews.report import REPORT_SETTINGS

    m = r["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    load = " ".join(f"{x:.2f}" for x in r["load_before"]), " ".join(f"{x:.2f}" for x in r["load_after"])
    f = r["figures"]
    out = [f"## {'PostgreSQL' if r['engine'] == 'postgres' else 'SQLite'}, {r['data']['orders']:,} orders", "",
           "    " + command, "",
           f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {m['cpu']}, {m['cores']} cores, {m['ram']} RAM · {versions} · "
           f"database `{r['database']}` · month {r['month']} ({r['size']['ordered']:,} orders taken, "
           f"{r['size']['delivered']:,} delivered) · median of {r['runs']} runs after a warm-up · "
           f"load average before: {load[0]}, after: {load[1]}", ""]
    if r["data"].get("seeded"):
        out += [f"Seeded in this run: {r['data']['seed_seconds']:.0f} s.", ""]
    out += ["| | median (ms) | runs (ms) |", "|---|---:|---|",
            f"| orderloop `review_figures` | {r['orderloop_ms']:.0f} | {', '.join(f'{t:.0f}' for t in r['orderloop_runs'])} |"]
    if "hand_ms" in r:
        out += [f"| one hand-written SQL statement | {r['hand_ms']:.0f} | {', '.join(f'{t:.0f}' for t in r['hand_runs'])} |",
                "", f"**Ratio orderloop / hand-written: {r['ratio']:.2f}×** (target: under 1 s and within 2×). "
                "Every figure the hand-written statement computes was compared and is the same"
                + (f"; it computes none of {', '.join(f'`{p}`' for p in r['not_compared'])} (added to the review "
                   "after it was written: orderloop's time includes them, its does not)." if r.get("not_compared")
                   else "."), "",
                "Both run with the settings `review_figures` sets for its transaction on PostgreSQL "
                f"(`REPORT_SETTINGS`: {', '.join(f'{k}={v}' for k, v in REPORT_SETTINGS.items())}). With the "
                f"server's defaults (random_page_cost=4, JIT on) the hand-written statement takes "
                f"{r['defaults_ms']:.0f} ms (median of 3; runs {', '.join(f'{t:.0f}' for t in r['defaults_runs'])}): "
                "JIT compiles it at length, and whole tables are scanned instead of the month's rows by index.", ""]
    else:
        out += ["", "No hand-written statement on SQLite (it is written for PostgreSQL).", ""]
    out += [f"The month's figures: {f['orders']['count']:,} orders, {f['orders']['amount']} 元, "
            f"{f['delivery']['delivered']:,} delivered ({f['delivery']['on_time_rate']}% on time), satisfaction "
            f"{f['satisfaction']['average']} from {f['satisfaction']['rated']:,}, {f['tickets']['total']:,} tickets, "
            f"{f['delay_reasons']['total']:,} risks, bottleneck {(f['bottleneck'] or {}).get('phase')}; "
            f"{len(f['by_owner'])} owners, {len(f['by_customer']):,} customers, {len(f['by_product'])} products.", "",
            "orderloop's statements, slowest first (ms, one traced run):", ""]
    out += [f"- {ms:.1f} ms: `{sql[:160]}{' …' if len(sql) > 160 else ''}`" for ms, sql in r["statements"]]
    if "plan" in r:
        execution, nodes = r["plan"]
        out += ["", f"The hand-written statement's plan (EXPLAIN ANALYZE, {execution}), costliest nodes "
                "(time including their children):", ""]
        out += [f"- {node}" for node in nodes]
    return "\n".join(out) + "\n"


def write_section(engine: str, text: str) -> None:
    write_results_section(RESULTS, "review", engine, text, new_file=(
        "# Monthly review: orderloop against one hand-written SQL statement\n\n"
        "`bench/review.py` times `review_figures` (the figures the review page shows and a filed review freezes, "
        "computed afresh) for one month in the middle of the seeded data, and one hand-written PostgreSQL "
        "statement computing the same figures (CTEs, `FILTER`, `percentile_cont`, `json_build_object`), and "
        "checks that both give the same numbers. One section per engine.\n\n"
        "<!-- review:postgres -->\n<!-- /review:postgres -->\n\n<!-- review:sqlite -->\n<!-- /review:sqlite -->\n"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--month", help="YYYY-MM (default: the middle of the data)")
    parser.add_argument("--fresh", action="store_true", help="drop the database and seed it again")
    parser.add_argument("--no-write", dest="write", action="store_false")
    args = parser.parse_args()
    command = ".venv/bin/python bench/review.py" + "".join(
        f" {flag} {value}" for flag, value, default in (("--engine", args.engine, "postgres"),
                                                        ("--orders", args.orders, 1_000_000),
                                                        ("--runs", args.runs, 5), ("--month", args.month, None))
        if value != default)
    r = run(args)
    if args.write:
        write_section(args.engine, section(r, command))
        subprocess.run([sys.executable, str(ROOT / "bench" / "report.py")], check=True)
        print(f"wrote {RESULTS.relative_to(ROOT)} and docs/benchmarks.md")


if __name__ == "__main__":
    main()
