#!/usr/bin/env python3
"""Scale-out benchmark: two web processes and two workers on one PostgreSQL database and one Redis queue.

It creates and migrates a fresh PostgreSQL database, loads minimal master data (one user per role, a team,
a customer with a contact e-mail, a product), starts two gunicorn processes (production settings, DEBUG off,
plain http, each on its own port) and two ``orderloop worker`` processes sharing a Redis queue, then drives
N orders concurrently over HTTP through the whole lifecycle (intake → review → approve → stock check →
fulfilment → tracking → shipment → ship → receipt scan → accept → follow-up visit → close), spreading the
requests over both web processes. Then it lets the workers drain the outbox and checks:

- every order got a formal number, and each month's sequence is gap-free and without duplicates;
- every order ended closed;
- no notification was lost or doubled: outbox keys unique, every e-mail row sent once (state and
  sent_at), each e-mail received exactly once by the (file-based) mail backend, the same notifications
  for every order;
- no server error: no 5xx answer, nothing unexpected in the gunicorn and worker logs.

It prints a summary, writes bench/results/scaleout.md (or --results PATH), and exits 1 when a check fails
(2 when PostgreSQL or Redis is unreachable). Processes, the database and the Redis db are cleaned up at
the end, also on failure (the logs are kept on failure and their folder printed).

    .venv/bin/python bench/scaleout.py                  # 1,000 orders, 16 clients
    .venv/bin/python bench/scaleout.py --orders 200 --results /tmp/scaleout.md

Only the standard library and orderloop's own dependencies (psycopg, redis, gunicorn) are used.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import datetime as dt
import hashlib
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import http.client  # noqa: E402  (after the path is fixed)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "bench" / "results" / "scaleout.md"
ROLES = ["sales_assistant", "account_manager", "sales_manager", "sales_director", "warehouse", "production",
         "logistics", "after_sales", "finance"]
SALES_TEAM = {"sales_assistant", "account_manager", "sales_manager"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a signed receipt, scanned

SETUP = """
import json, sys
from datetime import date
from decimal import Decimal
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from orderloop.accounts.models import Team, User
from orderloop.masterdata.models import Contact, Customer, Product, Qualification, StockLevel
from orderloop.setup.demo import LICENCE_SCAN

roles, sales_team, password = {roles!r}, {sales_team!r}, {password!r}
hashed = make_password(password)  # the production hasher, once for every user
team = Team.objects.create(name="华北销售一组")
users = {{}}
for role in roles:
    user = User.objects.create(username=role, password=hashed, display_name=role, email=role + "@example.com",
                               team=team if role in sales_team else None)
    user.groups.set([Group.objects.get(name=role)])
    users[role] = user
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
print("SETUP " + json.dumps({{"customer_id": customer.pk, "product_id": product.pk}}))
"""

# Production settings as they are, plus only where the file-based mail backend writes (not read from the environment).
SETTINGS = """from orderloop.config.settings import *  # noqa: F401,F403
EMAIL_FILE_PATH = {mail_dir!r}
"""

PROBE = "/api/docs"  # asked until each web process answers
ACCESS_FORMAT = '%(t)s pid=%(p)s "%(r)s" %(s)s %(b)s %(M)sms'
SERVER_TROUBLE = re.compile(r"Traceback|Internal Server Error|\[CRITICAL\]|WORKER TIMEOUT|\[ERROR\]|Worker failed|"
                            r"OperationalError|IntegrityError|deadlock", re.IGNORECASE)
WORKER_TROUBLE = re.compile(r"Traceback|Unhandled exception|\bERROR\b|CRITICAL|OperationalError|IntegrityError|deadlock")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Unavailable(Exception):
    """PostgreSQL or Redis is not there: nothing to measure."""


# --- HTTP -------------------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.statuses: collections.Counter = collections.Counter()
        self.latencies: list[float] = []
        self.per_port: collections.Counter = collections.Counter()
        self.server_errors: list[str] = []
        self.transport_errors: list[str] = []

    def record(self, port, method, path, status, seconds):
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1
            self.latencies.append(seconds)
            self.per_port[port] += 1
            if status >= 500:
                self.server_errors.append(f"{status} {method} {path} (port {port})")


class Http:
    """One request, one connection (gunicorn's sync workers close every connection anyway)."""

    def __init__(self, ports: list[int], stats: Stats, timeout: float = 120):
        self.ports, self.stats, self.timeout = ports, stats, timeout

    def request(self, port: int, method: str, path: str, *, token: str | None = None, body=None,
                multipart: dict | None = None) -> tuple[int, dict | str]:
        headers = {"Host": "127.0.0.1", "Accept": "application/json"}
        data = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if multipart is not None:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in multipart.items():
                if isinstance(value, tuple):  # (filename, content type, bytes)
                    filename, content_type, content = value
                    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                                 f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
                else:
                    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
            data = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            with self.stats.lock:
                self.stats.transport_errors.append(f"{method} {path} (port {port}): {exc!r}")
            raise
        finally:
            connection.close()
        self.stats.record(port, method, path, status, time.perf_counter() - started)
        try:
            return status, json.loads(raw) if raw else {}
        except ValueError:
            return status, raw.decode(errors="replace")[:500]


class StepFailed(Exception):
    pass


def drive_order(http: Http, tokens: dict, client: int, index: int, customer_id: int, product_id: int,
                system_close: bool = False) -> dict:
    """One order from intake to closed (or delivered with its visit done, left to the worker's close when
    ``system_close``); each request goes to the other web process than the one before."""
    turn = [client + index]

    def call(role, method, path, expect=(200,), **kwargs):
        port = http.ports[turn[0] % len(http.ports)]
        turn[0] += 1
        status, body = http.request(port, method, path, token=tokens[role], **kwargs)
        if status not in expect:
            raise StepFailed(f"{method} {path} as {role} (port {port}): {status} {str(body)[:300]}")
        return status, body

    def act(role, ref, action, expect_status, expect=(200,), **payload):
        status, body = call(role, "POST", f"/api/orders/{ref}/actions/{action}", expect=expect, body=payload)
        if status == 200 and body.get("status") != expect_status:
            raise StepFailed(f"{action} on {ref}: status {body.get('status')}, expected {expect_status}")
        return status, body

    def pay(ref, *triggers):
        """Finance records the customer's payment of the order's open instalments (of ``triggers``), allocated."""
        _, body = call("finance", "GET", f"/api/orders/{ref}")
        owed = [i for i in body["payment_plan"]["instalments"]
                if Decimal(i["outstanding"]) > 0 and (not triggers or i["trigger"] in triggers)]
        total = sum(Decimal(i["outstanding"]) for i in owed)
        call("finance", "POST", "/api/finance/receipts", expect=(201,), body={
            "customer_id": customer_id, "received_on": dt.date.today().isoformat(), "amount": str(total),
            "allocations": [{"instalment_id": i["id"], "amount": i["outstanding"]} for i in owed]})

    order = {
        "customer_id": customer_id, "contact_name": "李*", "contact_phone": "13800001111", "order_date": "2024-05-10",
        "channel": "web", "payment_terms": "30%预付,余款到付", "delivery_address": "北京市海淀区路1号",
        "requested_date": "2030-05-25", "remarks": f"scale-out bench order {index}",
        "lines": [{"product_id": product_id, "quantity": "10", "unit_price": "5000"}],
    }
    _, body = call("sales_assistant", "POST", "/api/orders", expect=(201,), body=order)
    ref = body["ref"]
    _, body = act("sales_assistant", ref, "review", "pending_approval", verdict="pass")
    ref = body["number"]
    if not ref:
        raise StepFailed(f"order {index}: no formal number after review")
    _, body = call("sales_manager", "GET", f"/api/orders/{ref}")  # the approver approves the version they read
    _, body = act("sales_manager", ref, "approve", "pending_director", comment="同意", version=body["version"])
    # 50,000 yuan: over the director's 10,000, the director approves next
    act("sales_director", ref, "approve", "pending_stock_check", comment="同意", version=body["version"])
    lines = [{"line_id": line["id"], "availability": "in_stock", "feasible_date": "2030-05-20", "date_reason": "按排产计划"}
             for line in body["lines"]]
    act("warehouse", ref, "confirm_stock", "confirmed", lines=lines)
    pay(ref, "on_confirmation")  # 30%预付: production starts once the deposit is in
    act("production", ref, "start_fulfillment", "in_fulfillment",
        stages=[{"name": "生产", "owner": "production", "planned_date": "2030-05-20"}])
    act("production", ref, "track", "in_fulfillment", stage="生产", record="生产完成", actual_date="2024-05-19")
    act("warehouse", ref, "prepare_shipment", "ready_to_ship", goods="服务器A型 × 10", quantity_checked=True,
        qc_passed=True, qc_report="合格")
    act("logistics", ref, "ship", "shipped", method="express", carrier="顺丰速运", tracking_number=f"SF{index}",
        eta="2030-05-23")
    _, receipt = call("account_manager", "POST", f"/api/orders/{ref}/attachments", expect=(201,),
                      multipart={"kind": "receipt", "file": ("签收单.png", "image/png", PNG)})
    act("account_manager", ref, "accept", "delivered", quantity_ok=True, spec_ok=True, appearance_ok=True, signed_by="李*",
        receipt_attachment_id=receipt["id"])
    pay(ref)  # the balance, on arrival: the order closes once its plan is settled
    act("account_manager", ref, "follow_up", "delivered", channel="phone", usage="运行正常", satisfaction=5)
    if system_close:
        return {"number": ref, "closed_by": "system"}
    # The worker closes delivered orders whose visit is done (every 5 minutes): it may have been first (409).
    status, body = act("sales_manager", ref, "close", "closed", expect=(200, 409), note="")
    return {"number": ref, "closed_by": "sales_manager" if status == 200 else "system"}


# --- processes, database, queue -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def claim_redis_db(host: str, port: int, wanted: int | None):
    """An empty Redis database for this run's queue (the highest free one, 14 down to 1, unless told)."""
    import redis

    marker = "orderloop:bench:scaleout:claim"
    for db in ([wanted] if wanted is not None else range(14, 0, -1)):
        client = redis.Redis(host=host, port=port, db=db)
        if client.set(marker, os.getpid(), nx=True, ex=6 * 3600):
            if client.dbsize() == 1:
                return db, client
            client.delete(marker)
        if wanted is not None:
            raise Unavailable(f"Redis db {wanted} is in use (not empty)")
    raise Unavailable("no empty Redis database between 1 and 14")


class Run:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="orderloop-scaleout-"))
        self.processes: list[tuple[str, subprocess.Popen, Path]] = []
        self.db_name = f"bench_scaleout_{os.getpid()}_{secrets.token_hex(3)}"
        self.db_created = False
        self.redis = None
        self.redis_db = None
        self.env: dict = {}

    # environment

    def prepare(self):
        pg = self.args.postgres
        m = re.match(r"postgres(?:ql)?://(?:[^@/]*@)?([^:/]+)(?::(\d+))?", pg)
        if not m or not reachable(m.group(1), int(m.group(2) or 5432)):
            raise Unavailable(f"PostgreSQL is not reachable at {pg}")
        rm = re.match(r"redis://([^:/]+)(?::(\d+))?", self.args.redis)
        if not rm or not reachable(rm.group(1), int(rm.group(2) or 6379)):
            raise Unavailable(f"Redis is not reachable at {self.args.redis}")
        import psycopg

        self.admin_dsn = pg.rstrip("/") + "/postgres"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        self.database_url = pg.rstrip("/") + "/" + self.db_name
        self.redis_db, self.redis = claim_redis_db(rm.group(1), int(rm.group(2) or 6379), self.args.redis_db)
        (self.tmp / "mail").mkdir()
        (self.tmp / "media").mkdir()
        (self.tmp / "logs").mkdir()
        (self.tmp / "scaleout_settings.py").write_text(SETTINGS.format(mail_dir=str(self.tmp / "mail")))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ORDERLOOP_", "HUEY_", "EMAIL_"))}
        env.update({
            "PYTHONPATH": os.pathsep.join([str(self.tmp), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "DJANGO_SETTINGS_MODULE": "scaleout_settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "HUEY_URL": f"{self.args.redis.rstrip('/')}/{self.redis_db}",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "ORDERLOOP_VAR_DIR": str(self.tmp / "var"),
            "ORDERLOOP_MEDIA_ROOT": str(self.tmp / "media"),  # one folder for both web processes (a shared volume)
            "ORDERLOOP_BASE_URL": "http://127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        self.env = env
        log(f"database {self.db_name}, Redis db {self.redis_db}, files in {self.tmp}")

    def orderloop(self, *args, timeout=600) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "orderloop.cli", *args], env=self.env, cwd=self.tmp,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"orderloop {args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        path = self.tmp / "logs" / f"{name}.log"
        out = path.open("wb")
        process = subprocess.Popen(argv, env=self.env, cwd=self.tmp, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        out.close()
        self.processes.append((name, process, path))
        return process

    def start(self):
        log("migrating")
        self.orderloop("migrate", "--no-input", "-v0")
        self.ports = [free_port() for _ in range(self.args.web)]
        for i, port in enumerate(self.ports):
            self.spawn(f"web{i + 1}", [
                sys.executable, "-m", "gunicorn", "orderloop.config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--workers", str(self.args.web_workers), "--timeout", "120", "--graceful-timeout", "20",
                "--access-logfile", "-", "--access-logformat", ACCESS_FORMAT, "--error-logfile", "-",
                *self.control_socket(f"web{i + 1}")])
        for i in range(self.args.workers):
            self.spawn(f"worker{i + 1}", [sys.executable, "-m", "orderloop.cli", "worker"])
        log("loading master data while the processes start")
        self.password = secrets.token_urlsafe(12)
        script = SETUP.format(roles=ROLES, sales_team=sorted(SALES_TEAM), password=self.password)
        out = self.orderloop("shell", "-c", script).stdout
        self.master = json.loads(next(line for line in out.splitlines() if line.startswith("SETUP "))[6:])
        deadline = time.monotonic() + 60
        for port in self.ports:
            while True:
                self.check_alive()
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    connection.request("GET", PROBE, headers={"Host": "127.0.0.1"})
                    connection.getresponse().read()
                    connection.close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn on port {port} did not answer within 60 s")
                    time.sleep(0.3)
        log(f"{self.args.web} web processes × {self.args.web_workers} gunicorn workers on ports "
            f"{', '.join(map(str, self.ports))}; {self.args.workers} workers on Redis db {self.redis_db}")

    def control_socket(self, name: str) -> list[str]:
        """gunicorn ≥ 25 opens a control socket, by default one path for every server of the user: one each."""
        try:
            from gunicorn.config import KNOWN_SETTINGS
        except ImportError:
            return []
        if any("--control-socket" in (getattr(s, "cli", None) or []) for s in KNOWN_SETTINGS):
            return ["--control-socket", str(self.tmp / f"{name}.ctl")]
        return []

    def check_alive(self):
        for name, process, path in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}: {path.read_text(errors='replace')[-2000:]}")

    def stop(self):
        for name, process, _ in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for name, process, _ in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def cleanup(self, keep_files: bool):
        try:
            self.stop()
        finally:
            if self.redis is not None:
                try:
                    self.redis.flushdb()
                except Exception as exc:  # noqa: BLE001
                    log(f"could not empty Redis db {self.redis_db}: {exc}")
            if self.db_created:
                try:
                    import psycopg

                    with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
                except Exception as exc:  # noqa: BLE001
                    log(f"could not drop database {self.db_name}: {exc}")
            if keep_files:
                log(f"logs and files kept in {self.tmp}")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def sql(self, query: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return conn.execute(query, params).fetchall()


# --- the checks --------------------------------------------------------------------------------------------------

def message_id(key: str) -> str:  # as orderloop.notifications.delivery.message_id
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@orderloop>"


def wait_for_system_close(run: Run, timeout: float) -> float:
    """Until no order is left delivered with its visit done (the worker's close_completed_orders, every 5 minutes)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        run.check_alive()
        (left,), = run.sql("SELECT count(*) FROM orders_salesorder WHERE status = 'delivered'")
        if left == 0:
            break
        time.sleep(1)
    return time.monotonic() - started


def wait_for_outbox(run: Run, timeout: float) -> tuple[int, float]:
    """Until no e-mail is left pending (the workers were told on commit; the sweep runs every minute)."""
    started = time.monotonic()
    while True:
        run.check_alive()
        (pending,), = run.sql("SELECT count(*) FROM notifications_notification WHERE state = 'pending' AND channel <> 'inapp'")
        if pending == 0 or time.monotonic() - started > timeout:
            return pending, time.monotonic() - started
        time.sleep(0.5)


def mail_message_ids(mail_dir: Path) -> collections.Counter:
    ids: collections.Counter = collections.Counter()
    for path in mail_dir.iterdir():
        for line in path.read_text(errors="replace").splitlines():
            if line.lower().startswith("message-id:"):
                ids[line.split(":", 1)[1].strip()] += 1
    return ids


def scan_logs(run: Run) -> tuple[dict, list[str], list[str]]:
    """(status counts from the access logs, server trouble lines, worker trouble lines)"""
    statuses: collections.Counter = collections.Counter()
    server, worker = [], []
    access = re.compile(r'^\[[^\]]+\] pid=<?\d+>? "[A-Z]+ ([^ "]*)[^"]*" (\d{3}) ')
    for name, _, path in run.processes:
        for line in path.read_text(errors="replace").splitlines():
            m = access.match(line)
            if m:
                if m.group(1) != PROBE:
                    statuses[int(m.group(2))] += 1
                continue
            if name.startswith("web") and SERVER_TROUBLE.search(line):
                server.append(f"{name}: {line}")
            if name.startswith("worker") and WORKER_TROUBLE.search(line):
                worker.append(f"{name}: {line}")
    return dict(statuses), server, worker


def check(run: Run, stats: Stats, outcomes: dict, failures: list[str], n_orders: int,
          pending_left: int, mail_dir: Path) -> tuple[list[tuple[str, bool, str]], dict]:
    checks: list[tuple[str, bool, str]] = []

    def add(name, ok, detail=""):
        checks.append((name, bool(ok), detail))

    add("every order driven through the lifecycle without an unexpected answer", not failures and len(outcomes) == n_orders,
        f"{len(outcomes)} of {n_orders} done" + (f"; first failure: {failures[0]}" if failures else ""))

    rows = run.sql("SELECT number, status FROM orders_salesorder")
    numbers = [number for number, _ in rows]
    add("every order in the database", len(rows) == n_orders, f"{len(rows)} orders")
    add("every order got a formal number", all(numbers), f"{sum(1 for n in numbers if not n)} without")
    by_month: dict[str, list[int]] = collections.defaultdict(list)
    malformed = []
    for number in filter(None, numbers):
        m = re.fullmatch(r"(\d{6})-(\d{3,})", number)
        if m:
            by_month[m.group(1)].append(int(m.group(2)))
        else:
            malformed.append(number)
    duplicates = sum(len(serials) - len(set(serials)) for serials in by_month.values())
    gaps = {month: sorted(set(range(1, max(serials) + 1)) - set(serials)) for month, serials in by_month.items()}
    counters = dict(run.sql("SELECT month, last FROM core_ordernumbercounter"))
    add("numbers well-formed (YYYYMM-NNN)", not malformed, ", ".join(malformed[:5]))
    add("no duplicate number", duplicates == 0, f"{duplicates} duplicates")
    add("no missing number (gap-free per month)", not any(gaps.values()),
        "; ".join(f"{m}: missing {g[:10]}" for m, g in gaps.items() if g))
    add("month counters match the numbers given", all(counters.get(m) == len(s) for m, s in by_month.items()),
        ", ".join(f"{m}: counter {counters.get(m)}, {len(s)} numbers" for m, s in sorted(by_month.items())))
    seen = sorted(o["number"] for o in outcomes.values())
    add("numbers the clients saw = numbers stored", failures or seen == sorted(n for n in numbers if n),
        f"{len(seen)} seen, {len(set(seen))} distinct")
    status_counts = collections.Counter(status for _, status in rows)
    add("every order ended closed", status_counts.get("closed", 0) == n_orders,
        ", ".join(f"{s}: {c}" for s, c in sorted(status_counts.items())))

    notes = run.sql("SELECT key, channel, state, sent_at IS NOT NULL, order_id, event FROM notifications_notification")
    keys = collections.Counter(key for key, *_ in notes)
    doubled_keys = [k for k, c in keys.items() if c > 1]
    add("outbox keys unique", not doubled_keys, ", ".join(doubled_keys[:5]))
    emails = [n for n in notes if n[1] == "email"]
    inapp = [n for n in notes if n[1] == "inapp"]
    others = [n for n in notes if n[1] not in {"email", "inapp"}]
    unsent = [n for n in notes if n[2] != "sent" or not n[3]]
    add("outbox drained: every notification sent (state sent, sent_at set)", not unsent and pending_left == 0,
        f"{len(unsent)} not sent" + (f", e.g. {unsent[0][:3]}" if unsent else ""))
    received = mail_message_ids(mail_dir)
    expected = collections.Counter(message_id(key) for key, *_ in emails)
    missing = [m for m in expected if received[m] == 0]
    doubled = [m for m, c in received.items() if c > 1]
    unknown = [m for m in received if m not in expected]
    add("each e-mail received exactly once by the mail backend",
        not missing and not doubled and not unknown and sum(received.values()) == len(emails),
        f"{sum(received.values())} received for {len(emails)} e-mail rows; {len(missing)} missing, {len(doubled)} doubled, "
        f"{len(unknown)} unknown")
    per_order = collections.Counter()
    for _, channel, _, _, order_id, event in notes:
        if order_id is not None:
            per_order[order_id] += 1
    order_ids = [pk for (pk,) in run.sql("SELECT id FROM orders_salesorder")]
    distribution = collections.Counter(per_order.get(pk, 0) for pk in order_ids)
    add("the same notifications for every order (none lost, none doubled)", len(distribution) == 1 and 0 not in distribution,
        ", ".join(f"{count} notifications: {orders} orders" for count, orders in sorted(distribution.items())))

    log_statuses, server_trouble, worker_trouble = scan_logs(run)
    fives = sum(c for s, c in stats.statuses.items() if s >= 500)
    log_fives = sum(c for s, c in log_statuses.items() if s >= 500)
    add("no 5xx answer", fives == 0 and log_fives == 0, f"{fives} seen by clients, {log_fives} in the access logs"
        + (f"; {stats.server_errors[0]}" if stats.server_errors else ""))
    add("no transport error (reset, timeout)", not stats.transport_errors, "; ".join(stats.transport_errors[:3]))
    add("access logs hold every request", sum(log_statuses.values()) == stats.requests,
        f"{sum(log_statuses.values())} logged, {stats.requests} sent (readiness probes not counted)")
    add("nothing wrong in the gunicorn logs", not server_trouble, "; ".join(server_trouble[:3]))
    add("nothing wrong in the worker logs", not worker_trouble, "; ".join(worker_trouble[:3]))

    events = collections.Counter(n[5] for n in notes)
    figures = {
        "numbers": len([n for n in numbers if n]),
        "months": {m: f"{m}-{min(s):03d} … {m}-{max(s):03d}" for m, s in sorted(by_month.items())},
        "notifications": len(notes), "emails_sent": sum(1 for n in emails if n[2] == "sent"),
        "emails_received": sum(received.values()), "inapp": len(inapp), "other_channels": len(others),
        "notifications_per_order": sorted(distribution.items()), "events": dict(sorted(events.items())),
        "statuses": dict(sorted(stats.statuses.items())), "access_log_statuses": dict(sorted(log_statuses.items())),
        "closed_by": dict(run.sql("SELECT CASE WHEN actor_id IS NULL THEN 'worker' ELSE 'sales manager' END, count(*) "
                                  "FROM orders_orderevent WHERE type = 'closed' GROUP BY 1 ORDER BY 1")),
    }
    return checks, figures


# --- the report -----------------------------------------------------------------------------------------------------

def versions(run: Run) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    import psycopg
    import redis

    result = {"Python": platform.python_version()}
    for package in ["Django", "django-ninja", "gunicorn", "huey", "psycopg", "redis"]:
        try:
            result[package] = version(package)
        except PackageNotFoundError:
            result[package] = "?"
    try:
        result["PostgreSQL"] = run.sql("SHOW server_version")[0][0]
    except psycopg.Error:  # the report still names everything else
        pass
    try:
        result["Redis"] = run.redis.info("server")["redis_version"]
    except (AttributeError, redis.RedisError):  # no connection (None) or Redis gone: left out of the report
        pass
    return result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
        memory = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}){memory}"


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def write_report(path: Path, *, args, run: Run, summary: dict, checks, figures, load_before, load_after, command):
    ok = all(passed for _, passed, _ in checks)
    lines = [
        "# Scale-out benchmark",
        "",
        "Two web processes and two workers on one PostgreSQL database and one Redis queue; orders driven through the",
        "whole lifecycle concurrently over HTTP. Written by `bench/scaleout.py` (see its docstring; docs/operations.md,",
        "\"Deploying at scale\").",
        "",
        f"- Date: {summary['date']}",
        f"- Machine: {machine()}",
        f"- Load average (1, 5, 15 min) before: {load_before}; after: {load_after}. Other processes (benchmarks, test "
        "suites) may share the cores: with a load above the core count the throughput and latency figures are a lower "
        "bound, the checks hold regardless",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions(run).items()),
        f"- Command: `{command}`",
        f"- Setup: {args.web} gunicorn processes × {args.web_workers} sync workers (DEBUG off, production settings, plain "
        f"http, one port each), {args.workers} `orderloop worker` processes (Huey, 2 threads each) on Redis, PostgreSQL, "
        f"file-based mail backend; {args.clients} concurrent HTTP clients, each request alternating between the web processes",
        "",
        "## Figures",
        "",
        "| | |",
        "|---|---|",
        f"| Orders (intake → closed) | {summary['orders']} |",
        f"| Elapsed (driving the orders) | {summary['elapsed_s']:.1f} s |",
        f"| Orders/s | {summary['orders_per_s']:.2f} |",
        f"| Requests | {summary['requests']} ({summary['requests_per_s']:.1f}/s; "
        f"{summary['requests_per_order']:.0f} per order) |",
        f"| Latency p50 / p95 / max | {summary['p50_ms']:.0f} / {summary['p95_ms']:.0f} / {summary['max_ms']:.0f} ms |",
        f"| Requests per web process | {summary['per_port']} |",
        f"| HTTP statuses | {figures['statuses']} |",
        f"| 5xx | {summary['5xx']} |",
        f"| Formal numbers | {figures['numbers']} ({'; '.join(figures['months'].values())}) |",
        f"| Closed by | {', '.join(f'{who}: {n}' for who, n in figures['closed_by'].items())} "
        + (f"(every {args.system_close_every}th order left to the workers' automatic close; waited "
           f"{summary['system_close_wait_s']:.0f} s for it) |" if args.system_close_every
           else "(none left to the automatic close) |"),
        f"| Notifications | {figures['notifications']} ({figures['inapp']} in-app, {figures['emails_sent']} e-mails sent, "
        f"{figures['emails_received']} received by the mail backend) |",
        f"| Notifications by event | {', '.join(f'{e}: {n}' for e, n in figures['events'].items())} |",
        f"| Notifications per order | {', '.join(f'{c} for {n} orders' for c, n in figures['notifications_per_order'])} |",
        f"| Outbox drained after the last order | {summary['drain_s']:.1f} s |",
        "",
        "## Checks",
        "",
        "| Check | | Detail |",
        "|---|---|---|",
        *[f"| {name} | {'pass' if passed else '**FAIL**'} | {detail.replace('|', '/')} |" for name, passed, detail in checks],
        "",
        f"Result: **{'PASS' if ok else 'FAIL'}**",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


# --- main ---------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--web", type=int, default=2, help="gunicorn processes, one port each")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn (sync) workers per web process")
    parser.add_argument("--workers", type=int, default=2, help="orderloop worker processes")
    parser.add_argument("--postgres", default=os.environ.get("SCALEOUT_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
                        help="server URL without database; a fresh database is created there and dropped at the end")
    parser.add_argument("--redis", default=os.environ.get("SCALEOUT_REDIS", "redis://127.0.0.1:6379"),
                        help="server URL without db number")
    parser.add_argument("--redis-db", type=int, default=None, help="an empty Redis db to use (default: the highest free one)")
    parser.add_argument("--system-close-every", type=int, default=10, metavar="K",
                        help="leave every Kth order, its visit done, to the workers' automatic close (every 5 minutes, "
                             "so up to 5 minutes more); 0: the sales manager closes every order")
    parser.add_argument("--drain-timeout", type=float, default=180)
    parser.add_argument("--results", default=str(DEFAULT_RESULTS), help="Markdown report ('-' for none)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and mail folder even when every check passes")
    args = parser.parse_args(argv)
    command = "python bench/scaleout.py" + ("" if argv is None and len(sys.argv) == 1 else " " + shlex.join(
        sys.argv[1:] if argv is None else argv))

    def terminate(signum, frame):  # run the cleanup on SIGTERM too
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    run = Run(args)
    ok = False
    load_before = load()
    try:
        run.prepare()
        run.start()
        stats = Stats()
        http_ = Http(run.ports, stats)
        def token(i_role):
            i, role = i_role
            status, body = http_.request(run.ports[i % len(run.ports)], "POST", "/api/auth/token",
                                         body={"username": role, "password": run.password})
            if status != 200:
                raise RuntimeError(f"token for {role}: {status} {body}")
            return role, body["token"]

        roles = ["sales_assistant", "account_manager", "sales_manager", "sales_director", "warehouse", "production", "logistics",
                 "finance"]
        with concurrent.futures.ThreadPoolExecutor(len(roles)) as pool:
            tokens = dict(pool.map(token, enumerate(roles)))
        setup_requests = stats.requests
        log(f"driving {args.orders} orders with {args.clients} clients")
        outcomes: dict[int, dict] = {}
        failures: list[str] = []
        next_index = iter(range(args.orders))
        index_lock = threading.Lock()
        done_count = [0]

        def client(number: int):
            while True:
                with index_lock:
                    index = None if stopping.is_set() else next(next_index, None)
                if index is None:
                    return
                try:
                    outcome = drive_order(http_, tokens, number, index, run.master["customer_id"], run.master["product_id"],
                                          system_close=bool(args.system_close_every) and index % args.system_close_every == 0)
                except (StepFailed, OSError, http.client.HTTPException, KeyError, TypeError) as exc:
                    with index_lock:
                        failures.append(f"order {index}: {exc}")
                    continue
                with index_lock:
                    outcomes[index] = outcome
                    done_count[0] += 1
                    if done_count[0] % max(1, args.orders // 10) == 0:
                        log(f"{done_count[0]} orders closed ({time.perf_counter() - started:.0f} s)")

        started = time.perf_counter()
        stopping = threading.Event()  # interrupted: the clients finish the order in hand, then stop
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            try:
                for future in [pool.submit(client, i) for i in range(args.clients)]:
                    future.result()
            except BaseException:
                stopping.set()
                raise
        elapsed = time.perf_counter() - started
        log(f"{len(outcomes)} orders in {elapsed:.1f} s; {len(failures)} failed; letting the workers drain the outbox")
        system_closed_wait = 0.0
        if any(o["closed_by"] == "system" for o in outcomes.values()):
            log("waiting for the workers' automatic close (every 5 minutes)")
            system_closed_wait = wait_for_system_close(run, timeout=400)
        pending_left, drain = wait_for_outbox(run, args.drain_timeout)
        time.sleep(2)  # a last delivery's mail file written and its row updated
        load_after = load()
        run.stop()  # every log complete before it is scanned
        checks, figures = check(run, stats, outcomes, failures, args.orders, pending_left, run.tmp / "mail")
        ok = all(passed for _, passed, _ in checks)
        requests = stats.requests - setup_requests
        summary = {
            "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "orders": len(outcomes), "elapsed_s": elapsed, "orders_per_s": len(outcomes) / elapsed if elapsed else 0,
            "requests": requests, "requests_per_s": requests / elapsed if elapsed else 0,
            "requests_per_order": requests / max(1, args.orders),
            "p50_ms": percentile(stats.latencies, 50) * 1000, "p95_ms": percentile(stats.latencies, 95) * 1000,
            "max_ms": max(stats.latencies, default=0) * 1000,
            "per_port": ", ".join(f":{p} {c}" for p, c in sorted(stats.per_port.items())),
            "5xx": sum(c for s, c in stats.statuses.items() if s >= 500), "drain_s": drain,
            "system_close_wait_s": system_closed_wait,
        }
        print()
        print("SCALEOUT SUMMARY")
        print(f"  orders:          {summary['orders']} of {args.orders} closed ({args.clients} clients, "
              f"{args.web} web × {args.web_workers}, {args.workers} workers)")
        print(f"  elapsed:         {elapsed:.1f} s")
        print(f"  orders/s:        {summary['orders_per_s']:.2f}")
        print(f"  requests:        {requests} ({summary['requests_per_s']:.1f}/s, p50 {summary['p50_ms']:.0f} ms, "
              f"p95 {summary['p95_ms']:.0f} ms; per web process {summary['per_port']})")
        print(f"  5xx:             {summary['5xx']}")
        print(f"  closed by:       {', '.join(f'{who}: {n}' for who, n in figures['closed_by'].items())}"
              + (f" (waited {system_closed_wait:.0f} s for the automatic close)" if system_closed_wait else ""))
        print(f"  numbers:         {figures['numbers']} ({'; '.join(figures['months'].values())})")
        print(f"  notifications:   {figures['notifications']} ({figures['inapp']} in-app, {figures['emails_sent']} e-mails "
              f"sent, {figures['emails_received']} received; outbox drained in {drain:.1f} s)")
        print(f"  load average:    before {load_before}, after {load_after}")
        for name, passed, detail in checks:
            print(f"  [{'ok' if passed else 'FAIL'}] {name}" + (f" — {detail}" if detail and not passed else ""))
        print(f"RESULT: {'PASS' if ok else 'FAIL'}")
        print("SUMMARY_JSON " + json.dumps({**summary, "ok": ok, "numbers": figures["numbers"],
                                            "notifications": figures["notifications"],
                                            "emails_sent": figures["emails_sent"],
                                            "emails_received": figures["emails_received"],
                                            "failed_checks": [name for name, passed, _ in checks if not passed]},
                                           ensure_ascii=False), flush=True)
        if args.results != "-":
            write_report(Path(args.results), args=args, run=run, summary=summary, checks=checks, figures=figures,
                         load_before=load_before, load_after=load_after, command=command)
            log(f"report written to {args.results}")
        return 0 if ok else 1
    except Unavailable as exc:
        print(f"UNAVAILABLE: {exc}", file=sys.stderr)
        return 2
    except BaseException as exc:  # noqa: BLE001  (KeyboardInterrupt too: clean up, then fail)
        import traceback

        traceback.print_exc()
        print(f"RESULT: FAIL ({exc!r})", flush=True)
        return 1
    finally:
        run.cleanup(keep_files=args.keep or (not ok and bool(run.processes)))  # the logs of a failed run


if __name__ == "__main__":
    sys.exit(main())
