"""Archive: finished orders older than ORDERLOOP_ARCHIVE_AFTER_DAYS become read-only, leave the working
list, and stay in search, registers and reviews."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.core.exceptions import InvalidTransition
from orderloop.core.models import AuditEntry
from orderloop.orders.models import SalesOrder
from orderloop.orders.services import orders_archive_finished
from tests.support.api_client import Api
from tests.support.orders import PNG

SH = ZoneInfo("Asia/Shanghai")
CLOSED_AT = datetime(2025, 3, 10, 12, 0, tzinfo=SH)


@pytest.fixture
def closed(orders):
    with clock.frozen_at(CLOSED_AT):
        return orders.at("closed")


def test_a_finished_order_is_archived_after_a_year_once_and_read_only(closed, orders, users, settings):
    settings.ORDERLOOP_ARCHIVE_AFTER_DAYS = 365
    with clock.frozen_at(CLOSED_AT):
        still_open = orders.at("in_fulfillment")
    assert orders_archive_finished(now=CLOSED_AT + timedelta(days=364)) == 0
    assert orders_archive_finished(now=CLOSED_AT + timedelta(days=366)) == 1
    assert orders_archive_finished(now=CLOSED_AT + timedelta(days=367)) == 0
    closed.refresh_from_db()
    assert closed.archived_at == CLOSED_AT + timedelta(days=366)
    assert SalesOrder.objects.get(pk=still_open.pk).archived_at is None
    assert AuditEntry.objects.filter(operation="archived", object_id=str(closed.pk)).count() == 1
    with pytest.raises(InvalidTransition) as refused:
        ticket_open(order_id=closed.pk, actor=users["account_manager"], ticket_type="quality", description="异响")
    assert refused.value.message == "订单已归档，只能查看"
    upload = Api("account_manager").upload(f"/orders/{closed.ref}/attachments", kind="photo",
                                           file=SimpleUploadedFile("p.png", PNG))
    assert upload.status_code == 409


def test_archived_orders_leave_the_working_list_but_not_search_registers_or_the_api(closed, users):
    orders_archive_finished(now=CLOSED_AT + timedelta(days=400))
    client = Client()
    client.force_login(users["sales_manager"])
    assert closed.ref not in client.get("/orders/").content.decode()
    assert closed.ref in client.get("/orders/", {"archived": "1"}).content.decode()
    assert closed.ref in client.get("/orders/", {"q": closed.ref}).content.decode()
    assert closed.ref in client.get("/registers/progress.csv").getvalue().decode("utf-8-sig")
    page = client.get(f"/orders/{closed.ref}/").content.decode()
    assert "已归档（只读）" in page
    api = Api("sales_manager")
    assert [o["ref"] for o in api.get("/orders").json()["items"]] == []
    assert [o["archived"] for o in api.get("/orders", archived=True).json()["items"]] == [True]


def test_an_order_with_open_feedback_waits(closed, users):
    with clock.frozen_at(CLOSED_AT):
        ticket_open(order_id=closed.pk, actor=users["account_manager"], ticket_type="quality", description="异响")
    assert orders_archive_finished(now=CLOSED_AT + timedelta(days=400)) == 0
