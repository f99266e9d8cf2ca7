"""The outbox and its channels: in-app, e-mail, and WeCom / DingTalk / Feishu robots."""
import base64
import hashlib
import hmac
import multiprocessing
import os
import re
import signal
import urllib.parse
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connections

from orderloop.core import clock
from orderloop.notifications import robots
from orderloop.notifications.delivery import LEASE, outbox_deliver
from orderloop.notifications.models import ChatRobot, Notification, NotificationRoute
from orderloop.notifications.services import inbox_mark_read, notify, unread_count
from orderloop.orders.models import SalesOrder
from tests.support.robot_server import RobotServer
from tests.support.statements import statements_run
from tests.support.users import make_user

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


@pytest.fixture
def robot_server():
    server = RobotServer()
    yield server
    server.close()


def robot(server, kind, team, **extra):
    return ChatRobot.objects.create(name=f"{kind} 群", kind=kind, team=team, webhook_url=f"{server.url}/{kind}/send?key=K",
                                    **extra)


def raise_risk_notice(order, n=1):
    with clock.frozen_at(NOW):
        for i in range(n):
            notify(event="risk_raised", key=f"risk:test:{order.pk}:{i}", order=order, subject=f"订单 {order.ref} 出现延期风险 {i}",
                   body="风扇缺货", url=f"/orders/{order.ref}/")


def test_inapp_email_and_robot_rows_once_per_key(orders, users, team, robot_server):
    order = orders.received()
    robot(robot_server, "wecom", team)
    raise_risk_notice(order)
    raise_risk_notice(order)  # the same key again: nothing new
    rows = Notification.objects.order_by("channel")
    assert [(r.channel, r.recipient.username if r.recipient else None, r.state) for r in rows] == [
        ("email", "sales_manager", "pending"), ("inapp", "sales_manager", "sent"), ("robot", None, "pending")]
    assert unread_count(users["sales_manager"]) == 1
    assert inbox_mark_read(user=users["sales_manager"]) == 1 and unread_count(users["sales_manager"]) == 0


def test_a_transaction_of_several_notices_asks_the_worker_once(orders, django_capture_on_commit_callbacks):
    """Each notice with an e-mail asks the worker to deliver when its transaction commits; one task delivers
    every row, so a transaction asks once however many notices it writes."""
    order = orders.received()
    with django_capture_on_commit_callbacks() as callbacks:
        raise_risk_notice(order, n=3)
    assert Notification.objects.filter(order=order, channel="email").count() == 3
    assert len(callbacks) == 1


def test_a_notice_to_several_roles_tells_each_active_person_once(orders, users):
    """The people of the roles a notice goes to are read together: someone who plays two of them is told once,
    someone deactivated not at all."""
    order = orders.received()
    for role, channels in (("warehouse", "inapp,email"), ("production", "inapp"), ("logistics", "inapp")):
        NotificationRoute.objects.create(event="test_stock_short", role=role, channels=channels)
    make_user("both", "warehouse", "production")
    make_user("gone", "logistics").__class__.objects.filter(username="gone").update(is_active=False)
    with statements_run() as statements:
        notify(event="test_stock_short", key=f"short:{order.pk}", order=order, subject="缺货", url="/")
    assert len([sql for sql in statements if 'FROM "accounts_user"' in sql]) == 1
    told = Notification.objects.filter(key__startswith=f"short:{order.pk}:")
    assert sorted((row.recipient.username, row.channel) for row in told) == [  # e-mail: the warehouse's people only
        ("both", "email"), ("both", "inapp"), ("logistics", "inapp"), ("production", "inapp"), ("warehouse", "email"),
        ("warehouse", "inapp")]


def test_email_is_sent_once_with_a_stable_message_id(orders, users):
    order = orders.received()
    raise_risk_notice(order)
    with clock.frozen_at(NOW):
        assert outbox_deliver() == 1
        assert outbox_deliver() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sales_manager@example.com"] and "出现延期风险" in message.subject
    assert message.extra_headers["Message-ID"].endswith("@orderloop>")
    assert f"/orders/{order.ref}/" in message.body


def test_wecom_gets_the_exact_json(orders, team, robot_server):
    order = orders.received()
    robot(robot_server, "wecom", team)
    raise_risk_notice(order)
    with clock.frozen_at(NOW):
        outbox_deliver()
    (request,) = robot_server.requests
    assert request["path"] == "/wecom/send" and request["query"] == "key=K"
    assert request["content_type"] == "application/json; charset=utf-8"
    assert request["body"] == {"msgtype": "text", "text": {"content": (
        f"订单 {order.ref} 出现延期风险 0\n风扇缺货\nhttp://127.0.0.1:8000/orders/{order.ref}/")}}


def test_dingtalk_signature_in_the_query(orders, team, robot_server):
    order = orders.received()
    secret = "SEC0123456789abcdef"
    robot(robot_server, "dingtalk", team, secret=secret, keyword="订单")
    raise_risk_notice(order)
    with clock.frozen_at(NOW):
        outbox_deliver()
    (request,) = robot_server.requests
    query = urllib.parse.parse_qs(request["query"])
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]  # parse_qs undoes the URL encoding
    assert f"&sign={urllib.parse.quote_plus(expected)}" in request["query"]
    assert abs(int(timestamp) / 1000 - datetime.now().timestamp()) < 3600
    assert request["body"]["msgtype"] == "text" and "订单" in request["body"]["text"]["content"]
    assert request["body"]["at"] == {"atMobiles": [], "isAtAll": False}


def test_feishu_signature_in_the_body(orders, team, robot_server):
    order = orders.received()
    secret = "feishu-secret"
    robot(robot_server, "feishu", team, secret=secret)
    raise_risk_notice(order)
    with clock.frozen_at(NOW):
        outbox_deliver()
    body = robot_server.requests[0]["body"]
    expected = base64.b64encode(hmac.new(f"{body['timestamp']}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "text" and body["content"]["text"].startswith(f"订单 {order.ref}")


def test_known_signatures():
    # DingtalkChatbot 1.5.7 and Feishu's documented algorithm give these for a fixed timestamp
    assert robots.dingtalk_sign("SECabc", 1700000000000) == urllib.parse.quote_plus(
        base64.b64encode(hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()).decode())
    assert robots.feishu_sign("abc", 1700000000) == base64.b64encode(
        hmac.new(b"1700000000\nabc", b"", hashlib.sha256).digest()).decode()


def test_a_throttled_robot_retries_later_without_losing_anything(orders, team, robot_server):
    order = orders.received()
    robot(robot_server, "dingtalk", team)
    robot_server.answers = [(200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})]
    raise_risk_notice(order)
    with clock.frozen_at(NOW):
        assert outbox_deliver() == 1  # the e-mail; the robot was throttled
    row = Notification.objects.get(channel="robot")
    assert row.state == "pending" and row.next_attempt_at == NOW + timedelta(minutes=10)
    with clock.frozen_at(NOW + timedelta(minutes=5)):
        assert outbox_deliver() == 0  # still paused
    with clock.frozen_at(NOW + timedelta(minutes=10, seconds=1)):
        assert outbox_deliver() == 1
    row.refresh_from_db()
    assert row.state == "sent" and len(robot_server.requests) == 2


def test_a_burst_is_merged_and_the_per_minute_limit_kept(orders, team, robot_server):
    order = orders.received()
    robot(robot_server, "wecom", team, per_minute=2)
    raise_risk_notice(order, n=25)
    with clock.frozen_at(NOW):
        outbox_deliver()
    assert len(robot_server.requests) == 2  # 10 + 10 merged, then the minute's limit
    first = robot_server.requests[0]["body"]["text"]["content"]
    assert first.startswith("orderloop 通知（10 条）")
    assert Notification.objects.filter(channel="robot", state="pending").count() == 5
    with clock.frozen_at(NOW + timedelta(minutes=1, seconds=1)):
        outbox_deliver()
    assert Notification.objects.filter(channel="robot", state="sent").count() == 25
    assert len(robot_server.requests) == 3


def _deliver_in_child():
    connections.close_all()
    try:
        with clock.frozen_at(NOW):
            outbox_deliver()
    except BaseException:
        import traceback

        traceback.print_exc()
        os._exit(3)
    os._exit(0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_while_delivering_loses_nothing(orders, team, robot_server):
    order = orders.received()
    robot(robot_server, "wecom", team)
    raise_risk_notice(order, n=3)
    Notification.objects.filter(channel="email").delete()  # only the robot message is in flight here
    robot_server.holding = True  # the platform does not answer the first request
    connections.close_all()
    worker = multiprocessing.get_context("fork").Process(target=_deliver_in_child)
    worker.start()
    if not robot_server.received.wait(20):
        worker.join(5)
        pytest.fail(f"the worker never reached the platform (exit code {worker.exitcode}) "
                    f"{list(Notification.objects.values_list('channel', 'state', 'next_attempt_at', 'claimed_until'))}")
    os.kill(worker.pid, signal.SIGKILL)  # the worker dies mid-delivery
    worker.join()
    assert Notification.objects.filter(state="sent", channel="robot").count() == 0
    robot_server.holding = False
    robot_server.hold.set()
    with clock.frozen_at(NOW + timedelta(seconds=30)):
        assert outbox_deliver() == 0  # still leased to the dead worker
    with clock.frozen_at(NOW + LEASE + timedelta(seconds=1)):
        assert outbox_deliver() == 3
    assert Notification.objects.filter(channel="robot", state="sent").count() == 3
    assert "出现延期风险 2" in robot_server.requests[-1]["body"]["text"]["content"]


LINK = re.compile(r"https?://\S+")


def test_an_email_gives_each_link_once_and_whole(orders, users, settings):
    settings.ORDERLOOP_BASE_URL = "https://orders.example.com/"
    delivered = orders.at("delivered")  # the customer's rating link: a complete URL
    raise_risk_notice(orders.received())  # the order's page: a path
    mail.outbox.clear()
    outbox_deliver()
    rating = Notification.objects.get(event="visit_opened").url
    assert rating.startswith("https://orders.example.com/rating/")
    rating_mail, = [m for m in mail.outbox if m.to == ["buyer@example.com"] and delivered.ref in m.subject and "评分" in m.subject]
    assert LINK.findall(rating_mail.body) == [rating]
    risk_mail, = [m for m in mail.outbox if m.to == ["sales_manager@example.com"] and "延期风险" in m.subject]
    order = SalesOrder.objects.exclude(pk=delivered.pk).get()
    assert LINK.findall(risk_mail.body) == [f"https://orders.example.com/orders/{order.ref}/"]


def _drain_in_child():
    connections.close_all()
    with clock.frozen_at(NOW):
        while outbox_deliver(batch=20):
            pass
    connections.close_all()
    os._exit(0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_deliver_500_notifications_exactly_once(orders, tmp_path, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    order = orders.received()
    Notification.objects.bulk_create([
        Notification(key=f"bulk:{i}", event="test", channel="email", address=f"user{i}@example.com", order=order,
                     subject=f"通知 {i}", created_at=NOW, next_attempt_at=NOW) for i in range(500)
    ])
    connections.close_all()
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_drain_in_child) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    ids = [line for path in Path(tmp_path).iterdir() for line in path.read_text().splitlines()
           if line.startswith("Message-ID:")]
    assert len(ids) == 500 and len(set(ids)) == 500
    assert Notification.objects.filter(state="sent").count() == 500
