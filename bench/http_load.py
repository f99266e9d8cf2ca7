"""HTTP benchmark: the order list (filtered, 50 a page), search and the order detail, as pages and through the
API, served by the real server (gunicorn, 4 sync worker processes, DEBUG off) and driven by ``wrk`` on the same
machine with 1 and 8 concurrent clients, authenticated as a sales manager and as the sales director (alternating
requests); the sign-in page (no session, no query) is the floor every scenario is compared with.

    .venv/bin/python bench/http_load.py --database-url postgres://postgres@127.0.0.1:5432/bench_pages_1m \\
        --compare-database-url postgres://postgres@127.0.0.1:5432/bench_pages_10k --label "1,000,000 orders"

Seed the databases first (``bench/seed.py --orders 1000000`` and ``--orders 10000``, each with its
``DATABASE_URL``). Scenarios run in ``--rounds`` rounds (every scenario once per round, the floor included), so a
change of the shared machine's speed touches them all; each figure is pooled over the rounds (requests/s) or
their median (percentiles), with the spread of the rounds. "× floor" is the sign-in page's requests/s divided by
the scenario's at the same number of clients, round by round (the bound: ≤ 4).

With ``--compare-database-url`` (flatness): a second server on that database (e.g. 10,000 orders) beside the
first, both warmed, driven in short alternating rounds (``--flat-seconds`` each, the order of the two swapped
every round) at ``--flat-clients``; each scenario's throughput on the first database divided by that on the
second, round by round: the median and the spread (bounds: lists and detail ≥ 0.8, search ≥ 0.6).

Writes bench/results/http.md (the section ``--label``, other sections kept) and docs/benchmarks.md
(bench/report.py) unless ``--no-write``. Needs ``wrk`` (apt-get install wrk).
"""
from __future__ import annotations

import os
import sys


import argparse
import json
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "http.md"
USERS = ["sales_manager", "sales_director"]

LUA = r"""
local paths, auth = {}, {}
local counter = 0
init = function(args)
  for line in io.lines(args[1]) do
    local who, path = line:match("^(%S+)%s+(%S+)$")
    table.insert(paths, {who, path})
  end
  for line in io.lines(args[2]) do
    local who, header, value = line:match("^(%S+)%s+(%S+)%s+(.+)$")
    auth[who] = {header, value}
  end
  counter = math.random(#paths)
end
request = function()
  counter = counter % #paths + 1
  local item = paths[counter]
  local a = auth[item[1]]
  local headers = {}
  headers[a[1]] = a[2]
  return wrk.format("GET", item[2], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f, ' ..
    '"status_errors": %d, "socket_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, e.status, e.connect + e.read + e.write, e.timeout))
end
"""


def django_setup(env):
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderloop.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def credentials() -> dict[str, dict[str, tuple[str, str]]]:
    """A session cookie (pages) and a bearer token (API) for each user."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from orderloop.accounts.sessions import SessionStore

    from orderloop.accounts.models import User
    from orderloop.accounts.services import api_token_issue

    result = {}
    for username in USERS:
        user = User.objects.get(username=username)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.set_expiry(6 * 3600)
        session.save()
        token = api_token_issue(username=username, password="orderloop")
        result[username] = {"page": ("Cookie", f"{settings.SESSION_COOKIE_NAME}={session.session_key}"),
                            "api": ("Authorization", f"Bearer {token}"), "none": ("X-Bench", "anonymous")}
    return result


def pages_of(user, params: dict) -> int:
    """How many pages of 50 the order list of ``params`` (request_sets' filters) has for ``user`` (counted up to the
    cap, as its pager counts them)."""
    from orderloop.orders.selectors import capped_count, order_list

    orders = order_list(user=user, status=[params["status"]] if "status" in params else None,
                        owner=params.get("owner"), customer_id=params.get("customer"),
                        sort=params.get("sort", "-created_at"), archived="archived" in params)
    count, _capped = capped_count(orders)
    return -(-count // 50)


def request_sets(seed: int = 7) -> dict[str, list[tuple[str, str]]]:
    """(user, path) for each scenario, drawn from the data: orders each user may see, real search terms."""
    from orderloop.accounts.models import User
    from orderloop.masterdata.models import Customer
    from orderloop.orders.access import filter_visible
    from orderloop.orders.models import OrderLine, OrderStatus, SalesOrder

    rng = random.Random(seed)
    sets: dict[str, list] = {}
    statuses = [s for s in OrderStatus.values]
    list_q, search_q, detail_refs = [], [], []
    for username in USERS:
        user = User.objects.get(username=username)
        visible = filter_visible(SalesOrder.objects.all(), user)
        max_id = SalesOrder.objects.order_by("-id").values_list("id", flat=True).first() or 0
        refs = []
        for _ in range(200):  # orders spread over the whole history
            pk = rng.randint(1, max_id)
            order = visible.filter(pk__gte=pk).order_by("pk").values("number", "provisional_ref").first()
            if order:
                refs.append(order["number"] or order["provisional_ref"])
        detail_refs += [(username, ref) for ref in refs]
        customers = list(Customer.objects.filter(owner__team=user.team) if user.team_id else Customer.objects.all())
        customers = rng.sample(customers, min(20, len(customers)))
        owners = list(User.objects.filter(groups__name="account_manager").values_list("username", flat=True))
        for _ in range(100):
            params = {}
            kind = rng.random()
            if kind < 0.4:
                params["status"] = rng.choice(statuses)
            elif kind < 0.6:
                params["customer"] = rng.choice(customers).pk
            elif kind < 0.75:
                params["owner"] = rng.choice(owners)
                params["status"] = rng.choice(statuses)
            elif kind < 0.85:
                params["archived"] = "1"
                params["sort"] = rng.choice(["-created_at", "-number", "-total_amount"])
            if rng.random() < 0.3:  # a later page, one the list's pager offers at this size (pages 2–5)
                page, pages = rng.randint(2, 5), pages_of(user, params)
                if pages >= 2:
                    params["page"] = 2 + (page - 2) % min(4, pages - 1)
            list_q.append((username, params))
        models = list(OrderLine.objects.values_list("model", flat=True).distinct()[:400])
        for _ in range(100):
            kind = rng.random()
            ref = rng.choice(refs) if refs else "202401-001"
            if kind < 0.3:
                term = ref  # a whole number or provisional reference
            elif kind < 0.5:
                term = ref[:9] if ref[0].isdigit() else ref[:7]  # a prefix
            elif kind < 0.75:
                term = rng.choice(customers).name[2:6]  # part of a customer's name
            else:
                term = rng.choice(models)
            search_q.append((username, {"q": term}))
    sets["list (page)"] = [(u, "/orders/?" + urllib.parse.urlencode(p, doseq=True)) for u, p in list_q]
    api_params = [(u, {("customer_id" if k == "customer" else "archived" if k == "archived" else k):
                       ("true" if k == "archived" else v) for k, v in p.items()}) for u, p in list_q]
    sets["list (API)"] = [(u, "/api/orders?" + urllib.parse.urlencode(p)) for u, p in api_params]
    sets["search (page)"] = [(u, "/orders/?" + urllib.parse.urlencode(p)) for u, p in search_q]
    sets["search (API)"] = [(u, "/api/orders?" + urllib.parse.urlencode(p)) for u, p in search_q]
    sets["detail (page)"] = [(u, f"/orders/{urllib.parse.quote(ref)}/") for u, ref in detail_refs]
    sets["detail (API)"] = [(u, f"/api/orders/{urllib.parse.quote(ref)}") for u, ref in detail_refs]
    # The cheapest page there is: the sign-in form, no session, no query. What the stack itself costs.
    sets["floor: sign-in page"] = [(u, "/login/") for u in USERS]
    return sets


def surface_of(name: str) -> str:
    return "api" if "API" in name else "none" if name.startswith("floor") else "page"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"server did not answer at {url}")


def run_wrk(base: str, paths_file: str, auth_file: str, script: str, clients: int, duration: int) -> dict:
    threads = min(clients, 2)
    cmd = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{duration}s", "--timeout", "30s", "-s", script, base, "--",
           paths_file, auth_file]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^RESULT (.*)$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(out)
    r = json.loads(match.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def check(base: str, sets, creds) -> None:
    """Every request answers 200 before it is timed (a 404 or a redirect to the login page would be fast)."""
    for name, items in sets.items():
        surface = surface_of(name)
        for user, path in items[:5]:
            header, value = creds[user][surface]
            req = urllib.request.Request(base + path, headers={header: value})
            with urllib.request.urlopen(req, timeout=60) as resp:
                if resp.status != 200 or resp.geturl() != base + path:
                    raise RuntimeError(f"{name}: {path} answered {resp.status} {resp.geturl()}")


def settle(database_url: str, timeout: float = 120) -> None:
    """Wait until the database has no query of the previous run left running (a slow request goes on in its
    worker after wrk has stopped waiting), cancelling what is still there after ``timeout`` seconds."""
    import psycopg

    sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
           "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1), autocommit=True) as db:
        while db.execute(sql).fetchone()[0]:
            if time.monotonic() > deadline:
                db.execute(sql.replace("SELECT count(*)", "SELECT pg_cancel_backend(pid)"))
                return
            time.sleep(0.2)


def machine() -> dict:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.+)", lscpu)
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    versions = {"python": platform.python_version()}
    import django

    versions["django"] = django.get_version()
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SHOW server_version")
        versions["postgresql"] = c.fetchone()[0].split()[0]
    versions["gunicorn"] = subprocess.run([sys.executable, "-m", "gunicorn", "--version"], capture_output=True,
                                          text=True).stdout.strip().split()[-1].strip(")")
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_version = re.search(r"wrk (?:debian/)?(\S+)", wrk.stdout + wrk.stderr)
    versions["wrk"] = wrk_version.group(1) if wrk_version else "?"
    return {"cpu": model.group(1).strip() if model else platform.processor(), "cores": os.cpu_count(),
            "ram_gib": round(mem / 1024 / 1024, 1), "versions": versions}


def prepare(out: str) -> None:
    """In its own process (``--prepare``), on ``DATABASE_URL``: credentials, request sets, the orders' count."""
    from orderloop.orders.models import SalesOrder

    data = {"creds": credentials(), "sets": request_sets(), "orders": SalesOrder.objects.count(), "machine": machine()}
    Path(out).write_text(json.dumps(data, ensure_ascii=False))


class Server:
    """gunicorn on one database (``orderloop run --no-worker``), with the files wrk reads for each scenario."""

    def __init__(self, database_url: str, args, tmp: Path, tag: str):
        self.database_url = database_url
        out = tmp / f"prepared-{tag}.json"
        env = {**os.environ, "DATABASE_URL": database_url, "ORDERLOOP_VAR_DIR": args.var_dir, "DJANGO_DEBUG": "0",
               "DJANGO_SETTINGS_MODULE": "orderloop.config.settings"}
        subprocess.run([sys.executable, __file__, "--prepare", str(out), "--database-url", database_url],
                       env=env, check=True)
        data = json.loads(out.read_text())
        self.creds, self.sets, self.orders, self.machine = data["creds"], data["sets"], data["orders"], data["machine"]
        if args.only:
            prefixes = [p.strip() for p in args.only.split(",")] + ["floor"]
            self.sets = {k: v for k, v in self.sets.items() if any(k.startswith(p) for p in prefixes)}
        self.script = tmp / "bench.lua"
        self.script.write_text(LUA)
        self.auth, self.paths = {}, {}
        for surface in ("page", "api", "none"):
            self.auth[surface] = tmp / f"auth-{tag}-{surface}.txt"
            self.auth[surface].write_text("".join(f"{u} {c[surface][0]} {c[surface][1]}\n" for u, c in self.creds.items()))
        for i, (name, items) in enumerate(self.sets.items()):
            items = list(items)
            random.Random(1).shuffle(items)
            self.paths[name] = tmp / f"paths-{tag}-{i}.txt"
            self.paths[name].write_text("".join(f"{u} {p}\n" for u, p in items))
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orderloop.cli", "run", "--no-worker", "--web-workers", str(args.web_workers),
             "--bind", f"127.0.0.1:{port}"], env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(self.base + "/login/")
        check(self.base, self.sets, self.creds)

    def wrk(self, name: str, clients: int, seconds: int) -> dict:
        settle(self.database_url)
        return run_wrk(self.base, str(self.paths[name]), str(self.auth[surface_of(name)]), str(self.script), clients,
                       seconds)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


FLOOR = "floor: sign-in page"


def quartiles(values: list[float]) -> tuple[float, float, float]:
    import statistics

    if len(values) < 2:
        return values[0], values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], statistics.median(values), q[2]


def measure(server: Server, args) -> dict:
    """Each scenario at each number of clients, once per round, in the same order every round (floor first)."""
    names = [FLOOR] + [n for n in server.sets if n != FLOOR]
    clients = [int(c) for c in args.clients.split(",")]
    for name in names:  # warm every worker on every scenario
        server.wrk(name, max(clients), args.warmup)
    runs = {(n, c): [] for n in names for c in clients}
    for r in range(args.rounds):
        for c in clients:
            for name in names:
                result = server.wrk(name, c, args.duration)
                runs[name, c].append(result)
                print(f"round {r + 1} {name:20} c={c:<2} {result['rps']:7.1f} req/s  p50 {result['p50'] / 1000:6.1f}  "
                      f"p95 {result['p95'] / 1000:6.1f} ms", flush=True)
    return runs


def flatness(big: Server, small: Server, args) -> dict:
    """Throughput on ``big`` ÷ on ``small`` per scenario, round by round, the two alternating in short runs."""
    names = [n for n in big.sets if n != FLOOR and n in small.sets]
    for name in names:
        small.wrk(name, args.flat_clients, args.warmup)
    ratios = {n: [] for n in names}
    rps = {n: ([], []) for n in names}
    for r in range(args.flat_rounds):
        for name in names:
            pair = (big, small) if r % 2 == 0 else (small, big)
            got = {id(s): s.wrk(name, args.flat_clients, args.flat_seconds)["rps"] for s in pair}
            if not got[id(small)]:  # nothing completed in the round: no ratio from it
                continue
            ratios[name].append(got[id(big)] / got[id(small)])
            rps[name][0].append(got[id(big)])
            rps[name][1].append(got[id(small)])
        print(f"flat round {r + 1}: " + ", ".join(f"{n} {ratios[n][-1]:.2f}" for n in names), flush=True)
    return {"ratios": ratios, "rps": rps}


def bound_of(name: str) -> tuple[float, float, float]:
    """(p95 bound at 1 client, at 8 clients, flatness bound) of the issue, in ms."""
    return (100, 200, 0.6) if name.startswith("search") else (50, 100, 0.8)


def section(info: dict, runs: dict, flat: dict | None, args, command: str) -> tuple[str, dict]:
    import statistics

    clients = [int(c) for c in args.clients.split(",")]
    names = list(dict.fromkeys(n for n, _c in runs))
    out = [f"{info['when']} · {info['orders']:,} orders (flatness against {info['compare_orders']:,})" if flat else
           f"{info['when']} · {info['orders']:,} orders",
           f"· {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM · "
           + ", ".join(f"{k} {v}" for k, v in info["versions"].items())
           + f" · {args.web_workers} gunicorn workers, wrk on the same machine · {args.rounds} rounds of {args.duration} s "
           f"per scenario and number of clients · load average before: {' '.join(info['load'])}, after: "
           f"{' '.join(info['load_after'])}", "",
           "    " + command, "",
           "| scenario | clients | req/s (pooled) | p50 | p95 (median of rounds) | p95 range | × floor (median, range) | errors |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    verdict = {}
    for c in clients:
        floor_rps = [r["rps"] for r in runs[FLOOR, c]]
        for name in names:
            rs = runs[name, c]
            requests = sum(r["requests"] for r in rs)
            seconds = sum(r["duration_us"] for r in rs) / 1e6
            p95 = [r["p95"] / 1000 for r in rs]
            p50 = statistics.median(r["p50"] / 1000 for r in rs)
            errors = sum(r["status_errors"] + r["socket_errors"] + r["timeouts"] for r in rs)
            times = [f / r["rps"] if r["rps"] else float("inf") for f, r in zip(floor_rps, rs)]
            cost = "" if name == FLOOR else f"{statistics.median(times):.1f} ({min(times):.1f}–{max(times):.1f})"
            out.append(f"| {name} | {c} | {requests / seconds:.1f} | {p50:.1f} | {statistics.median(p95):.1f} | "
                       f"{min(p95):.1f}–{max(p95):.1f} | {cost} | {errors} |")
            if name != FLOOR:
                bound = bound_of(name)[0 if c == 1 else 1]
                verdict.setdefault(name, []).append((c, statistics.median(p95), bound, statistics.median(times)))
    out += ["", "Against the bounds (p95 < 50 ms at 1 client and < 100 ms at 8, search < 100 and < 200; ≤ 4× the "
            "sign-in page's cost):", ""]
    for name, items in verdict.items():
        parts = [f"{c} client{'s' if c > 1 else ''}: p95 {p:.0f} ms {'met' if p < b else 'NOT met'} (< {b}), "
                 f"{t:.1f}× floor {'met' if t <= 4 else 'NOT met'}" for c, p, b, t in items]
        out.append(f"- {name}: " + "; ".join(parts))
    if flat:
        out += ["", f"Flatness: {info['orders']:,} against {info['compare_orders']:,} orders, two servers of "
                f"{args.web_workers} workers each, {args.flat_rounds} alternating rounds of {args.flat_seconds} s per "
                f"scenario and server (the order swapped every round), {args.flat_clients} clients:", "",
                "| scenario | req/s large | req/s small | ratio (median) | interquartile range | range | bound |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for name, ratios in flat["ratios"].items():
            lo, med, hi = quartiles(ratios)
            big_rps, small_rps = flat["rps"][name]
            bound = bound_of(name)[2]
            out.append(f"| {name} | {statistics.median(big_rps):.1f} | {statistics.median(small_rps):.1f} | {med:.2f} | "
                       f"{lo:.2f}–{hi:.2f} | {min(ratios):.2f}–{max(ratios):.2f} | ≥ {bound} "
                       f"{'met' if med >= bound else 'NOT met'} |")
    if args.note:
        out += ["", args.note]
    return "\n".join(out) + "\n\n", verdict


HEAD = """# HTTP benchmark: order list, search and detail

Driven by `wrk` against the real server (`orderloop run --no-worker --web-workers 4`: gunicorn, sync workers,
DEBUG off, production settings) on PostgreSQL, wrk and PostgreSQL on the same 2-core machine; every request
alternates between a sales manager (sees their team's orders) and the sales director (sees every order); pages
with a session cookie, the API with a Bearer token. List: filters by status / customer / owner / archived+sort,
50 a page, some on pages 2–5 that the list has on that database (as its pager offers them; runs before
2026-12-06 05:00 UTC asked pages 2–5 of every list: on the smaller database many were past the last page,
which the API answers with no rows and the list page with its last page). Search: `q` = an order number, a number or reference prefix, part of a customer
name, a product model. Detail: orders drawn from the whole history. Floor: the sign-in page without a session
(one small template, no query): what the server and the framework cost before any work. Latencies in
milliseconds. The data: `bench/seed.py` (orders with lines, timelines, progress records, shipments, tickets,
payment plans, receipts and allocations). How the runs are paired and pooled: bench/http_load.py's docstring.

"""


def write_results(label: str, text: str) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    old = RESULTS.read_text() if RESULTS.exists() else ""
    sections = dict(re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", old, re.MULTILINE | re.DOTALL))
    sections[label] = text
    RESULTS.write_text(HEAD + "".join(f"## {k}\n{v}" for k, v in sections.items()))
    subprocess.run([sys.executable, str(ROOT / "bench" / "report.py")], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--compare-database-url", help="flatness: a second database (e.g. 10,000 orders)")
    parser.add_argument("--var-dir", default=os.environ.get("ORDERLOOP_VAR_DIR", "/tmp/http-var"))
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per scenario, number of clients and round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of untimed load per scenario and server first")
    parser.add_argument("--flat-rounds", type=int, default=8)
    parser.add_argument("--flat-seconds", type=int, default=4)
    parser.add_argument("--flat-clients", type=int, default=8)
    parser.add_argument("--only", default="", help="comma-separated scenario name prefixes (e.g. list,detail)")
    parser.add_argument("--label", default="after", help="section of http.md to (re)write")
    parser.add_argument("--note", default="")
    parser.add_argument("--no-write", dest="write", action="store_false")
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is needed")
    if args.prepare:
        django_setup({"DATABASE_URL": args.database_url})
        prepare(args.prepare)
        return
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk)")
    command = (f".venv/bin/python bench/http_load.py --database-url {args.database_url}"
               + (f" --compare-database-url {args.compare_database_url}" if args.compare_database_url else "")
               + f" --web-workers {args.web_workers} --clients {args.clients} --rounds {args.rounds} --duration "
               f"{args.duration} --flat-rounds {args.flat_rounds} --flat-seconds {args.flat_seconds} "
               f"--label {shlex.quote(args.label)}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop wrk and the servers on the way out
    servers = []
    info = {"when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "load": open("/proc/loadavg").read().split()[:3]}
    flat = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            big = Server(args.database_url, args, Path(tmp), "a")
            servers.append(big)
            info.update(big.machine, orders=big.orders)
            if args.compare_database_url:
                small = Server(args.compare_database_url, args, Path(tmp), "b")
                servers.append(small)
                info["compare_orders"] = small.orders
            runs = measure(big, args)
            if args.compare_database_url:
                flat = flatness(big, small, args)
    finally:
        for server in servers:
            server.stop()
    info["load_after"] = open("/proc/loadavg").read().split()[:3]
    text, _verdict = section(info, runs, flat, args, command)
    print(text)
    if args.write:
        write_results(args.label, text)
        print(f"written to {RESULTS.relative_to(ROOT)} and docs/benchmarks.md")


if __name__ == "__main__":
    main()
