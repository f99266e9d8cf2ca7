"""《对账单》: a customer's statement of account for a date range as PDF — 供方 and 需方, the opening balance, the
invoices issued (red-letter negative), the instalments falling due and the receipts in date order, the closing
balance to the fen and in capitals; for money readers who see the customer, each one handed out audited."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.core import clock
from orderloop.core.models import AuditEntry
from orderloop.finance.models import Instalment
from orderloop.finance.receipts import Share, receipt_record
from orderloop.finance.statements import customer_statement
from orderloop.setup.models import CompanyProfile
from tests.support.customers import make_customer
from tests.support.invoices import issued_invoice
from tests.support.orders import PATH, act
from tests.support.pdf import pdf_text

SH = ZoneInfo("Asia/Shanghai")
BLUE, SMALL, RED = "24312000000000012345", "24312000000000012346", "24312000000000012347"


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day} {hm}").replace(tzinfo=SH)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def company(db):
    return CompanyProfile.objects.create(name="华东智能装备有限公司", uscc="91310000MA1FL5C15C", address="上海市浦东新区张江路88号",
                                         bank_name="招商银行上海张江支行", bank_account="1219 0887 6610 001")


@pytest.fixture
def may(orders, users, customer, company):
    """May 2024 of 科技有限公司: its 50,000.00 order confirmed on the 10th (15,000.00 due), the deposit in on the 12th,
    an invoice for 50,000.00 on the 20th, one of 1,000.00 on the 21st reversed on the 22nd, the goods delivered on
    the 23rd (35,000.00 due) and 20,000.00 in on the 25th: 15,000.00 still owed."""
    with clock.frozen_at(at("2024-05-10")):
        order = orders.at("confirmed", deposit_paid=False)
    deposit, balance = Instalment.objects.filter(order=order).order_by("number")
    with clock.frozen_at(at("2024-05-12")):
        receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="科技有限公司", amount="15000.00",
                       bank_reference="CMB20240512001", actor=users["finance"], allocations=[Share(deposit.pk, Decimal("15000"))])
    days = {"in_fulfillment": "2024-05-13", "ready_to_ship": "2024-05-18", "shipped": "2024-05-19", "delivered": "2024-05-23"}
    for reached, action, role, payload in PATH:
        if reached not in days:
            continue
        with clock.frozen_at(at(days[reached])):
            if reached == "ready_to_ship":
                order = act(order, "track", users["production"], stage="生产", record="生产完成", actual_date="2024-05-18")
            order = act(order, action, users[role], **payload(order))
    assert order.status == "delivered"
    with clock.frozen_at(at("2024-05-20")):
        issued_invoice(order, users["finance"], number=BLUE, issued_on=date(2024, 5, 20), amount="50000.00")
        small = issued_invoice(order, users["finance"], number=SMALL, issued_on=date(2024, 5, 21), amount="1000.00")
        issued_invoice(order, users["finance"], number=RED, issued_on=date(2024, 5, 22), amount="-1000.00", red_of=small)
    with clock.frozen_at(at("2024-05-25")):
        receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="科技有限公司", amount="20000.00",
                       bank_reference="CMB20240525002", actor=users["finance"],
                       allocations=[Share(balance.pk, Decimal("20000"))])
    return order


def test_the_statement_runs_from_the_opening_to_the_closing_balance(may, customer):
    statement = customer_statement(customer, date(2024, 5, 1), date(2024, 5, 31))
    assert statement.opening == 0
    rows = [(line.day.isoformat(), line.reference, line.invoiced, line.due, line.received, line.balance)
            for line in statement.lines]
    assert rows == [
        ("2024-05-10", f"{may.ref}-1", None, Decimal("15000.00"), None, Decimal("15000.00")),
        ("2024-05-12", "CMB20240512001", None, None, Decimal("15000.00"), Decimal("0.00")),
        ("2024-05-20", BLUE, Decimal("50000.00"), None, None, None),  # invoices are listed, the balance is the plan's
        ("2024-05-21", SMALL, Decimal("1000.00"), None, None, None),
        ("2024-05-22", RED, Decimal("-1000.00"), None, None, None),
        ("2024-05-23", f"{may.ref}-2", None, Decimal("35000.00"), None, Decimal("35000.00")),
        ("2024-05-25", "CMB20240525002", None, None, Decimal("20000.00"), Decimal("15000.00")),
    ]
    assert (statement.invoiced, statement.due, statement.received, statement.closing) == (
        Decimal("50000.00"), Decimal("50000.00"), Decimal("35000.00"), Decimal("15000.00"))
    later = customer_statement(customer, date(2024, 5, 24), date(2024, 6, 30))
    assert (later.opening, [line.reference for line in later.lines], later.closing) == (
        Decimal("35000.00"), ["CMB20240525002"], Decimal("15000.00"))


def test_a_write_off_and_money_paid_in_advance_move_the_balance(may, customer, users):
    with clock.frozen_at(at("2024-06-03")):
        act(may, "write_off", users["sales_manager"], reason="客户资金困难，余款经批准核销")
        receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="科技有限公司", amount="300.45",
                       actor=users["finance"])
    june = customer_statement(customer, date(2024, 6, 1), date(2024, 6, 30))
    assert june.opening == Decimal("15000.00")
    assert [(line.text.split("：")[0], line.due, line.received, line.balance) for line in june.lines] == [
        ("回款", None, Decimal("300.45"), Decimal("14699.55")), ("尾款核销", Decimal("-15000.00"), None, Decimal("-300.45"))]
    assert june.written_off == Decimal("15000.00") and june.closing == Decimal("-300.45")


def test_the_pdf_lists_the_invoice_the_receipt_and_the_closing_balance_in_capitals(may, customer, company, users):
    with clock.frozen_at(at("2024-06-01")):
        response = client_of(users["finance"]).get(f"/finance/customers/{customer.pk}/statement.pdf?from=2024-05-01&to=2024-05-31")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("对账单", f"供方：{company.name}", f"需方：{customer.name}", company.bank_account, customer.uscc,
                     "对账期间：2024-05-01 至 2024-05-31", BLUE, "50,000.00", RED, "-1,000.00", "CMB20240525002",
                     "20,000.00", "期初余额", "期末余额", "¥15,000.00", "人民币壹万伍仟元整"):
        assert expected in text, expected
    entry = AuditEntry.objects.get(operation="downloaded")
    assert (entry.object_type, entry.object_id, entry.changes["what"]) == (
        "masterdata.customer", str(customer.pk), "对账单 2024-05-01—2024-05-31")


def test_the_statement_is_for_money_readers_who_see_the_customer(may, customer, users):
    url = f"/finance/customers/{customer.pk}/statement.pdf?from=2024-05-01&to=2024-05-31"
    with clock.frozen_at(at("2024-06-01")):
        for role in ("finance", "account_manager", "sales_assistant", "sales_manager", "sales_director", "admin"):
            assert client_of(users[role]).get(url).status_code == 200, role
        for role in ("warehouse", "production", "logistics", "after_sales"):
            assert client_of(users[role]).get(url).status_code == 403, role
        from orderloop.accounts.models import Team
        from tests.support.users import make_user

        stranger = make_user("account_manager2", "account_manager", team=Team.objects.create(name="华东销售二组"))
        other = make_customer("华东制造有限公司", owner=stranger, uscc="91110000600037341L")
        assert client_of(users["account_manager"]).get(f"/finance/customers/{other.pk}/statement.pdf").status_code == 404
        assert client_of(users["finance"]).get(f"/finance/customers/{other.pk}/statement.pdf").status_code == 200
        bad = client_of(users["finance"]).get(f"/finance/customers/{customer.pk}/statement.pdf?from=2024-05-31&to=2024-05-01")
        assert bad.status_code == 400 and "早于开始日期" in bad.content.decode()
        assert client_of(users["finance"]).get(f"/finance/customers/{customer.pk}/statement.pdf?from=五月").status_code == 400


def test_the_customer_page_offers_the_statement_to_money_readers(customer, users):
    with clock.frozen_at(at("2024-06-12")):
        page = client_of(users["finance"]).get(f"/customers/{customer.pk}/").content.decode()
        assert f'action="/finance/customers/{customer.pk}/statement.pdf"' in page
        assert 'name="from" value="2024-06-01"' in page and 'name="to" value="2024-06-12"' in page
        assert "statement.pdf" not in client_of(users["warehouse"]).get("/today/").content.decode()
