"""The demo data and the one-command start."""
import json
import os
import re
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from orderloop.accounts.models import User
from orderloop.finance.models import Instalment, Receipt
from orderloop.notifications.models import Notification
from orderloop.orders.models import SalesOrder
from orderloop.orders.timers import logistics_notices_send, timers_flag_breaches
from tests.support.serving import serving, web_session

SH = ZoneInfo("Asia/Shanghai")


def test_demo_data_holds_one_user_per_role_and_the_seed_orders(db):
    call_command("demo", force=True)
    usernames = set(User.objects.values_list("username", flat=True))
    assert {"sales_assistant", "account_manager", "sales_manager", "sales_director", "warehouse", "production",
            "logistics", "after_sales", "admin", "finance", "sales_manager2", "account_manager2"} <= usernames
    assert User.objects.get(username="sales_director").check_password("orderloop")
    first = SalesOrder.objects.get(number="202405-001")
    assert (first.customer.name, first.contact_name, first.order_date.isoformat(), first.payment_terms,
            first.delivery_address, first.requested_date.isoformat(), first.owner.display_name, first.remarks) == (
        "科技有限公司", "李*", "2024-05-10", "30%预付,余款到付", "北京市海淀区路1号", "2024-05-25", "张*", "需定制logo")
    line = first.lines.get()
    assert (line.product_name, line.model, line.quantity, line.unit_price, first.total_amount) == (
        "服务器A型", "S-001", 10, 5000, 50000)
    assert first.status == "closed"
    from orderloop.orders.payments import payment_plan  # the seed's terms as a plan: 30% on confirmation, the rest on delivery

    plan = payment_plan(first)
    assert [(i.condition, str(i.amount)) for i in plan.instalments] == [("确认订单时", "15000.00"), ("到货/验收时", "35000.00")]
    assert first.delivered_at and plan.instalments[1].due is not None
    second = SalesOrder.objects.get(number="202405-002")
    # shipped; at 客户验收 the customer asked for one unit more: part 2, shipped as the second consignment, and
    # both consignments await the customer's acceptance on 5月26日
    assert second.status == "shipped" and second.total_amount == 55000
    assert [(line.part, line.quantity) for line in second.lines.order_by("part")] == [(1, 10), (2, 1)]
    assert [(s.position, s.eta.isoformat(), s.accepted_at) for s in second.shipments.order_by("position")] == [
        (1, "2024-05-26", None), (2, "2024-05-26", None)]
    assert second.events.filter(type="approved").count() == 2  # the extra unit went back to the stock check only
    third = SalesOrder.objects.get(number="202405-003")
    assert third.customer.name == "贸易公司" and third.status == "closed"
    # 202405-001's money: finance recorded the 30 % deposit before production started and the balance on arrival
    paid = Receipt.objects.filter(allocations__instalment__order=first).distinct().order_by("received_on")
    assert [(r.received_on.isoformat(), r.amount, r.allocated, r.recorded_by.username) for r in paid] == [
        ("2024-05-11", 15000, 15000, "finance"), ("2024-05-23", 35000, 35000, "finance")]
    started = first.events.get(type="fulfillment_started").occurred_at
    assert paid[0].recorded_at < started and paid[1].received_on == first.delivered_at.astimezone(SH).date()
    assert not Instalment.objects.filter(order=first, is_open=True).exists()
    assert not Instalment.objects.filter(order=third, is_open=True).exists()  # 货到付款, paid before it closed
    # one overdue order: 202405-002's deposit (30 % of 55,000.00), due when it was confirmed, nothing received; the
    # sales manager let stocking start without it (付款放行)
    overdue = Instalment.objects.filter(is_open=True, due_date__lt=datetime.now(SH).date())
    assert [(i.order.number, i.number, i.amount, i.received, i.due_date.isoformat()) for i in overdue] == [
        ("202405-002", 1, Decimal("16500.00"), 0, "2024-05-16")]
    assert second.events.filter(type="payment_waived").count() == 1 and overdue[0].waived_by.username == "sales_manager"
    # every state was reached through the lifecycle: the timeline ends where the order stands
    for order in SalesOrder.objects.all():
        assert order.events.order_by("-occurred_at", "-id").first().to_status == order.status


def test_the_demo_leaves_no_deadline_of_its_history_for_the_first_start_to_escalate(db):
    call_command("demo", force=True)
    # what the worker does first on `make run`: nothing of 2024 is overdue or still to be told
    assert timers_flag_breaches() == 0 and logistics_notices_send() == 0
    assert not Notification.objects.filter(event__startswith="timer_breached").exists()
    # the customer of 202405-002 was told of each consignment the day it shipped, the day before delivery
    notices = SalesOrder.objects.get(number="202405-002").events.filter(type="logistics_notice_sent").order_by("occurred_at")
    assert [(n.payload["batch"], n.occurred_at) for n in notices] == [
        (1, datetime(2024, 5, 25, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))),
        (2, datetime(2024, 5, 25, 15, 30, tzinfo=ZoneInfo("Asia/Shanghai")))]


def test_demo_loads_only_into_an_empty_embedded_database(db):
    if connection.vendor == "sqlite":
        call_command("demo")
        assert SalesOrder.objects.count() == 6
    else:
        with pytest.raises(CommandError):  # never silently into PostgreSQL
            call_command("demo")
        assert not User.objects.exists()
        call_command("demo", force=True)
    with pytest.raises(CommandError):  # nor into a database that has data
        call_command("demo")
    assert SalesOrder.objects.count() == 6


def mails_in(folder) -> list[str]:
    """The e-mails the file-based backend wrote, each as its text."""
    texts = [path.read_text() for path in sorted(folder.glob("*.log"))] if folder.exists() else []
    return [part for text in texts for part in text.split("-" * 79 + "\n") if part.strip()]


@pytest.mark.slow
def test_orderloop_run_serves_the_demo_on_a_fresh_data_folder(tmp_path):
    with serving(tmp_path) as port:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/auth/token", method="POST",
                                         data=json.dumps({"username": "sales_director", "password": "orderloop"}).encode(),
                                         headers={"Content-Type": "application/json"})
        token = json.load(urllib.request.urlopen(request, timeout=10))["token"]
        listing = urllib.request.Request(f"http://127.0.0.1:{port}/api/orders?sort=number",
                                         headers={"Authorization": f"Bearer {token}"})
        numbers = [o["number"] for o in json.load(urllib.request.urlopen(listing, timeout=10))["items"]]
        assert numbers[:3] == ["202405-001", "202405-002", "202405-003"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/htmx/htmx.min.js", timeout=5) as asset:
            assert asset.status == 200
        assert (tmp_path / "orderloop.sqlite3").exists() and (tmp_path / "queue.sqlite3").exists()


@pytest.mark.slow
def test_orderloop_run_keeps_its_data_folder_to_this_user(tmp_path):
    """The data folder holds the database, uploads, mail and the secret key: no one else on the machine reads it."""
    data = tmp_path / "var"
    with serving(data, "--no-demo", "--no-worker"):
        pass
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "orderloop.sqlite3").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600


@pytest.mark.slow
def test_orderloop_run_without_the_demo_asks_for_the_administrator(tmp_path):
    with serving(tmp_path, "--no-demo", "--no-worker") as port:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
            assert response.url.endswith("/setup/")
        assert "创建系统管理员" in page and 'name="password_again"' in page


@pytest.mark.slow
def test_the_first_start_says_where_and_who_then_a_line_per_request_and_writes_mail_to_files(tmp_path):
    with serving(tmp_path) as port:
        warehouse = web_session(port, "warehouse")
        with pytest.raises(urllib.error.HTTPError) as refused:
            warehouse.open(f"http://127.0.0.1:{port}/reviews/", timeout=10)  # the monthly review is not theirs
        assert refused.value.code == 403
        deadline = time.monotonic() + 60
        # the worker delivers the e-mails of the demo's history: the customer's rating links, the logistics notice
        while sum("评分" in m or "确认签收" in m for m in mails_in(tmp_path / "mail")) < 4:
            assert time.monotonic() < deadline, mails_in(tmp_path / "mail")
            time.sleep(0.5)  # waiting for the worker, a separate process
    output = (tmp_path / "run.log").read_text()
    lines = output.splitlines()
    first_request = next(i for i, line in enumerate(lines) if '"GET /login/ HTTP/1.1" 200' in line)
    start = "\n".join(lines[:first_request])
    assert f"serving on http://127.0.0.1:{port}/" in start
    assert "Log in as sales_assistant, account_manager, sales_manager" in start and "password orderloop" in start
    assert f"written to {tmp_path / 'mail'}" in start
    assert len(lines[:first_request]) <= 10, start  # a first screen, not every migration, e-mail and worker line
    assert "Traceback" not in output, output
    assert output.count("Forbidden (Permission denied): /reviews/") == 1 and '"GET /reviews/ HTTP/1.1" 403' in output
    assert "Subject:" not in output and "Content-Type:" not in output and "评分" not in output  # e-mails are in files
    rating = [m for m in mails_in(tmp_path / "mail") if "To: buyer@example.com" in m and "/rating/" in m]
    assert len(rating) == 2  # 202405-001 and 202405-003
    for mail in rating:
        links = re.findall(r"https?://\S+", mail)
        assert len(links) == 1 and links[0].startswith("http://127.0.0.1:8000/rating/"), mail
    assert "已超时" not in "\n".join(mails_in(tmp_path / "mail"))  # no overdue alert for the demo's history


# Under Debian's faketime (the suite run in a December to come) a timed wait never times out (libfaketime 0.9.10 with
# Python 3.11, wolfcw/libfaketime#390): the worker's idle threads would never wake to run the periodic tasks.
@pytest.mark.slow
@pytest.mark.skipif("faketime" in os.environ.get("LD_PRELOAD", ""),
                    reason="libfaketime: a timed wait never times out, so the worker's idle threads never wake")
def test_the_worker_prints_each_line_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"ORDERLOOP_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "orderloop.config.settings",
                "ORDERLOOP_WORKER_LOG_LEVEL": "INFO"})
    orderloop = [sys.executable, "-m", "orderloop.cli"]
    subprocess.run([*orderloop, "migrate", "-v0"], env=env, check=True, timeout=120)
    log = tmp_path / "worker.log"
    with open(log, "wb") as output:
        worker = subprocess.Popen([*orderloop, "worker"], env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "executed in" not in log.read_text():  # started, and ran the periodic tasks due at the start
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)  # waiting for the worker, a separate process
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    output = log.read_text()
    assert output.count("Huey consumer started") == 1, output
    assert output.count("The following commands are available") == 1, output
