"""The monthly review by scope (SPEC sections 6 and 9): a sales manager's review — page, .xlsx and PDF — holds
their teams' orders only, totals included; the director sees the whole company; a filed month keeps the
figures of the scope it was frozen for, and the review takes the same number of queries whatever the scope."""
import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from orderloop.accounts.models import Team
from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.masterdata.models import Contact, Customer, Qualification
from orderloop.masterdata.uscc import uscc_check_char
from orderloop.reviews.models import MonthlyReview
from orderloop.reviews.report import review_figures
from orderloop.reviews.services import review_file
from orderloop.setup.demo import LICENCE_SCAN
from tests.support.orders import OrderBuilder
from tests.support.users import make_user

SH = ZoneInfo("Asia/Shanghai")
MARCH = date(2025, 3, 1)
OURS, THEIRS = "科技有限公司", "远方贸易有限公司"  # team A's customer (the ``customer`` fixture), team B's


def at(day: int, hh: int, month: int = 3) -> datetime:
    return datetime(2025, month, day, hh, tzinfo=SH)


@pytest.fixture
def two_teams(orders, users, team, product):
    """March 2025 for two teams. Team A (the ``users`` fixture's sales staff and manager): one order delivered
    (50,000) and one received (10,000), a quality ticket. Team B (its own assistant, account manager, manager
    and customer): one order delivered (15,000), a complaint."""
    other = Team.objects.create(name="华南销售二组")
    staff = {role: make_user(f"b_{role}", role, team=other) for role in ("sales_assistant", "account_manager", "sales_manager")}
    other.manager = staff["sales_manager"]
    other.save()
    far = Customer.objects.create(name=THEIRS, uscc="91440300MA5F00001" + uscc_check_char("91440300MA5F00001"),
                                  owner=staff["account_manager"], qualification=Qualification.QUALIFIED,
                                  address="深圳市南山区路2号", licence_expiry=date(2099, 12, 31), credit_record="信用良好")
    far.business_licence.save("licence.png", ContentFile(LICENCE_SCAN), save=True)
    Contact.objects.create(customer=far, name="王*", phone="13900002222", is_primary=True)
    theirs = OrderBuilder({**users, **staff}, far, product)
    with clock.frozen_at(at(10, 10)):
        a_delivered = orders.at("delivered", order_date="2025-03-10")
        orders.received(order_date="2025-03-11", lines=[{"product_id": product.pk, "quantity": "2", "unit_price": "5000"}])
        b_delivered = theirs.at("delivered", order_date="2025-03-10",
                                lines=[{"product_id": product.pk, "quantity": "3", "unit_price": "5000"}])
    with clock.frozen_at(at(12, 15)):
        ticket_open(order_id=a_delivered.pk, actor=users["account_manager"], ticket_type="quality", description="质量")
        ticket_open(order_id=b_delivered.pk, actor=staff["account_manager"], ticket_type="complaint", description="投诉")
    return {"team_a": team, "team_b": other, "manager_a": users["sales_manager"], "manager_b": staff["sales_manager"],
            "director": users["sales_director"], "admin": users["admin"], "theirs": theirs, "owner_b": staff["account_manager"]}


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', page, re.S)
    assert match, section_id
    return match.group(1)


def page_of(user) -> str:
    response = client_of(user).get("/reviews/2025-03/")
    assert response.status_code == 200
    return response.content.decode()


def workbook_of(user) -> dict:
    response = client_of(user).get("/reviews/2025-03.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    return {
        "summary": {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)},
        "customers": [row[0] for row in book["按客户"].iter_rows(min_row=2, values_only=True)],
        "owners": [row[0] for row in book["按销售负责人"].iter_rows(min_row=2, values_only=True)],
        "tickets": [row[0] for row in book["售后问题类型"].iter_rows(min_row=2, values_only=True)],
    }


def pdf_of(user) -> str:
    response = client_of(user).get("/reviews/2025-03.pdf")
    assert response.status_code == 200
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def assert_team_a_only(user):
    """Team A's manager: team A's customer, owner, tickets and totals, nothing of team B, in all three."""
    page = page_of(user)
    assert OURS in section(page, "by-customer") and THEIRS not in page
    assert "account_manager" in section(page, "by-owner") and "b_account_manager" not in section(page, "by-owner")
    assert "b_account_manager" not in figures_json(page)  # the charts' data (the action items' picker names everyone)
    assert '<dd id="order-count">2</dd>' in page and '<dd id="order-amount">60000.00</dd>' in page
    assert "产品质量" in section(page, "tickets") and "投诉" not in section(page, "tickets")
    assert 'id="review-scope"' in page and "华北销售一组" in section_hint(page)
    book = workbook_of(user)
    assert book["customers"] == [OURS] and book["owners"] == ["account_manager"] and book["tickets"] == ["产品质量"]
    assert book["summary"]["订单数量"] == 2 and book["summary"]["订单金额(元)"] == 60000
    text = pdf_of(user)
    assert OURS in text and THEIRS not in text and "b_account_manager" not in text and "投诉" not in text


def figures_json(page: str) -> str:
    return re.search(r'<script id="review-figures" type="application/json">(.*?)</script>', page, re.S).group(1)


def section_hint(page: str) -> str:
    return re.search(r'<p class="hint" id="review-scope">(.*?)</p>', page, re.S).group(1)


def assert_everything(user, count=3, amount="75000.00"):
    page = page_of(user)
    assert OURS in section(page, "by-customer") and THEIRS in section(page, "by-customer")
    assert "b_account_manager" in section(page, "by-owner")
    assert f'<dd id="order-count">{count}</dd>' in page and f'<dd id="order-amount">{amount}</dd>' in page
    assert 'id="review-scope"' not in page
    book = workbook_of(user)
    assert sorted(book["customers"]) == sorted([OURS, THEIRS]) and sorted(book["tickets"]) == ["产品质量", "投诉"]
    assert book["summary"]["订单数量"] == count and book["summary"]["订单金额(元)"] == Decimal(amount)
    text = pdf_of(user)
    assert OURS in text and THEIRS in text


@pytest.mark.slow
def test_a_sales_manager_reads_their_teams_review_and_the_director_the_companys(two_teams, users):
    with clock.frozen_at(at(2, 10, month=4)):
        assert_team_a_only(two_teams["manager_a"])
        page = page_of(two_teams["manager_b"])
        assert THEIRS in section(page, "by-customer") and OURS not in page and "投诉" in section(page, "tickets")
        assert '<dd id="order-count">1</dd>' in page and '<dd id="order-amount">15000.00</dd>' in page
        assert_everything(two_teams["director"])
        assert_everything(two_teams["admin"])
        teamless = make_user("manager_without_team", "sales_manager")
        page = page_of(teamless)
        assert OURS not in page and THEIRS not in page and '<dd id="order-count">0</dd>' in page


@pytest.mark.slow
def test_a_filed_month_keeps_each_scopes_frozen_figures(two_teams, users, orders, product):
    team_a, team_b = two_teams["team_a"], two_teams["team_b"]
    with clock.frozen_at(at(2, 16, month=4)):
        review = review_file(month=MARCH, actor=two_teams["manager_a"], summary="两个团队的三月")
    assert review.figures["orders"] == {"count": 3, "amount": "75000.00", "rejected": 0, "cancelled": 0, "imported": 0}
    assert set(review.team_figures) == {str(team_a.pk), str(team_b.pk)}  # each team's, keyed by its id
    assert [row["name"] for row in review.team_figures[str(team_b.pk)]["by_customer"]] == [THEIRS]

    # later, one more March order for each team: the filed month does not move
    with clock.frozen_at(at(3, 10, month=4)):
        orders.received(order_date="2025-03-20")
        two_teams["theirs"].received(order_date="2025-03-20")
    assert review_figures(MARCH)["orders"]["count"] == 5
    with clock.frozen_at(at(3, 12, month=4)):
        assert_team_a_only(two_teams["manager_a"])
        page = page_of(two_teams["manager_b"])
        assert THEIRS in page and OURS not in page and '<dd id="order-count">1</dd>' in page
        assert "以下为提交时冻结的数据" in page and "以下团队数据按当前记录计算" not in page
        assert_everything(two_teams["director"])

        # team B's manager now also manages team A: a set of teams not frozen at filing is computed now, and says so
        Team.objects.filter(pk=team_a.pk).update(manager=two_teams["manager_b"])
        page = page_of(two_teams["manager_b"])
        assert OURS in page and THEIRS in page and '<dd id="order-count">5</dd>' in page
        assert "以下团队数据按当前记录计算" in page
        assert OURS not in page_of(two_teams["manager_a"])  # who manages no team any more sees no orders
    assert MonthlyReview.objects.get(month=MARCH).figures["orders"]["count"] == 3


def test_a_teams_figures_take_as_many_queries_as_the_companys(two_teams, django_assert_num_queries):
    queries = 9 if connection.vendor == "postgresql" else 8  # on PostgreSQL the report's settings first
    with django_assert_num_queries(queries):
        company = review_figures(MARCH)
    with django_assert_num_queries(queries):
        ours = review_figures(MARCH, teams=[two_teams["team_a"].pk])
    with django_assert_num_queries(queries):
        both = review_figures(MARCH, teams=[two_teams["team_a"].pk, two_teams["team_b"].pk])
    assert company["orders"]["count"] == both["orders"]["count"] == 3 and ours["orders"]["count"] == 2
    assert [row["name"] for row in ours["by_customer"]] == [OURS]
    assert ours["delivery"]["delivered"] == 1 and company["delivery"]["delivered"] == 2
    assert ours["tickets"]["total"] == 1 and company["tickets"]["total"] == 2
    assert [row["orders"] for row in ours["phases"] if row["orders"]] == [1] * 6
    assert {key: value for key, value in company.items() if key != "computed_at"} == \
        {key: value for key, value in both.items() if key != "computed_at"}
