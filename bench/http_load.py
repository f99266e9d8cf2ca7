"""HTTP benchmark: the order list (filtered, 50 a page), search and the order detail, as pages and through the
API, served by the real server (gunicorn, several worker processes, DEBUG off) and driven by ``wrk`` with 8 and 32
concurrent clients, authenticated as a sales manager and as the sales director (alternating requests).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_http_1m ORDERLOOP_VAR_DIR=/tmp/http-var \\
        .venv/bin/python bench/http_load.py --web-workers 4 --label after

Seed the database first (``.venv/bin/python bench/seed.py --orders 1000000`` with the same ``DATABASE_URL``). Writes bench/results/http.md (the section
for ``--label`` is replaced, other sections are kept) and prints each result. Needs ``wrk`` (apt-get install wrk).
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
    from django.contrib.sessions.backends.db import SessionStore

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
            if rng.random() < 0.3:
                params["page"] = rng.randint(2, 5)
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


def settle(timeout: float = 120) -> None:
    """Wait until the database has no query of the previous scenario left running (a slow request goes on in its
    worker after wrk has stopped waiting), cancelling what is still there after ``timeout`` seconds."""
    from django.db import connection

    sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
           "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql)
            if cursor.fetchone()[0] == 0:
                return
            if time.monotonic() > deadline:
                cursor.execute(sql.replace("SELECT count(*)", "SELECT pg_cancel_backend(pid)"))
                time.sleep(2)
                return
            time.sleep(0.5)


def machine() -> dict:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.+)", lscpu)
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    versions = {"python": platform.python_version()}
    import django

    versions["django"] = django.get_version()
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SHOW server_version") if connection.vendor == "postgresql" else c.execute("select sqlite_version()")
        versions[connection.vendor] = c.fetchone()[0]
        c.execute("SELECT count(*) FROM orders_salesorder")
        orders = c.fetchone()[0]
    versions["gunicorn"] = subprocess.run([sys.executable, "-m", "gunicorn", "--version"], capture_output=True,
                                          text=True).stdout.strip().split()[-1].strip(")")
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_version = re.search(r"wrk (?:debian/)?(\S+)", wrk.stdout + wrk.stderr)
    versions["wrk"] = wrk_version.group(1) if wrk_version else "?"
    return {"cpu": model.group(1).strip() if model else platform.processor(), "cores": os.cpu_count(),
            "ram_gib": round(mem / 1024 / 1024, 1), "versions": versions, "orders": orders,
            "load": open("/proc/loadavg").read().split()[:3]}


def write_results(label: str, info: dict, rows: list, args, command: str) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = RESULTS.read_text() if RESULTS.exists() else ""
    sections = dict(re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL))
    head = ("# HTTP benchmark: order list, search and detail\n\n"
            "Driven by `wrk` against the real server (`orderloop run --no-worker --web-workers N`: gunicorn, sync workers,\n"
            "DEBUG off) on PostgreSQL; every request alternates between a sales manager (sees their team's orders) and\n"
            "the sales director (sees every order); pages with a session cookie, the API with a Bearer token.\n"
            "List: filters by status / customer / owner / archived+sort, some on pages 2-5, 50 a page. Search: `q` =\n"
            "an order number, a number or reference prefix, part of a customer name, a product model. Detail: orders\n"
            "drawn from the whole history. Floor: the sign-in page without a session (one small template, no\n"
            "query): what the server and the framework cost before any work. Latencies in milliseconds.\n\n"
            "Reproduce (after `.venv/bin/python bench/seed.py --orders 1000000` into that database):\n\n"
            f"    {command}\n\n")
    body = [f"{info['when']} · {info['orders']:,} orders · {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM · "
            f"{', '.join(f'{k} {v}' for k, v in info['versions'].items())} · {args.web_workers} gunicorn workers · "
            f"{args.duration}s per run · load average before: {' '.join(info['load'])}, after: {' '.join(info['load_after'])}",
            "", "| scenario | clients | req/s | p50 | p95 | p99 | max | errors |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, clients, r in rows:
        errors = r["status_errors"] + r["socket_errors"] + r["timeouts"]
        if not r["requests"]:
            body.append(f"| {name} | {clients} | 0 | none completed within the {args.duration}s run | | | | |")
            continue
        body.append(f"| {name} | {clients} | {r['rps']:.1f} | {r['p50'] / 1000:.1f} | {r['p95'] / 1000:.1f} | "
                    f"{r['p99'] / 1000:.1f} | {r['max'] / 1000:.0f} | {errors} |")
    if args.note:
        body += ["", args.note]
    sections[label] = "\n".join(body) + "\n\n"
    order = sorted(sections, key=lambda k: (0 if k.startswith("before") else 1, k))
    RESULTS.write_text(head + "".join(f"## {k}\n{sections[k]}" for k in order))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--var-dir", default=os.environ.get("ORDERLOOP_VAR_DIR", "/tmp/http-var"))
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--duration", type=int, default=15, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of untimed load before each scenario")
    parser.add_argument("--only", default="", help="comma-separated scenario name prefixes (e.g. list,detail)")
    parser.add_argument("--label", default="after", help="section of http.md to (re)write")
    parser.add_argument("--note", default="")
    parser.add_argument("--url", help="use a server already running there instead of starting one")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is needed")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk)")
    env = {"DATABASE_URL": args.database_url, "ORDERLOOP_VAR_DIR": args.var_dir, "DJANGO_DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": "orderloop.config.settings"}
    django_setup(env)
    command = (f"DATABASE_URL={args.database_url} ORDERLOOP_VAR_DIR={args.var_dir} .venv/bin/python bench/http_load.py "
               f"--web-workers {args.web_workers} --clients {args.clients} --duration {args.duration} --label {shlex.quote(args.label)}")
    creds = credentials()
    sets = request_sets()
    if args.only:
        prefixes = [p.strip() for p in args.only.split(",")]
        sets = {k: v for k, v in sets.items() if any(k.startswith(p) for p in prefixes)}
    server = None
    base = args.url
    if not base:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "orderloop.cli", "run", "--no-worker", "--web-workers", str(args.web_workers),
             "--bind", f"127.0.0.1:{port}"], env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop wrk and the server on the way out
    rows = []
    info = machine()
    info["when"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        wait_for(base + "/login/")
        check(base, sets, creds)
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp, "bench.lua")
            script.write_text(LUA)
            auth_files = {}
            for surface in ("page", "api", "none"):
                auth_files[surface] = Path(tmp, f"auth-{surface}.txt")
                auth_files[surface].write_text("".join(f"{u} {c[surface][0]}: {c[surface][1]}\n".replace(": ", " ", 1)
                                                       for u, c in creds.items()))
            for name, items in sets.items():
                paths = Path(tmp, "paths.txt")
                random.Random(1).shuffle(items)
                paths.write_text("".join(f"{u} {p}\n" for u, p in items))
                surface = surface_of(name)
                if args.warmup:
                    settle()
                    run_wrk(base, str(paths), str(auth_files[surface]), str(script), 8, args.warmup)
                for clients in [int(c) for c in args.clients.split(",")]:
                    settle()
                    r = run_wrk(base, str(paths), str(auth_files[surface]), str(script), clients, args.duration)
                    rows.append((name, clients, r))
                    print(f"{name:15} c={clients:<3} {r['rps']:7.1f} req/s  p50 {r['p50'] / 1000:7.1f}  p95 "
                          f"{r['p95'] / 1000:7.1f}  p99 {r['p99'] / 1000:7.1f} ms  errors "
                          f"{r['status_errors'] + r['socket_errors'] + r['timeouts']}", flush=True)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    info["load_after"] = open("/proc/loadavg").read().split()[:3]
    write_results(args.label, info, rows, args, command)
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
