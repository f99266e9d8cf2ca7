"""Shipments: part consignments, the order 已发货 only when everything is; 《物流跟踪表》; the pre-notice per consignment."""
import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.core import clock
from orderloop.notifications.models import Notification
from orderloop.orders.timers import logistics_notices_send
from tests.support.api_client import Api
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


def test_a_two_shipment_order_is_shipped_only_after_the_second(orders, users, customer):
    customer.contacts.update(email="li@example.com")
    with clock.frozen_at(at(2030, 5, 20, 9, 0)):
        order = orders.at("ready_to_ship")
        api = Api("logistics")  # a token of that day
    line = order.lines.get()
    too_many = api.action(order.number, "ship", method="express", carrier="顺丰速运", tracking_number="SF1", eta="2030-05-23",
                          lines=[{"line_id": line.pk, "quantity": "11"}])
    assert too_many.status_code == 422 and too_many.json()["errors"] == {"lines.0.quantity": ["超过未发数量 10"]}
    with clock.frozen_at(at(2030, 5, 21, 9, 0)):
        first = api.action(order.number, "ship", method="express", carrier="顺丰速运", tracking_number="SF1",
                           eta="2030-05-23", lines=[{"line_id": line.pk, "quantity": "6"}])
    assert first.status_code == 200 and first.json()["status"] == "ready_to_ship"
    assert "ship" in first.json()["available_actions"]
    with clock.frozen_at(at(2030, 5, 22, 9, 0)):
        second = api.action(order.number, "ship", method="truckload", carrier="德邦物流", tracking_number="DB2", eta="2030-05-25")
    assert second.status_code == 200 and second.json()["status"] == "shipped"
    nothing_left = api.action(order.number, "ship", method="express", carrier="顺丰速运", tracking_number="SF3", eta="2030-05-26")
    assert nothing_left.status_code == 409

    # 《物流跟踪表》 on screen, as .csv, and on the order page: both consignments
    client = Client()
    client.force_login(users["account_manager"])
    rows = list(csv.reader(io.StringIO(client.get("/registers/logistics.csv").getvalue().decode("utf-8-sig"))))
    assert rows[0] == ["订单编号", "客户名称", "发货批次", "货物", "物流方式", "承运商", "物流单号", "发货时间", "预计送达时间",
                       "物流预告时间", "签收时间", "签收人"]
    assert [r[:9] for r in rows[1:]] == [
        [order.number, "科技有限公司", "1", "服务器A型 S-001 × 6", "快递", "顺丰速运", "SF1", "2030-05-21 09:00", "2030-05-23"],
        [order.number, "科技有限公司", "2", "服务器A型 S-001 × 4", "整车运输", "德邦物流", "DB2", "2030-05-22 09:00", "2030-05-25"]]
    page = client.get("/registers/logistics/").content.decode()
    assert "SF1" in page and "DB2" in page
    detail = client.get(f"/orders/{order.number}/").content.decode()
    assert 'data-batch="1"' in detail and 'data-batch="2"' in detail

    # each consignment's pre-notice goes out once, the day before its ETA
    with clock.frozen_at(at(2030, 5, 22, 9, 0)):
        assert logistics_notices_send() == 1
        assert logistics_notices_send() == 0
    with clock.frozen_at(at(2030, 5, 24, 9, 0)):
        assert logistics_notices_send() == 1
    mails = Notification.objects.filter(event="logistics_notice", address="li@example.com").order_by("id")
    assert ["SF1" in mails[0].body, "DB2" in mails[1].body] == [True, True]
    receipt_links = [mail.body.rsplit("：", 1)[1] for mail in mails]  # each consignment's own receipt link
    assert all("/receipt/" in link for link in receipt_links) and receipt_links[0] != receipt_links[1]
    assert list(order.timers.filter(kind="logistics_notice").values_list("state", flat=True)) == ["met", "met"]
    rows = list(csv.reader(io.StringIO(client.get("/registers/logistics.csv").getvalue().decode("utf-8-sig"))))
    assert [r[9] for r in rows[1:]] == ["2030-05-22 09:00", "2030-05-24 09:00"]


def test_the_ship_form_proposes_what_is_left_and_takes_a_part(orders, users):
    order = orders.at("ready_to_ship")
    client = Client()
    client.force_login(users["logistics"])
    page = client.get(f"/orders/{order.number}/").content.decode()
    line = order.lines.get()
    assert 'name="lines.0.quantity" value="10"' in page
    response = client.post(f"/orders/{order.number}/actions/ship/", {
        "method": "express", "carrier": "顺丰速运", "tracking_number": "SF7", "eta": "2030-05-23",
        "lines.0.line_id": str(line.pk), "lines.0.quantity": "3"})
    assert response.status_code == 302
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert 'name="lines.0.quantity" value="7"' in page
    assert act(order, "ship", users["logistics"], method="pickup", carrier="客户自提", tracking_number="—",
               eta="2030-05-23").status == "shipped"


def test_an_unknown_register_is_not_found(users):
    client = Client()
    client.force_login(users["sales_manager"])
    assert client.get("/registers/customers/").status_code == 404


def test_short_closing_what_was_never_shipped_ships_the_order(orders, users):
    from orderloop.core.exceptions import InvalidInput
    from tests.support.orders import receipt_scan

    with clock.frozen_at(at(2030, 5, 20, 9, 0)):
        order = orders.at("ready_to_ship")
        line = order.lines.get()
        order = act(order, "ship", users["logistics"], method="express", carrier="顺丰速运", tracking_number="SF1",
                    eta="2030-05-23", lines=[{"line_id": line.pk, "quantity": "6"}])
        order = act(order, "accept", users["account_manager"], quantity_ok=True, spec_ok=True, appearance_ok=True,
                    signed_by="李*", receipt_attachment_id=receipt_scan(order).pk)
    assert order.status == "ready_to_ship"
    with pytest.raises(InvalidInput) as refused:
        act(order, "short_close", users["sales_manager"], line_id=line.pk, keep_quantity="5", reason="客户只要6台")
    assert refused.value.errors == {"keep_quantity": ["已发货 6"]}
    with clock.frozen_at(at(2030, 5, 23, 17, 0)):
        order = act(order, "short_close", users["sales_manager"], line_id=line.pk, keep_quantity="6", reason="客户只要6台")
    # the six shipped were received: the order is delivered and its follow-up visit is due
    assert order.status == "delivered" and order.total_amount == 30000
    assert order.visit.due_at > at(2030, 5, 23, 17, 0)


def test_no_reduction_once_something_has_shipped(orders, users):
    from orderloop.core.exceptions import DomainError

    with clock.frozen_at(at(2030, 5, 20, 9, 0)):
        order = orders.at("ready_to_ship")
        line = order.lines.get()
        order = act(order, "ship", users["logistics"], method="express", carrier="顺丰速运", tracking_number="SF1",
                    eta="2030-05-23", lines=[{"line_id": line.pk, "quantity": "6"}])
    with pytest.raises(DomainError) as refused:
        act(order, "amend", users["sales_assistant"], reason="客户少要", lines=[{"line_id": line.pk, "quantity": "8"}])
    assert refused.value.message == "已有发货批次：已备好或已发出的货物不能减少、删除或改价"
    assert order.lines.get().quantity == 10
