"""The customer's 通知方式 (邮件/短信): chosen on the customer form, shown on the customer's page, audited."""
from django.test import Client

from orderloop.core.models import AuditEntry


def test_notice_channel_is_chosen_on_the_customer_form(users, customer):
    client = Client()
    client.force_login(users["account_manager"])
    form = client.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'name="notice_channel"' in form and '<option value="email" selected>' in form
    response = client.post(f"/customers/{customer.pk}/edit/", {
        "name": customer.name, "code": "", "uscc": customer.uscc, "address": customer.address, "payment_terms": "",
        "notice_channel": "sms", "contacts-0-name": "李*", "contacts-0-phone": "13800001111",
        "contacts-0-email": "buyer@example.com", "primary": "0"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.notice_channel == "sms"
    assert '<dd id="notice-channel">短信</dd>' in client.get(f"/customers/{customer.pk}/").content.decode()
    entry = AuditEntry.objects.filter(object_type="masterdata.customer", operation="updated").latest("id")
    assert entry.changes["notice_channel"] == ["email", "sms"]


def test_an_unknown_channel_is_refused(users, customer):
    client = Client()
    client.force_login(users["account_manager"])
    response = client.post(f"/customers/{customer.pk}/edit/", {
        "name": customer.name, "uscc": customer.uscc, "notice_channel": "fax", "contacts-0-name": "李*", "primary": "0"})
    assert response.status_code == 422
    customer.refresh_from_db()
    assert customer.notice_channel == "email"


def test_the_api_reads_and_changes_the_notice_channel(users, customer):
    from tests.support.api_client import Api

    api = Api("account_manager")
    assert api.get(f"/customers/{customer.pk}").json()["notice_channel"] == "email"
    changed = api.patch(f"/customers/{customer.pk}", {"notice_channel": "sms"})
    assert changed.status_code == 200 and changed.json()["notice_channel"] == "sms"
    assert api.patch(f"/customers/{customer.pk}", {"notice_channel": "fax"}).status_code == 422
