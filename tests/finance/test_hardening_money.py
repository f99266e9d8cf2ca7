"""No server error from what finance's pages and the money API can be sent (as tests/web/test_hardening_crawl.py does
for every page, whose roles do not write money): each field the pages read — the allocation inputs among them —
set to junk, alone and all at once, as finance; every API operation with junk in its body and query."""
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.core import clock
from orderloop.finance.models import Instalment, Receipt
from orderloop.finance.receipts import receipt_record
from orderloop.finance.bank_statements import statement_import
from tests.support.api_client import Api

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HUGE = "99999999999999999999"
JUNK = ["abc", "-1", HUGE, "\x0b", "²", "", "9" * 5000, "1e999999", "NaN", "0.001", "2026-02-30"]


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


@pytest.fixture
def money(orders, users, customer):
    deposit = Instalment.objects.get(order=orders.at("confirmed", deposit_paid=False), number=1)
    receipt = receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="科技有限公司", amount="100.00",
                             actor=users["finance"])
    content = "交易日期,付款方,金额,流水号\n2026-03-01,科技有限公司,15000.00,J1\n".encode()
    statement = statement_import(actor=users["finance"], content=content, filename="流水.csv").statement
    return deposit, receipt, statement


@pytest.mark.slow
def test_no_field_of_finances_pages_gives_a_server_error(users, customer, money):
    deposit, receipt, statement = money
    client = Client(raise_request_exception=False)
    client.force_login(users["finance"])
    names = ["received_on", "payer", "amount", "bank_reference", "remark", "customer", "instalment",
             f"alloc-{deposit.pk}", "match", "q", "page", "from", "to", "open"]
    pages = ["/finance/", "/finance/receipts/", "/finance/receipts/new/", f"/finance/receipts/new/?customer={customer.pk}",
             f"/finance/receipts/{receipt.pk}/", f"/finance/receipts/{receipt.pk}/allocate/", "/finance/statements/import/",
             f"/finance/statements/{statement.pk}/", f"/finance/statements/{statement.pk}/confirm/"]
    failures = []
    for page in pages:
        for value in JUNK:
            everything = {name: value for name in names}
            for data in [{name: value} for name in names] + [everything, {**everything, "customer": str(customer.pk)}]:
                for method in ("get", "post"):
                    status = getattr(client, method)(page, data).status_code
                    if status >= 500:
                        failures.append((method, page, {k: v[:10] for k, v in data.items()} if len(data) < 3 else "all", status))
    for path in ("/finance/receipts/0/", f"/finance/receipts/{HUGE}/", "/finance/statements/0/", f"/finance/statements/{HUGE}/"):
        if client.get(path).status_code != 404:
            failures.append(("get", path))
    assert failures == []
    assert Receipt.objects.filter(pk__gt=receipt.pk).count() <= 1  # junk recorded nothing but the statement's line


def test_no_body_of_the_money_api_gives_a_server_error(users, customer, money):
    deposit, receipt, _statement = money
    api = Api("finance")
    failures = []
    for value in JUNK + [None, 1.5, [], {}, 10**30]:
        bodies = [{"customer_id": value, "received_on": "2026-03-01", "amount": "1.00"},
                  {"customer_id": customer.pk, "received_on": value, "amount": "1.00"},
                  {"customer_id": customer.pk, "received_on": "2026-03-01", "amount": value},
                  {"customer_id": customer.pk, "received_on": "2026-03-01", "amount": "1.00", "payer": value,
                   "bank_reference": value, "remark": value},
                  {"customer_id": customer.pk, "received_on": "2026-03-01", "amount": "1.00",
                   "allocations": [{"instalment_id": value, "amount": value}]}]
        for body in bodies:
            response = api.post("/finance/receipts", raw=json.dumps(body))
            if response.status_code >= 500 or (response.status_code >= 400 and "code" not in response.json()):
                failures.append(("receipts", body, response.status_code))
        response = api.post(f"/finance/receipts/{receipt.pk}/allocations",
                            raw=json.dumps({"allocations": [{"instalment_id": deposit.pk, "amount": value}]}))
        if response.status_code >= 500:
            failures.append(("allocations", value, response.status_code))
        for path, params in (("/finance/instalments", {"customer": value, "open": value, "page": value}),
                             ("/finance/receipts", {"customer_id": value, "q": value, "date_from": value}),
                             (f"/finance/customers/{HUGE}/balance", {})):
            params = {k: v for k, v in params.items() if isinstance(v, (str, int, float))}
            response = api.get(path, **params)
            if response.status_code >= 500:
                failures.append((path, params, response.status_code))
    for content in (b"", b"\x00\x01", "交易日期,付款方\n".encode(), b"PK\x03\x04" + b"\x00" * 100):
        response = api.upload("/finance/statements", file=SimpleUploadedFile("x.csv", content))
        if response.status_code != 422:
            failures.append(("statements", content[:10], response.status_code))
    assert failures == []
