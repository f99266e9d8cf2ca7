"""Receivables ageing (应收账款账龄, issue 24): each open instalment's outstanding amount in its bucket of calendar
days past due, grouped by customer, owner and team, as far as the reader may see; the page with each customer's
overdue instalments, the files (《应收账款台账》) with their audit record, and GET /api/finance/receivables."""
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from orderloop.accounts.services import api_token_issue
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, NotAllowed
from orderloop.core.models import AuditEntry
from orderloop.finance.models import Instalment
from orderloop.finance.receivables import ageing, bucket_of
from tests.support.finance import pay
from tests.support.receivables import OURS, THEIRS, at, delivered_in_two_teams

DAY = date(2026, 3, 10)
LATER = date(2026, 4, 20)  # 41 days after the balances fell due: 31–60


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_each_open_instalment_is_in_its_bucket_of_calendar_days_past_due(orders, users):
    with clock.frozen_at(at(2026, 3, 10)):
        order = orders.at("confirmed", deposit_paid=False)  # 15,000.00 due today, 35,000.00 not due yet (no date)
    now = clock.now()

    def instalment(number, due, amount, **fields):
        Instalment.objects.create(order=order, owner_id=order.owner_id, customer_id=order.customer_id, number=number,
                                  trigger="fixed_date", fixed_date=due, share=amount,
                                  amount=Decimal(amount), due_date=due, created_at=now, **fields)

    # at each boundary: due today is not overdue; 1 and 30 days, 31 and 60, 61 and 90, then 91
    for number, (days, amount) in enumerate([(0, "100"), (1, "1"), (30, "2"), (31, "4"), (60, "8"), (61, "16"), (90, "32"),
                                             (91, "64")], start=3):
        instalment(number, DAY - timedelta(days=days), amount)
    instalment(11, DAY - timedelta(days=100), "500", received=Decimal("500"), is_open=False)  # settled: not counted
    instalment(12, DAY - timedelta(days=5), "1000", received=Decimal("300"), written_off=Decimal("200"))  # 500 open
    result = ageing(users["finance"], today=DAY)
    (row,) = result.rows
    assert row.label == OURS
    assert row.amounts == {"not_due": money("50100"), "d1_30": money("503"), "d31_60": money("12"),
                           "d61_90": money("48"), "over_90": money("64")}
    assert (row.total, row.overdue, row.instalments, row.overdue_instalments) == (money("50727"), money("627"), 11, 8)
    assert result.total.amounts == row.amounts and result.total.total == row.total
    assert [bucket_of(DAY - timedelta(days=d), DAY) for d in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "not_due", "d1_30", "d1_30", "d31_60", "d31_60", "d61_90", "d61_90", "over_90"]
    assert bucket_of(None, DAY) == "not_due"


@pytest.fixture
def two_teams(orders, users, product):
    return delivered_in_two_teams(orders, users, product, at(2026, 3, 10))


def amounts(result) -> dict:
    return {row.label: (row.amounts["d31_60"], row.total) for row in result.rows}


def test_grouped_by_customer_owner_and_team_as_far_as_each_reader_sees(two_teams, users):
    b = two_teams["staff"]
    ours, theirs = (money("35000"), money("35000")), (money("10500"), money("10500"))
    for everyone in (users["finance"], users["sales_director"], users["admin"]):
        assert amounts(ageing(everyone, today=LATER)) == {OURS: ours, THEIRS: theirs}
        assert amounts(ageing(everyone, by="owner", today=LATER)) == {"account_manager": ours, "b_account_manager": theirs}
        assert amounts(ageing(everyone, by="team", today=LATER)) == {"华北销售一组": ours, "华南销售二组": theirs}
        assert ageing(everyone, today=LATER).total.total == money("45500")
    for reader in (users["sales_manager"], users["account_manager"], users["sales_assistant"]):
        assert amounts(ageing(reader, today=LATER)) == {OURS: ours}
        assert amounts(ageing(reader, by="team", today=LATER)) == {"华北销售一组": ours}
    for reader in (b["sales_manager"], b["account_manager"], b["sales_assistant"]):
        assert amounts(ageing(reader, by="owner", today=LATER)) == {"b_account_manager": theirs}
    for outsider in ("warehouse", "production", "logistics", "after_sales"):
        with pytest.raises(NotAllowed):
            ageing(users[outsider])
    with pytest.raises(InvalidInput):
        ageing(users["finance"], by="product")


def test_a_paid_balance_leaves_the_ageing(two_teams, users):
    with clock.frozen_at(at(2026, 4, 20)):
        pay(two_teams["ours"], users["finance"])
    assert amounts(ageing(users["finance"], today=LATER)) == {THEIRS: (money("10500"), money("10500"))}


def test_the_page_shows_the_ageing_and_each_customers_overdue_instalments(two_teams, users):
    with clock.frozen_at(at(2026, 4, 20)):
        page = client_of(users["finance"]).get("/finance/receivables/")
        assert page.status_code == 200
        html = page.content.decode()
        assert OURS in html and THEIRS in html and "逾期31–60天" in html
        assert f'href="/orders/{two_teams["ours"].ref}/"' in html and "已逾期 41 天" in html
        assert "45,500.00" in html  # the total
        by_team = client_of(users["finance"]).get("/finance/receivables/?by=team").content.decode()
        assert "华北销售一组" in by_team and "华南销售二组" in by_team
        by_owner = client_of(users["finance"]).get("/finance/receivables/?by=owner").content.decode()
        assert "b_account_manager" in by_owner
        mine = client_of(users["account_manager"]).get("/finance/receivables/").content.decode()
        assert OURS in mine and THEIRS not in mine
        assert client_of(users["warehouse"]).get("/finance/receivables/").status_code == 403
        assert client_of(users["warehouse"]).get("/finance/receivables.csv").status_code == 403
        assert 'href="/finance/receivables/"' in client_of(users["account_manager"]).get("/today/").content.decode()


def test_the_files_hold_the_ageing_and_the_ledger_and_are_recorded(two_teams, users):
    with clock.frozen_at(at(2026, 4, 20)):
        response = client_of(users["finance"]).get("/finance/receivables.xlsx?by=team")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert book.sheetnames == ["账龄分析（按团队）", "应收账款台账"]
        ageing_rows = list(book["账龄分析（按团队）"].iter_rows(values_only=True))
        assert ageing_rows[0][:3] == ("团队", "未到期", "逾期1–30天")
        assert [(r[0], r[3], r[7]) for r in ageing_rows[1:]] == [("华北销售一组", 35000, 35000), ("华南销售二组", 10500, 10500),
                                                                 ("合计", 45500, 45500)]
        ledger = list(book["应收账款台账"].iter_rows(values_only=True))
        assert ledger[0] == ("客户名称", "订单编号", "期数", "付款条件", "应收金额(元)", "已收金额(元)", "核销金额(元)",
                             "未收金额(元)", "到期日", "逾期天数", "账龄", "销售负责人", "团队")
        assert [(r[0], r[1], r[2], r[3], r[7], r[9], r[10], r[12]) for r in ledger[1:]] == [
            (OURS, two_teams["ours"].ref, 2, "到货/验收时", 35000, 41, "逾期31–60天", "华北销售一组"),
            (THEIRS, two_teams["theirs"].ref, 2, "到货/验收时", 10500, 41, "逾期31–60天", "华南销售二组")]
        text = b"".join(client_of(users["sales_manager"]).get("/finance/receivables.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "客户名称" and [row[0] for row in rows[1:]] == [OURS]  # the manager's team only
    downloads = AuditEntry.objects.filter(operation="downloaded").order_by("id")
    assert [(e.actor.username, e.changes["what"], e.changes["rows"]) for e in downloads] == [
        ("finance", "应收账款台账.xlsx", 5), ("sales_manager", "应收账款台账.csv", 1)]


def test_the_api_gives_the_ageing_by_customer_owner_or_team(two_teams, users):
    client = Client()

    def get(role, query=""):
        token = api_token_issue(username=role, password="orderloop")
        return client.get(f"/api/finance/receivables{query}", HTTP_AUTHORIZATION=f"Bearer {token}")

    with clock.frozen_at(at(2026, 4, 20)):
        body = get("finance", "?by=owner").json()
        mine = get("sales_assistant").json()
        assert get("warehouse").status_code == 403
        assert get("finance", "?by=product").status_code == 422
        assert get("finance", "?on=0001-01-02").status_code == 422
        on = get("finance", "?on=2026-03-20").json()
    assert body["by"] == "owner" and body["on"] == "2026-04-20"
    assert body["buckets"] == ["not_due", "d1_30", "d31_60", "d61_90", "over_90"]
    assert [(r["name"], r["d31_60"], r["total"], r["overdue_instalments"]) for r in body["rows"]] == [
        ("account_manager", "35000.00", "35000.00", 1), ("b_account_manager", "10500.00", "10500.00", 1)]
    assert body["total"]["overdue"] == "45500.00" and body["total"]["not_due"] == "0.00"
    assert [r["name"] for r in mine["rows"]] == [OURS]
    assert on["total"]["d1_30"] == "45500.00"  # ten days after they fell due
