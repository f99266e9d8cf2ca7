"""Step 1: every key field is checked where it is entered; unqualified customers cannot pass review."""
from datetime import date

import pytest
from django.test import Client

from orderloop.core.models import AuditEntry
from orderloop.masterdata.models import Customer
from orderloop.orders.models import OrderEvent, SalesOrder
from tests.support.api_client import Api
from tests.support.orders import act, order_data


@pytest.mark.parametrize("field, value, message", [
    ("contact_phone", "12345", "联系方式格式不正确：12345"),
    ("contact_phone", "14012345678", "联系方式格式不正确：14012345678"),
    ("requested_date", "2024-05-01", "交付日期早于下单日期"),
])
def test_api_rejects_a_bad_key_field_and_stores_nothing(users, customer, product, field, value, message):
    response = Api("sales_assistant").post("/orders", order_data(customer, product, **{field: value}))
    assert response.status_code == 422
    assert response.json()["errors"] == {field: [message]}
    assert SalesOrder.objects.count() == 0 and OrderEvent.objects.count() == 0 and AuditEntry.objects.count() == 0


@pytest.mark.parametrize("phone, stored, shown", [
    ("13800001111", "+8613800001111", "138 0000 1111"),
    ("+86 138-0013-8000", "+8613800138000", "138 0013 8000"),
    ("021-62345678", "+862162345678", "021 6234 5678"),
])
def test_phone_numbers_are_stored_in_e164_and_shown_nationally(users, customer, product, phone, stored, shown):
    ref = Api("sales_assistant").post("/orders", order_data(customer, product, contact_phone=phone)).json()["ref"]
    assert SalesOrder.objects.get().contact_phone == stored
    client = Client()
    client.force_login(users["sales_assistant"])
    assert shown in client.get(f"/orders/{ref}/").content.decode()


def test_warehouse_sees_a_masked_phone(orders, users):
    order = orders.at("pending_stock_check")
    assert Api("warehouse").get(f"/orders/{order.ref}").json()["contact_phone"] == "138****1111"
    client = Client()
    client.force_login(users["warehouse"])
    page = client.get(f"/orders/{order.ref}/").content.decode()
    assert "138****1111" in page and "0000 1111" not in page


def test_the_intake_form_names_the_bad_field_and_keeps_the_input(users, customer, product):
    client = Client()
    client.force_login(users["sales_assistant"])
    response = client.post("/orders/new/", {
        "customer_id": customer.pk, "contact_name": "李*", "contact_phone": "12345", "order_date": "2024-05-10",
        "requested_date": "2024-05-01", "payment_terms": "月结", "delivery_address": "北京",
        "lines.0.product_id": product.pk, "lines.0.quantity": "2"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "联系方式格式不正确：12345" in page and "交付日期早于下单日期" in page
    assert 'value="李*"' in page and 'value="12345"' in page
    assert SalesOrder.objects.count() == 0


@pytest.mark.parametrize("change, reason", [
    ({"business_licence": ""}, "缺少营业执照扫描件"),
    ({"licence_expiry": date(2020, 1, 1)}, "营业执照已于 2020-01-01 过期"),
    ({"credit_record": ""}, "缺少信用记录"),
    ({"uscc": "91310115MA1FL5C15D"}, "统一社会信用代码校验位不正确"),
    ({"qualification": "unqualified"}, "客户资质审核不合格：请客户经理在客户页重新上传资料，由销售经理审核合格"),
    ({"qualification": "pending"}, "客户资质待审核：请客户经理在客户页上传营业执照和信用记录，由销售经理审核合格"),
])
def test_an_unqualified_customer_cannot_pass_review(orders, users, customer, change, reason):
    order = orders.received()
    Customer.objects.filter(pk=customer.pk).update(**change)
    response = Api("sales_assistant").action(order.ref, "review", verdict="pass")
    assert response.status_code == 422
    assert response.json()["errors"] == {"customer_id": [reason]}
    order.refresh_from_db()
    assert order.status == "received" and order.number is None
    # the review form says why
    client = Client()
    client.force_login(users["sales_assistant"])
    page = client.post(f"/orders/{order.ref}/actions/review/", {"verdict": "pass"}).content.decode()
    assert f"客户资质：{reason}" in page


def test_a_qualified_customer_passes(orders, users):
    assert act(orders.received(), "review", users["sales_assistant"], verdict="pass").status == "pending_approval"


@pytest.mark.parametrize("typed", ["2030-05-25", "2030/05/25", "2030/5/25", "2030年5月25日", "2030.05.25", "20300525"])
def test_dates_as_chinese_users_type_them(users, customer, product, typed):
    response = Api("sales_assistant").post("/orders", order_data(customer, product, requested_date=typed))
    assert response.status_code == 201, response.json()
    assert response.json()["requested_date"] == "2030-05-25"


def test_a_date_that_does_not_exist_is_named(users, customer, product):
    response = Api("sales_assistant").post("/orders", order_data(customer, product, requested_date="2030年2月30日"))
    assert response.status_code == 422 and response.json()["errors"] == {"requested_date": ["日期格式应为 YYYY-MM-DD"]}


def test_the_intake_audit_records_the_lines_as_stored_without_reading_them_back(orders):
    """The intake's audit snapshot is taken from the lines just written, their decimals as their columns keep them:
    the same as a read of the order afterwards gives, and no statement reads the lines."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orderloop.orders.lines import lines_snapshot

    lines = [{"product_id": orders.product.pk, "quantity": "2.5", "unit_price": "1999.9"},
             {"product_id": orders.product.pk, "quantity": "10", "unit_price": "5000"}]
    with CaptureQueriesContext(connection) as ctx:
        order = orders.received(lines=lines)
    assert not [q["sql"] for q in ctx if q["sql"].startswith("SELECT") and '"orders_orderline"' in q["sql"]]
    recorded = AuditEntry.objects.get(object_id=str(order.pk), operation="received").changes["lines"][1]
    fresh = SalesOrder.objects.get(pk=order.pk)
    assert recorded == lines_snapshot(fresh)
    assert [(line["quantity"], line["unit_price"], line["amount"]) for line in recorded] == [
        ("2.500", "1999.90", "4999.75"), ("10.000", "5000.00", "50000.00")]
