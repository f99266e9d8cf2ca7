"""Customers in the app (issue 22): 新建客户 with contacts, payment terms and the qualification papers in one form,
编辑 on the customer's page, 停用/启用, search by name, code or phone — each for the roles that own it; an inactive
customer takes no new order; a duplicate name names the existing customer."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput
from orderloop.core.models import AuditEntry
from orderloop.masterdata.models import Customer, Qualification
from orderloop.masterdata.services import customers_for_new_orders
from orderloop.notifications.models import Notification
from orderloop.setup.demo import LICENCE_SCAN
from tests.support.customers import make_customer
from tests.support.users import ROLES

EDITORS = {"sales_assistant", "account_manager", "sales_manager", "sales_director", "admin"}


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**fields) -> dict:
    return {"name": "新星贸易有限公司", "code": "C-0099", "uscc": "91310115MA1FL5C15C", "address": "上海市浦东新区1号",
            "payment_terms": "30%预付,余款到付", "contacts-0-name": "王经理", "contacts-0-phone": "13900002222",
            "contacts-0-email": "wang@example.com", "contacts-1-name": "赵会计", "contacts-1-phone": "13900003333",
            "contacts-1-email": "", "primary": "0", **fields}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_the_new_customer_form(users, role):
    status = _client(users[role]).get("/customers/new/").status_code
    assert status == (200 if role in EDITORS else 403)


@pytest.mark.parametrize("role", sorted(set(ROLES) - EDITORS))
def test_the_other_roles_may_not_create_edit_or_deactivate(users, customer, role):
    client = _client(users[role])
    assert client.post("/customers/new/", _form()).status_code == 403
    assert client.post(f"/customers/{customer.pk}/edit/", _form(name="改名")).status_code == 403
    assert client.post(f"/customers/{customer.pk}/active/", {"active": "0"}).status_code == 403
    assert not Customer.objects.filter(name__in=["新星贸易有限公司", "改名"]).exists()
    customer.refresh_from_db()
    assert customer.is_active


def test_the_account_manager_creates_a_customer_with_contacts_and_papers(users):
    licence = SimpleUploadedFile("营业执照.png", LICENCE_SCAN, content_type="image/png")
    report = SimpleUploadedFile("征信报告.pdf", b"%PDF-1.4\n% report\n", content_type="application/pdf")
    response = _client(users["account_manager"]).post("/customers/new/", _form(
        business_licence=licence, credit_report=report, licence_expiry="2031-06-30", credit_record="无逾期"))
    customer = Customer.objects.get(name="新星贸易有限公司")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert (customer.code, customer.payment_terms, customer.owner) == ("C-0099", "30%预付,余款到付", users["account_manager"])
    assert [(c.name, c.phone, c.is_primary) for c in customer.contacts.all()] == [
        ("王经理", "13900002222", True), ("赵会计", "13900003333", False)]
    assert customer.qualification == Qualification.PENDING and customer.qualification_submitted_at
    assert customer.business_licence and customer.credit_report
    assert Notification.objects.filter(event="qualification_submitted", recipient=users["sales_manager"]).exists()
    assert AuditEntry.objects.filter(operation="created", object_id=str(customer.pk)).exists()
    page = _client(users["account_manager"]).get(f"/customers/{customer.pk}/").content.decode()
    assert "待审核" in page and "30%预付,余款到付" in page and "王经理" in page and "C-0099" in page


def test_refused_papers_keep_no_customer_and_nothing_typed_is_lost(users):
    response = _client(users["account_manager"]).post("/customers/new/", _form(licence_expiry="2020-01-01",
                                                                               credit_record="无逾期"))
    assert response.status_code == 422
    assert not Customer.objects.filter(name="新星贸易有限公司").exists()
    page = response.content.decode()
    assert "营业执照" in page and "过期" in page
    assert 'value="C-0099"' in page and 'value="13900002222"' in page and "无逾期" in page


def test_a_bad_credit_code_is_refused_at_its_field(users):
    response = _client(users["account_manager"]).post("/customers/new/", _form(uscc="91310115MA1FL5C15D"))
    assert response.status_code == 422
    assert not Customer.objects.filter(name="新星贸易有限公司").exists()
    assert "统一社会信用代码" in response.content.decode()


def test_a_duplicate_name_names_the_existing_customer(users, customer):
    customer.code = "C-0001"
    customer.save()
    response = _client(users["sales_assistant"]).post("/customers/new/", _form(name=customer.name))
    assert response.status_code == 422
    page = response.content.decode()
    assert "客户「科技有限公司」已存在" in page and "C-0001" in page
    assert Customer.objects.filter(name=customer.name).count() == 1


def test_credit_limit_only_for_those_with_authority(users, customer):
    assert 'name="credit_limit"' not in _client(users["account_manager"]).get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'name="credit_limit"' in _client(users["sales_manager"]).get(f"/customers/{customer.pk}/edit/").content.decode()
    response = _client(users["account_manager"]).post(f"/customers/{customer.pk}/edit/", _form(
        name=customer.name, credit_limit="999999"))
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.credit_limit == 0 and customer.code == ""
    response = _client(users["sales_manager"]).post(f"/customers/{customer.pk}/edit/", _form(
        name=customer.name, credit_limit="200000", owner="account_manager"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.credit_limit == 200000


def test_editing_changes_fields_and_contacts(users, customer):
    contact = customer.contacts.get()
    response = _client(users["account_manager"]).post(f"/customers/{customer.pk}/edit/", {
        "name": customer.name, "code": "C-7", "uscc": customer.uscc, "address": "新地址", "payment_terms": "月结30天",
        "contacts-0-name": contact.name, "contacts-0-phone": contact.phone, "contacts-0-email": "",
        "contacts-0-remove": "1", "contacts-1-name": "新联系人", "contacts-1-phone": "13700000000", "primary": "1"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.code, customer.address, customer.payment_terms) == ("C-7", "新地址", "月结30天")
    assert [(c.name, c.is_primary) for c in customer.contacts.all()] == [("新联系人", True)]
    entry = AuditEntry.objects.filter(operation="updated", object_id=str(customer.pk)).latest("id")
    assert "payment_terms" in entry.changes


def test_deactivated_customers_take_no_new_order(users, customer, product, orders):
    response = _client(users["account_manager"]).post(f"/customers/{customer.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert not customer.is_active
    assert customer not in customers_for_new_orders(users["account_manager"])
    assert "科技有限公司" in _client(users["account_manager"]).get("/customers/").content.decode()  # still listed
    with pytest.raises(InvalidInput, match="已停用"):
        orders.received()
    _client(users["account_manager"]).post(f"/customers/{customer.pk}/active/", {"active": "1"})
    customer.refresh_from_db()
    assert customer.is_active and customer in customers_for_new_orders(users["account_manager"])


@pytest.mark.parametrize("q", ["科技", "C-0042", "13800001111"])
def test_the_list_searches_name_code_and_phone(users, customer, q):
    customer.code = "C-0042"
    customer.save()
    make_customer("其他公司", owner=users["account_manager"], contact=("周", "13600000000", ""))
    page = _client(users["sales_assistant"]).get("/customers/", {"q": q}).content.decode()
    assert "科技有限公司" in page and "其他公司" not in page
