"""Object references out of reach (IDOR): every URL that names an order, a customer, a ticket, an
attachment, a document or an export answers a user of another team exactly as if it did not exist (404),
through pages and the API, while the owning team gets it (so the test can tell the two apart)."""
import json

import pytest
from django.core.management import call_command
from django.test import Client

from orderloop.accounts.models import User
from orderloop.accounts.services import api_token_issue
from orderloop.aftersales.models import Ticket
from orderloop.masterdata.models import Customer
from orderloop.orders.models import Attachment, SalesOrder
from tests.support.shared_db import kept_for_the_scope

OWN_TEAM = ["account_manager", "sales_manager"]         # 华北销售一组: 202405-001 … 003 are theirs
OTHER_TEAM = ["account_manager2", "sales_manager2"]     # 华东销售二组


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """The demo, and an order of the other team, made once for the module: every test here asks them, and what
    each changes is rolled back before the next (tests/support/shared_db.py)."""
    with kept_for_the_scope(django_db_blocker):
        with django_db_blocker.unblock():
            call_command("demo", force=True)
            first = SalesOrder.objects.get(number="202405-001")
            other = SalesOrder.objects.create(  # an order of the other team, to borrow its reference
                customer=Customer.objects.get(name="华东制造有限公司"), owner=User.objects.get(username="account_manager2"),
                order_date=first.order_date, provisional_ref="TMP-EASTONE1", contact_name="周*", created_at=first.created_at,
                updated_at=first.updated_at)
            values = {
                "ref": "202405-001", "other_ref": other.ref,
                "attachment": Attachment.objects.filter(order=first, kind="receipt").first().pk,
                "ticket": Ticket.objects.get(order__number="202405-003").pk,
                "customer": Customer.objects.get(name="科技有限公司").pk,
            }
        yield values


@pytest.fixture
def demo(_demo_loaded, db):
    """The demo as loaded, each test's changes undone."""
    return _demo_loaded


PAGES = [
    "/orders/{ref}/", "/orders/{ref}/edit/", "/orders/{ref}/acceptance/", "/orders/{ref}/documents/review/",
    "/orders/{ref}/documents/internal/", "/orders/{ref}/documents/acceptance/", "/orders/{ref}/documents/receipt-1.pdf",
    "/orders/{ref}/documents/progress/", "/orders/{ref}/documents/shipment/", "/orders/{ref}/documents/visit/",
    "/orders/{ref}/documents/confirmation.pdf", "/orders/{ref}/attachments/{attachment}/",
    "/tickets/{ticket}/", "/tickets/{ticket}/record/",
]
PAGE_POSTS = ["/orders/{ref}/actions/track/", "/orders/{ref}/copy/", "/tickets/new/{ref}/"]
API = [
    ("GET", "/api/orders/{ref}"), ("GET", "/api/orders/{ref}/events"), ("GET", "/api/orders/{ref}/attachments"),
    ("GET", "/api/customers/{customer}"), ("PATCH", "/api/customers/{customer}"),
    ("POST", "/api/orders/{ref}/actions/raise_risk"),
]


def fill(path, subjects):
    return path.format(**subjects)


def page(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize("username", OTHER_TEAM)
def test_pages_of_another_teams_objects_are_not_there(demo, username):
    client = page(username)
    for path in PAGES:
        assert client.get(fill(path, demo)).status_code == 404, path
    for path in PAGE_POSTS:
        assert client.post(fill(path, demo), {"stage": "生产", "record": "x"}).status_code == 404, path
    # an attachment of the first team's order reached through one's own order is not there either
    borrowed = f"/orders/{demo['other_ref']}/attachments/{demo['attachment']}/"
    assert client.get(borrowed).status_code == 404


def test_the_owning_team_gets_the_same_pages(demo):
    client = page("account_manager")
    for path in PAGES:
        if path in ("/orders/{ref}/edit/", "/orders/{ref}/acceptance/"):
            continue  # a closed order is no longer edited or accepted
        assert client.get(fill(path, demo)).status_code == 200, path


@pytest.mark.parametrize("username", OTHER_TEAM + OWN_TEAM)
def test_the_api_hides_another_teams_objects(demo, username):
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(username=username, password='orderloop')}"}
    body = {"GET": None, "PATCH": {"address": "北京市海淀区路1号"}, "POST": {"risk_type": "other", "description": "x"}}
    for method, path in API:
        url = fill(path, demo)
        if method == "GET":
            response = client.get(url, **headers)
        else:
            send = client.patch if method == "PATCH" else client.post
            response = send(url, json.dumps(body[method]), content_type="application/json", **headers)
        if username in OTHER_TEAM:
            assert response.status_code == 404, (method, path, response.content)
        else:
            assert response.status_code in (200, 409), (method, path, response.content)  # 409: closed order
    tickets = client.get("/api/tickets", **headers).json()
    assert (demo["ticket"] in [t["id"] for t in tickets]) == (username in OWN_TEAM)
    customers = [c["name"] for c in client.get("/api/customers", **headers).json()]
    assert ("科技有限公司" in customers) == (username in OWN_TEAM)


@pytest.mark.parametrize("path", ["/registers/progress.csv", "/registers/feedback.csv", "/registers/logistics.csv"])
def test_exports_leave_another_teams_orders_out(demo, path):
    assert "202405-001" not in page("account_manager2").get(path).getvalue().decode("utf-8-sig")
    assert "202405-00" in page("account_manager").get(path).getvalue().decode("utf-8-sig")


def test_an_order_is_found_by_its_reference_exactly_when_the_lists_show_it(demo):
    """The order page's read (compiled once per kind of user, the user's id and team put in) finds an order for
    exactly the users whose lists show it: every user of the demo, every order, by number and by reference."""
    from orderloop.core.exceptions import NotFound
    from orderloop.orders.access import filter_visible
    from orderloop.orders.selectors import order_get

    orders = list(SalesOrder.objects.all())
    users = list(User.objects.filter(is_active=True).order_by("username"))
    assert len({frozenset(user.roles) for user in users}) >= 6 and len({u.team_id for u in users}) >= 3
    shown_to_someone = hidden_from_someone = 0
    for user in users:
        listed = set(filter_visible(SalesOrder.objects.all(), user).values_list("pk", flat=True))
        for order in orders:
            for ref in {order.ref, order.provisional_ref} - {""}:
                try:
                    found = order_get(user=user, ref=ref).pk
                except NotFound:
                    found = None
                assert found == (order.pk if order.pk in listed else None), (user.username, ref)
            shown_to_someone += order.pk in listed
            hidden_from_someone += order.pk not in listed
    assert shown_to_someone and hidden_from_someone


def test_a_user_with_no_role_finds_no_order(demo):
    """No role, no order: the order page and the API answer 404, as for an order that does not exist."""
    user = User.objects.get(username="account_manager")
    user.groups.clear()
    client = Client()
    client.force_login(user)
    assert client.get(f"/orders/{demo['ref']}/").status_code == 404
    token = api_token_issue(username="account_manager", password="orderloop")
    assert Client().get(f"/api/orders/{demo['ref']}", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404
