"""The customer told by SMS (Aliyun SMS, against a local server that checks each request's signature with the
secret), 已电话通知 meeting the notice's deadline, and a notice no channel carries shown on 今日."""
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client

from orderloop.core import clock
from orderloop.notifications.delivery import outbox_deliver
from orderloop.notifications.models import Notification
from orderloop.notifications.sms import signature
from orderloop.orders.models import OrderTimer
from orderloop.orders.timers import logistics_notices_send, timers_flag_breaches
from tests.support.orders import act
from tests.support.sms_server import KEY_ID, SECRET, SmsServer, expected_signature, sms_settings

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def sms_server():
    server = SmsServer()
    yield server
    server.close()


@pytest.fixture
def shipped(orders, users):
    """Shipped on Monday 2026-03-02, due Friday: the notice goes out on Thursday 2026-03-05 at 09:00."""
    with clock.frozen_at(at(2026, 3, 2, 10, 0)):
        order = orders.at("ready_to_ship")
        return act(order, "ship", users["logistics"], method="express", carrier="顺丰速运", tracking_number="SF9",
                   eta="2026-03-06")


def notice_timer(order):
    return OrderTimer.objects.get(order=order, kind="logistics_notice")


def send_notices(moment):
    with clock.frozen_at(moment):
        sent = logistics_notices_send()
        outbox_deliver()
    return sent


def test_the_signature_is_aliyuns_rpc_signature():
    params = {"AccessKeyId": "testid", "Action": "SendSms", "TemplateParam": '{"order":"202603-001 第1批"}',
              "Timestamp": "2026-03-05T01:00:00Z", "SignName": "阿里云 测试*~"}
    assert signature("testsecret", params) == expected_signature("testsecret", params)


def test_a_customer_without_email_gets_the_notice_by_sms(shipped, customer, sms_server):
    customer.contacts.update(email="", phone="138 0000 1111")
    sms_settings(sms_server.url)
    assert send_notices(at(2026, 3, 5, 9, 0)) == 1

    [request] = sms_server.requests
    assert request["signature_ok"]
    params = request["params"]
    assert (params["Action"], params["Version"], params["SignatureMethod"], params["SignatureVersion"]) == (
        "SendSms", "2017-05-25", "HMAC-SHA1", "1.0")
    assert (params["AccessKeyId"], params["PhoneNumbers"], params["SignName"], params["TemplateCode"]) == (
        KEY_ID, "13800001111", "测试科技", "SMS_100000001")
    values = json.loads(params["TemplateParam"])
    assert (values["order"], values["eta"], values["number"]) == (shipped.ref, "2026-03-06", "SF9")
    assert "/receipt/" in values["link"]
    assert SECRET not in json.dumps(request)

    sms = Notification.objects.get(event="logistics_notice", channel="sms")
    assert (sms.address, sms.state) == ("13800001111", "sent")
    assert not mail.outbox or all("buyer@example.com" not in m.to for m in mail.outbox)
    timer = notice_timer(shipped)
    assert (timer.state, timer.met_at) == ("met", at(2026, 3, 5, 9, 0))
    assert shipped.events.get(type="logistics_notice_sent").payload["channel"] == "sms"


def test_a_customer_who_prefers_sms_gets_it_though_they_have_email(shipped, customer, sms_server):
    customer.notice_channel = "sms"
    customer.save()
    sms_settings(sms_server.url)
    send_notices(at(2026, 3, 5, 9, 0))
    assert [r["params"]["PhoneNumbers"] for r in sms_server.requests] == ["13800001111"]
    assert not Notification.objects.filter(event="logistics_notice", address="buyer@example.com").exists()


def test_sms_not_set_up_the_customer_with_email_gets_email(shipped, customer):
    customer.notice_channel = "sms"
    customer.save()
    send_notices(at(2026, 3, 5, 9, 0))
    assert Notification.objects.get(event="logistics_notice", address="buyer@example.com").state == "sent"


def test_a_request_signed_with_another_secret_is_refused_and_the_notice_shown_to_logistics(shipped, customer, users):
    server = SmsServer(secret="the-real-secret")
    try:
        customer.contacts.update(email="")
        sms_settings(server.url, secret="a-wrong-secret")
        send_notices(at(2026, 3, 5, 9, 0))
        assert [r["signature_ok"] for r in server.requests] == [False]
    finally:
        server.close()
    row = Notification.objects.get(event="logistics_notice", channel="sms")
    assert row.state == "failed" and "SignatureDoesNotMatch" in row.last_error  # refused for good: not tried again
    # the next run of the worker puts the notice back in people's hands
    with clock.frozen_at(at(2026, 3, 5, 9, 1)):
        logistics_notices_send()
    timer = notice_timer(shipped)
    assert (timer.state, timer.met_at) == ("running", None)
    failed = shipped.events.get(type="logistics_notice_failed")
    assert "短信发送失败" in failed.payload["problem"]
    client = Client()
    client.force_login(users["logistics"])
    with clock.frozen_at(at(2026, 3, 5, 9, 5)):
        page = client.get("/today/").content.decode()
    assert "物流预告未能发送" in page and shipped.ref in page and "短信发送失败" in page


def test_a_throttled_sms_is_tried_again_later(shipped, customer, sms_server):
    customer.contacts.update(email="")
    sms_settings(sms_server.url)
    sms_server.answers.append({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"})
    send_notices(at(2026, 3, 5, 9, 0))
    row = Notification.objects.get(event="logistics_notice", channel="sms")
    assert (row.state, row.attempts) == ("pending", 1)
    with clock.frozen_at(at(2026, 3, 5, 9, 2)):
        assert outbox_deliver() == 1
    assert len(sms_server.requests) == 2 and all(r["signature_ok"] for r in sms_server.requests)


def test_no_channel_is_shown_on_today_and_a_phone_call_meets_the_deadline(shipped, customer, users):
    customer.contacts.update(email="", phone="")
    assert send_notices(at(2026, 3, 5, 9, 0)) == 0
    timer = notice_timer(shipped)
    assert (timer.state, timer.met_at) == ("running", None)
    failed = shipped.events.get(type="logistics_notice_failed")
    assert failed.payload["problem"] == "客户无邮箱和手机"
    assert not Notification.objects.filter(event="logistics_notice", recipient__isnull=True).exists()
    with clock.frozen_at(at(2026, 3, 5, 9, 30)):
        assert logistics_notices_send() == 0
    assert shipped.events.filter(type="logistics_notice_failed").count() == 1  # recorded once

    for role in ("logistics", "account_manager"):
        client = Client()
        client.force_login(users[role])
        with clock.frozen_at(at(2026, 3, 5, 10, 0)):
            page = client.get("/today/").content.decode()
        assert 'id="notices-not-sent"' in page and "客户无邮箱和手机" in page and shipped.ref in page, role

    client = Client()
    client.force_login(users["logistics"])
    detail = client.get(f"/orders/{shipped.ref}/").content.decode()
    assert "记录已电话通知" in detail
    shipment = shipped.shipments.get()
    with clock.frozen_at(at(2026, 3, 5, 11, 0)):
        refused = client.post(f"/orders/{shipped.ref}/phone-notice/", {"shipment_id": shipment.pk, "note": " "})
        assert refused.status_code == 302
        assert notice_timer(shipped).met_at is None
        response = client.post(f"/orders/{shipped.ref}/phone-notice/",
                               {"shipment_id": shipment.pk, "note": "已电话告知李经理明日送达"})
    assert response.status_code == 302
    timer = notice_timer(shipped)
    assert (timer.state, timer.met_at) == ("met", at(2026, 3, 5, 11, 0))
    phoned = shipped.events.get(type="phone_notice")
    assert (phoned.actor, phoned.payload["note"]) == (users["logistics"], "已电话告知李经理明日送达")
    with clock.frozen_at(at(2026, 3, 6, 0, 0)):
        assert timers_flag_breaches() == 0
    with clock.frozen_at(at(2026, 3, 5, 12, 0)):
        page = client.get("/today/").content.decode()
    assert 'id="notices-not-sent"' not in page
    timeline = client.get(f"/orders/{shipped.ref}/").content.decode()
    assert "已电话通知" in timeline and "已电话告知李经理明日送达" in timeline and "物流预告未能发送" in timeline


def test_only_logistics_and_the_account_manager_record_a_phone_call(shipped, users):
    client = Client()
    client.force_login(users["warehouse"])
    shipment = shipped.shipments.get()
    client.post(f"/orders/{shipped.ref}/phone-notice/", {"shipment_id": shipment.pk, "note": "电话"})
    assert not shipped.events.filter(type="phone_notice").exists()
