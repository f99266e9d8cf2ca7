"""今日 shows what is overdue on the receivables (issue 24, Done-when 4): the account manager their own overdue
instalments with amounts and days overdue, finance every overdue one and the deposits that hold production; the
page's queries do not grow with them."""
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orderloop.core import clock
from orderloop.finance.receivables import today_receivables
from orderloop.orders.today import daily_digest_send, user_today
from orderloop.notifications.models import Notification
from tests.support.receivables import THEIRS, at, delivered_in_two_teams


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_account_manager_sees_their_overdue_instalments_and_finance_all_with_the_deposits(orders, users, product):
    teams = delivered_in_two_teams(orders, users, product, at(2026, 3, 4))
    with clock.frozen_at(at(2026, 3, 5, 9)):
        waiting = orders.at("confirmed", deposit_paid=False)  # its deposit holds production
    with clock.frozen_at(at(2026, 3, 16, 9)):
        mine = user_today(users["account_manager"]).receivables
        assert (mine.count, mine.amount) == (2, 50000)  # the balance due on 4 March, the deposit due on 5 March
        assert [(r.order.ref, r.number, r.open_amount, r.days_overdue) for r in mine.rows] == [
            (teams["ours"].ref, 2, 35000, 12), (waiting.ref, 1, 15000, 11)]
        assert mine.deposits == []  # the queue of deposits is finance's
        theirs = user_today(teams["staff"]["account_manager"]).receivables
        assert [r.order.customer.name for r in theirs.rows] == [THEIRS]
        everything = user_today(users["finance"]).receivables
        assert everything.count == 3 and everything.amount == 35000 + 10500 + 15000
        assert [r.order.ref for r in everything.deposits] == [waiting.ref]
        assert user_today(users["warehouse"]).receivables.applies is False
        page = client_of(users["account_manager"]).get("/today/").content.decode()
        assert 'id="overdue-receivables"' in page and "已逾期 12 天" in page and "¥35,000.00" in page
        finance_page = client_of(users["finance"]).get("/today/").content.decode()
        assert "预付款未到账" in finance_page and waiting.ref in finance_page
        assert 'id="overdue-receivables"' not in client_of(users["warehouse"]).get("/today/").content.decode()
    with clock.frozen_at(at(2026, 3, 16, 8, 30)):
        daily_digest_send()
    digest = Notification.objects.get(event="daily_digest", recipient=users["account_manager"], channel="inapp")
    assert f"应收逾期 {teams['ours'].ref}" in digest.body


def _count(client) -> int:
    client.get("/today/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/today/").status_code == 200
    return len(ctx)


def _receivables_queries(user) -> int:
    with CaptureQueriesContext(connection) as ctx:
        today_receivables(user)
    return len(ctx)


def test_the_today_page_makes_as_many_queries_for_five_overdue_orders_as_for_one(orders, users):
    """Finance's page whole (nothing else on it grows with these orders); the account manager's section (their
    list of orders waiting for them has queries of its own per order)."""
    with clock.frozen_at(at(2026, 3, 4)):
        orders.at("delivered")
    finance = client_of(users["finance"])
    with clock.frozen_at(at(2026, 3, 20)):
        one = (_count(finance), _receivables_queries(users["account_manager"]), _receivables_queries(users["finance"]))
    with clock.frozen_at(at(2026, 3, 4)):
        for _n in range(4):
            orders.at("delivered")
    with clock.frozen_at(at(2026, 3, 20)):
        assert today_receivables(users["finance"]).count == 5
        assert (_count(finance), _receivables_queries(users["account_manager"]), _receivables_queries(users["finance"])) == one
    assert one[1:] == (2, 3)
