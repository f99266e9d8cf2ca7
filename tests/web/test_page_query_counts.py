"""Every page and API list that shows orders (or their lines, progress records, tickets, instalments, receipts)
makes as many statements with four of each kind of order as with one: nothing is fetched per row shown, so a
page of a million-order database costs a fixed number of round trips. The order list, search and detail are
tests/orders/test_query_counts.py's; the register files tests/orders/test_registers.py's."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderloop.accounts.services import api_token_issue
from orderloop.aftersales.services import ticket_open, ticket_respond
from tests.support.finance import pay
from tests.support.orders import act

STATES = ["received", "pending_approval", "in_fulfillment", "delivered", "closed", "cancelled"]

# (url, role): the role sees the page (and orders of each kind on it)
PAGES = [
    ("/today/", "sales_manager"), ("/today/", "sales_director"), ("/today/", "account_manager"),
    ("/today/", "sales_assistant"), ("/today/", "warehouse"), ("/today/", "logistics"), ("/today/", "after_sales"),
    ("/today/", "finance"),
    ("/work/", "sales_assistant"), ("/work/", "account_manager"),
    ("/orders/?archived=1", "sales_director"), ("/orders/?q=科技", "account_manager"),
    ("/registers/orders/", "sales_manager"), ("/registers/progress/", "sales_manager"),
    ("/registers/feedback/", "sales_manager"), ("/registers/logistics/", "sales_director"),
    ("/tickets/", "after_sales"), ("/tickets/", "account_manager"),
    ("/finance/", "finance"), ("/finance/receipts/", "finance"), ("/finance/receivables/", "finance"),
    ("/finance/receivables/", "sales_manager"), ("/finance/invoices/", "finance"),
    ("/finance/receipts/register/", "finance"),
    ("/golive/quality/", "admin"),
]
APIS = [
    ("/api/registers/orders", "sales_manager"), ("/api/registers/progress", "sales_manager"),
    ("/api/registers/feedback", "sales_director"), ("/api/tickets", "after_sales"),
    ("/api/finance/instalments", "finance"), ("/api/finance/receipts", "finance"),
    ("/api/finance/invoices", "finance"), ("/api/finance/receivables", "finance"),
]


def _one_of_each(orders, users):
    """An order in each of STATES; the one in fulfilment with two progress records, the delivered one with a
    ticket answered and half its balance open, the closed one paid."""
    made = {state: orders.at(state) for state in STATES}
    act(made["in_fulfillment"], "track", users["production"], stage="生产", record="生产过半")
    ticket = ticket_open(order_id=made["delivered"].pk, actor=users["account_manager"], ticket_type="quality",
                         description="服务器运行时有异响")
    ticket_respond(ticket_id=ticket.pk, actor=users["after_sales"], note="已电话联系")
    ticket_open(order_id=made["closed"].pk, actor=users["account_manager"], ticket_type="other", description="询问保修期")
    pay(made["delivered"], users["finance"], "on_confirmation")
    return made


def _count(client, url, headers) -> int:
    client.get(url, **headers)  # caches filled on a first request (content types, translations) do not count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return len(ctx) if response.status_code == 200 else f"HTTP {response.status_code}"


def test_pages_and_lists_make_the_same_statements_for_one_order_of_each_kind_and_for_four(client, users, orders):
    _one_of_each(orders, users)
    tokens = {}

    def counts():
        result = {}
        for url, role in PAGES:
            client.force_login(users[role])
            result[url, role] = _count(client, url, {})
        for url, role in APIS:
            if role not in tokens:
                tokens[role] = api_token_issue(username=role, password="orderloop")
            result[url, role] = _count(client, url, {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"})
        return result

    one = counts()
    assert all(isinstance(n, int) for n in one.values()), one
    for _ in range(3):
        _one_of_each(orders, users)
    four = counts()
    grew = {page: (one[page], four[page]) for page in one if four[page] != one[page]}
    assert not grew, sorted(grew.items())

