"""The monthly review's 回款 figures (回款率, overdue receivables and receivables at the month's end, DSO, 付款放行 and
尾款核销), in total and by owner and customer, on a March built by hand with known numbers; and where they show."""
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from orderloop.core import clock
from orderloop.finance.models import Instalment
from orderloop.finance.receipts import Share, receipt_record
from orderloop.reviews.report import review_figures
from tests.support.customers import make_customer
from tests.support.orders import PATH, OrderBuilder, act
from tests.support.pdf import pdf_text
from tests.support.users import make_user

SH = ZoneInfo("Asia/Shanghai")
MARCH = date(2025, 3, 1)


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day} {hm}").replace(tzinfo=SH)


def deliver(order, users, day: str):
    """From 已确认 to 已交付 on ``day``, through the lifecycle."""
    with clock.frozen_at(at(day)):
        for reached, action, role, payload in PATH[3:7]:
            if reached == "ready_to_ship":
                order = act(order, "track", users["production"], stage="生产", record="生产完成", actual_date=day)
            actor = order.owner if role == "account_manager" else users[role]  # the order's own account manager
            order = act(order, action, actor, **payload(order))
    assert order.status == "delivered"
    return order


def pay(order, users, day: str, number: int, amount: str):
    with clock.frozen_at(at(day)):
        row = Instalment.objects.get(order=order, number=number)
        receipt_record(customer_id=order.customer_id, received_on=clock.today(), payer=order.customer.name,
                       amount=amount, actor=users["finance"], allocations=[Share(row.pk, Decimal(amount))])


@pytest.fixture
def march(orders, users, team, product):
    """Each order 50,000.00. 科技有限公司 (account_manager): X confirmed 3月3日 (15,000.00 due), paid 3月4日, delivered
    3月10日 (35,000.00 due), 20,000.00 of it in 3月20日, the rest only in April; Z confirmed and paid in February,
    delivered 2月25日, 30,000.00 of its balance in 3月15日 and the other 5,000.00 written off 3月16日.
    华东制造有限公司 (account_manager2, same team): Y confirmed 3月5日 and released without its deposit (付款放行),
    nothing paid; W on 验收后60天 delivered 3月20日, due 5月19日."""
    second = make_user("account_manager2", "account_manager", team=team)
    other = make_customer("华东制造有限公司", owner=second, uscc="91110000600037341L")
    theirs = OrderBuilder(users, other, product)
    with clock.frozen_at(at("2025-02-20")):
        z = orders.at("confirmed", order_date="2025-02-20")
    z = deliver(z, users, "2025-02-25")
    pay(z, users, "2025-03-15", 2, "30000.00")
    with clock.frozen_at(at("2025-03-16")):
        act(z, "write_off", users["sales_manager"], reason="质量折让，余款不再收取")
    with clock.frozen_at(at("2025-03-03")):
        x = orders.at("confirmed", deposit_paid=False, order_date="2025-03-03")
    pay(x, users, "2025-03-04", 1, "15000.00")
    x = deliver(x, users, "2025-03-10")
    pay(x, users, "2025-03-20", 2, "20000.00")
    pay(x, users, "2025-04-02", 2, "15000.00")  # after the month: still overdue at its end
    with clock.frozen_at(at("2025-03-05")):
        y = theirs.at("confirmed", deposit_paid=False, order_date="2025-03-05")
        act(y, "waive_payment", users["sales_manager"], reason="老客户，先行排产")
    with clock.frozen_at(at("2025-03-15")):
        w = theirs.at("confirmed", order_date="2025-03-15", payment_terms="验收后60天")
    w = deliver(w, users, "2025-03-20")
    assert Instalment.objects.get(order=w).due_date == date(2025, 5, 19)
    return {"x": x, "y": y, "z": z, "w": w}


def test_the_money_figures_of_a_month_built_by_hand(march, django_assert_num_queries):
    with clock.frozen_at(at("2025-04-03")), django_assert_num_queries(9 if connection.vendor == "postgresql" else 8):
        figures = review_figures(MARCH)
    money = figures["money"]
    # due in March: X 15,000 + 35,000 and Y 15,000; of it received by 3月31日: X 15,000 + 20,000
    # overdue at the end: X 15,000 and Y 15,000 (Z paid and written off); receivables: those and W's 50,000 not yet due
    # DSO: 80,000 / 100,000 delivered in March (X and W) × 31 days
    assert {key: value for key, value in money.items() if not key.startswith("by_")} == {
        "due": "65000.00", "received": "35000.00", "collection_rate": 53.8, "overdue": "30000.00",
        "receivables": "80000.00", "sales": "100000.00", "days": 31, "dso": 24.8, "waived": 1, "written_off": 1}
    assert money["by_owner"] == [
        {"name": "account_manager2", "due": "15000.00", "received": "0.00", "collection_rate": 0.0, "overdue": "15000.00",
         "receivables": "65000.00", "sales": "50000.00", "dso": 40.3, "waived": 1, "written_off": 0},
        {"name": "account_manager", "due": "50000.00", "received": "35000.00", "collection_rate": 70.0,
         "overdue": "15000.00", "receivables": "15000.00", "sales": "50000.00", "dso": 9.3, "waived": 0, "written_off": 1},
    ]
    assert [(row["name"], row["overdue"], row["waived"], row["written_off"]) for row in money["by_customer"]] == [
        ("华东制造有限公司", "15000.00", 1, 0), ("科技有限公司", "15000.00", 0, 1)]

    april = review_figures(date(2025, 4, 1))["money"]  # X's rest came in on 4月2日; nothing fell due in April
    assert (april["due"], april["collection_rate"], april["overdue"], april["waived"]) == ("0.00", None, "15000.00", 0)
    february = review_figures(date(2025, 2, 1))["money"]  # Z's deposit paid on its day, its balance owed at the end
    assert (february["due"], february["received"], february["overdue"], february["dso"]) == (
        "50000.00", "15000.00", "35000.00", 19.6)  # 35,000 / 50,000 × 28


def test_the_page_the_workbook_and_the_pdf_show_them(march, users):
    client = Client()
    client.force_login(users["sales_manager"])
    with clock.frozen_at(at("2025-04-03")):
        page = client.get("/reviews/2025-03/").content.decode()
        book = load_workbook(io.BytesIO(client.get("/reviews/2025-03.xlsx").content))
        text = pdf_text(client.get("/reviews/2025-03.pdf").content)
    assert '<dd id="collection-rate">53.8%</dd>' in page and '<dd id="dso">24.8</dd>' in page
    assert '<dd id="overdue">30,000.00</dd>' in page and '<dd id="payment-waived">1 / 1</dd>' in page
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["回款率(%)"] == "53.8" and summary["期末逾期应收(元)"] == 30000 and summary["DSO(天)"] == "24.8"
    assert summary["付款放行(次)"] == 1 and summary["尾款核销(次)"] == 1
    owners = list(book["回款按销售负责人"].iter_rows(values_only=True))
    assert owners[0][:4] == ("销售负责人", "到期应收(元)", "回款(元)", "回款率(%)")
    assert owners[2][:4] == ("account_manager", 50000, 35000, "70.0")
    assert "回款按客户" in book.sheetnames
    assert "回款率(%)\n53.8" in text and "DSO(天)\n24.8" in text and "回款按客户" in text


def test_the_api_answers_them_as_the_page_does(march, users):
    from tests.support.api_client import Api

    with clock.frozen_at(at("2025-04-03")):
        money = Api("sales_director").get("/reports/monthly/2025-03").json()["figures"]["money"]
    assert (money["collection_rate"], money["overdue"], money["dso"], money["waived"], money["written_off"]) == (
        53.8, "30000.00", 24.8, 1, 1)
    assert [row["name"] for row in money["by_customer"]] == ["华东制造有限公司", "科技有限公司"]


def owed_by_hand(last_day: date, *, due_only: bool) -> Decimal:
    """What was owed at the end of ``last_day``, from every instalment and allocation there is: of the instalments
    due by then (``due_only``), or also of those of orders delivered by then (the receivables)."""
    end = datetime.combine(last_day, datetime.min.time(), tzinfo=SH) + timedelta(days=1)
    total = Decimal("0")
    for row in Instalment.objects.select_related("order").prefetch_related("allocations__receipt"):
        due = row.due_date is not None and row.due_date <= last_day
        delivered = row.order.delivered_at is not None and row.order.delivered_at < end
        if row.created_at >= end or not (due or (delivered and not due_only)):
            continue
        received = sum((a.amount for a in row.allocations.all() if a.receipt.received_on <= last_day), Decimal("0"))
        written_off = row.written_off if row.written_off_at and row.written_off_at < end else Decimal("0")
        total += row.amount - received - written_off
    return total


def test_a_back_dated_receipt_that_pays_an_instalment_off_leaves_what_was_owed_at_the_month_end(march, orders, users):
    """V's balance of 35,000.00 falls due on 2月26日: 20,000.00 come in on 4月2日, and on 4月3日 finance records a
    receipt of 15,000.00 that came in on 3月28日 and pays it off. At March's end 20,000.00 of it was owed, though
    the receipt that paid it off is dated in March."""
    with clock.frozen_at(at("2025-02-20")):
        v = orders.at("confirmed", order_date="2025-02-20")
    v = deliver(v, users, "2025-02-26")
    pay(v, users, "2025-04-02", 2, "20000.00")
    with clock.frozen_at(at("2025-04-03")):
        row = Instalment.objects.get(order=v, number=2)
        receipt_record(customer_id=v.customer_id, received_on=date(2025, 3, 28), payer=v.customer.name,
                       amount="15000.00", actor=users["finance"], allocations=[Share(row.pk, Decimal("15000.00"))])
        row.refresh_from_db()
        assert (row.is_open, row.settled_on) == (False, date(2025, 4, 3))  # the day it was recorded, not 3月28日
        figures = {month: review_figures(date(2025, month, 1))["money"] for month in (2, 3, 4)}
    # February: Z's 35,000 as before and V's; March: X's 15,000 and Y's 15,000 as before, and V's 20,000
    assert figures[2]["overdue"] == "70000.00"
    assert (figures[3]["overdue"], figures[3]["receivables"]) == ("50000.00", "100000.00")
    for month, money in figures.items():
        last_day = date(2025, month + 1, 1) - timedelta(days=1)
        assert Decimal(money["overdue"]) == owed_by_hand(last_day, due_only=True), month
        assert Decimal(money["receivables"]) == owed_by_hand(last_day, due_only=False), month
