"""No server error (500) from what an address or a form can hold: every URL pattern of the app is requested with
existing and malformed values in its path (ids of 0 and beyond 64 bits, junk, NUL, a path climbing up), and
with every query and form field the views read set to junk (a number beyond 64 bits, -1, a vertical tab, NUL,
a digit that is not ASCII), as an administrator, a sales assistant and a warehouse user. The customer's name
holds a control character and a formula, so every page and export shows one.

Requests under /api/ carry the user's token; every answer there is JSON in the API's error format."""
import inspect
import re
import typing
from datetime import date
from itertools import chain
from pathlib import Path

import pytest
from django import forms as django_forms
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from pydantic import BaseModel

from orderloop.finance.invoices import invoice_request
from orderloop.accounts.models import ApiToken
from orderloop.accounts.services import api_token_issue
from orderloop.accounts.throttle import ThrottledAuthenticationForm
from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.masterdata.models import Customer
from orderloop.orders.links import rating_url, receipt_url
from orderloop.orders.models import FollowUpVisit
from orderloop.orders.steps import ACTIONS
from orderloop.orders.views import INTAKE_FIELDS
from orderloop.reviews.services import action_item_add
from orderloop.setup import forms as setup_forms
from orderloop.setup.services import STEP_TITLES
from tests.support.api_client import Api

ROOT = Path(__file__).resolve().parent.parent / "orderloop"
ROLES = ["admin", "sales_assistant", "warehouse"]
HUGE = "99999999999999999999"
# In a path: already quoted for the address.
PATH_JUNK = {"int": ["0", HUGE], "str": ["abc", "%00", "..%2Fx", "%0B", HUGE],
             "month": ["0001-01", "9999-12", "2024-13", "0000-00"]}
# In a query string or a form.
VALUE_JUNK = ["abc", "-1", HUGE, "\x0b", "\x00", "²", "", "9" * 5000]  # "²": a digit to str.isdigit, not to int
SKIP = ("admin/", "logout/")  # Django's own admin; logging out ends the session the crawl runs in
INTAKE_NAMES = set(INTAKE_FIELDS) | {f"lines.0.{name}" for name in ("product_id", "quantity", "unit_price")}
NAME_READ = re.compile(r"""\b(?:request\.(?:GET|POST)|get|post)\s*(?:\.get(?:list)?\(\s*|\[\s*)["']([\w.\-]+)["']""")


def names_read_by(view) -> set[str]:
    """The names a view reads from the query string or a form (request.GET.get("x"), request.POST["x"], …), in
    its own code and in the functions of its module that it calls (and registers.parse_filters, which reads the
    filters of the order list and the registers)."""
    view = inspect.unwrap(view)  # through login_required and the other decorators made with functools.wraps
    module = inspect.getmodule(view)
    names, seen, todo = set(), set(), [view]
    while todo:
        function = todo.pop()
        if function in seen:
            continue
        seen.add(function)
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):  # a built-in or a C function: no source to read, no field names in it
            continue
        names |= set(NAME_READ.findall(source))
        for called in set(re.findall(r"\b(\w+)\(", source)):
            target = getattr(module, called, None)
            if inspect.isfunction(target) and (target.__module__ == module.__name__
                                               or target.__module__.endswith(".registers")):  # the lists' filters
                todo.append(inspect.unwrap(target))
    return names


def _model_fields(model: type[BaseModel], prefix="") -> set[str]:
    """A payload model's form names, nested lists as ``lines.0.quantity``."""
    names = set()
    for name, info in model.model_fields.items():
        names.add(prefix + name)
        for arg in chain([info.annotation], typing.get_args(info.annotation)):
            for inner in chain([arg], typing.get_args(arg)):
                if inspect.isclass(inner) and issubclass(inner, BaseModel):
                    names |= _model_fields(inner, f"{prefix}{name}.0.")
    return names


def form_names() -> list[str]:
    """The fields of every form the pages take: an order's, each action's payload, the setup forms, the login."""
    names = INTAKE_NAMES | set(ThrottledAuthenticationForm.base_fields)
    for action in ACTIONS.values():
        names |= _model_fields(action.payload)
    for _name, form in inspect.getmembers(setup_forms, inspect.isclass):
        if issubclass(form, django_forms.BaseForm) and form.__module__ == setup_forms.__name__:
            names |= set(form.base_fields)
    return sorted(names)


def patterns(resolvers=None, prefix=""):
    """(route, pattern) of every URL pattern, with the route's parameters as ``<converter:name>``."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and not route.startswith(SKIP):
            yield route, entry


PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


@pytest.fixture
def world(orders, users, customer):
    """An order delivered (with its files, consignment and visit) and one in review, a ticket, an action item;
    the customer's name with a vertical tab and a formula in it."""
    delivered = orders.at("delivered")
    received = orders.received()
    ticket = ticket_open(order_id=delivered.pk, actor=users["account_manager"], ticket_type="quality",
                         description="=1+1 客户反馈\x0b")
    today = clock.today()
    item = action_item_add(month=today.replace(day=1), actor=users["sales_manager"], description="@SUM(A1) 措施",
                           owner_id=users["warehouse"].pk, due_date=today.isoformat())
    Customer.objects.filter(pk=customer.pk).update(name="=HYPERLINK(\"http://evil.example\")\x0b科技")
    shipment = delivered.shipments.first()
    invoice = invoice_request(order_id=delivered.pk, actor=users["account_manager"], data={"kind": "special"})
    visit = FollowUpVisit.objects.get(order=delivered)
    month = today.replace(day=1).strftime("%Y-%m")
    good = {
        "ref": [delivered.ref, received.ref], "action": sorted(ACTIONS), "batch": ["1"],
        "attachment_id": [str(delivered.attachments.first().pk)], "ticket_id": [str(ticket.pk)],
        "item_id": [str(item.pk)], "month": [month, "2025-03"], "code": sorted(STEP_TITLES),
        "year": [str(today.year), "1", "9999"],
        "name": ["orders", "progress", "feedback", "logistics", "list", "receipts"],
        "token": [url.rstrip("/").rsplit("/", 1)[-1] for url in (receipt_url(shipment), rating_url(visit))],
        "customer_id": [str(customer.pk)], "kind": ["licence", "credit", "customers", "orders"],
        "product_id": [str(delivered.lines.first().product_id)],
        "token_id": [str(_a_token(users["warehouse"]).pk)], "filter_id": ["1"], "invoice_id": [str(invoice.pk)],
        "receipt_id": [str(_a_receipt(users, customer).pk)], "statement_id": [str(_a_statement(users).pk)],
        "run_id": [str(_an_import_run(users).pk)],
    }
    return good


def _an_import_run(users):
    from orderloop.golive.services import import_preview

    content = "客户名称,联系方式\n=1+1 客户\x0b,13800001111\n".encode()
    return import_preview(actor=users["admin"], kind="customers", content=content, filename="客户.csv")


def _a_receipt(users, customer):
    from orderloop.finance.receipts import receipt_record

    return receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="=1+1 付款方\x0b", amount="100.00",
                          bank_reference="CRAWL-1", actor=users["finance"])


def _a_statement(users):
    from orderloop.finance.bank_statements import statement_import

    content = f"交易日期,付款方,金额,流水号\n{clock.today().isoformat()},科技,50.00,CRAWL-2\n".encode()
    return statement_import(actor=users["finance"], content=content, filename="流水.csv").statement


def _a_token(user):
    api_token_issue(username=user.username, password="orderloop")
    return ApiToken.objects.filter(user=user).latest("id")


def candidates(route: str, good: dict) -> list[str]:
    """The route filled in: every parameter at its first existing value, then each parameter in turn at each of
    its other values (existing and junk) while the others keep theirs."""
    found = PARAMETER.findall(route)
    first = {name: good[name][0] for _converter, name in found}

    def fill(values):
        return "/" + PARAMETER.sub(lambda m: values[m.group(2)], route)

    urls = [fill(first)]
    for converter, name in found:
        kind = "month" if converter == "month" else "int" if converter == "int" else "str"
        for value in good[name][1:] + PATH_JUNK[kind]:
            urls.append(fill({**first, name: value}))
    return urls


def _request(client, method: str, url: str, data=None, **headers):
    """One request whose changes are undone, so that each sees the same data (and, on PostgreSQL, a failed
    statement does not break the next)."""
    savepoint = transaction.savepoint()
    try:
        send = getattr(client, method)
        return send(url, data, **headers) if data is not None else send(url, **headers)
    finally:
        transaction.set_rollback(False)  # as atomic() does: the rollback to the savepoint undoes the failure
        transaction.savepoint_rollback(savepoint)
        # …and, as atomic() does, released: a savepoint kept after its rollback nests every later statement one level
        # deeper, and on PostgreSQL each level that writes (the next force_login) holds a lock until the test ends —
        # thousands of requests outgrow the server's lock table
        transaction.savepoint_commit(savepoint)


def _check(failures: list, response, role, method, url, data=None):
    status = response.status_code
    if status >= 500:
        shown = "" if not data else {n: v[:20] for n, v in data.items()} if len(data) < 3 else "(every form field)"
        failures.append(f"{role} {method.upper()} {url} {shown} → {status}")
    elif url.startswith("/api/") and status >= 400:
        json = response.get("Content-Type", "").startswith("application/json")
        if not json or not {"detail", "errors", "code"} <= set(response.json()):
            failures.append(f"{role} {method.upper()} {url} → {status} not in the API's error format")


@pytest.mark.slow
def test_no_address_or_field_gives_a_server_error(world, users):
    routes = list(patterns())
    assert len(routes) > 60
    reads = {route: names_read_by(entry.callback) for route, entry in routes}
    assert {"customer", "page", "q", "since"} <= reads["orders/"] | reads["audit/"] and reads["inbox/read/"] == {"id"}
    assert {"incoming", "customer_id"} <= reads["orders/mail/"] and "satisfaction" in reads["tickets/<int:ticket_id>/"]
    fields = form_names()
    assert {"customer_id", "lines.0.product_id", "lines.0.line_id", "version", "manager", "username"} <= set(fields)
    failures: list[str] = []
    for role in ROLES:
        client = Client(raise_request_exception=False)
        token = {"HTTP_AUTHORIZATION": f"Bearer {Api(role).token}"}
        for route, _entry in routes:
            client.force_login(users[role])  # whatever the last request did to the session
            api = route.startswith("api/")
            headers = token if api else {}
            urls = candidates(route, world)
            for url in urls:  # the path: existing values, then each parameter malformed in turn
                for method in ("get", "post"):
                    _check(failures, _request(client, method, url, **headers), role, method, url)
            if api:  # methods the operation does not have
                for method in ("put", "patch", "delete"):
                    _check(failures, _request(client, method, urls[0], **headers), role, method, urls[0])
                continue  # the API's query strings and bodies: tests/test_api_fuzz.py
            for name in sorted(reads[route]):  # each name the view reads, alone, malformed
                for value in VALUE_JUNK:
                    for method in ("get", "post"):
                        data = {name: value}
                        _check(failures, _request(client, method, urls[0], data), role, method, urls[0], data)
            for value in VALUE_JUNK:  # every form field at once, malformed
                data = {name: value for name in fields}
                _check(failures, _request(client, "post", urls[0], data), role, "post", urls[0], data)
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("value", [HUGE, "abc", "-1", "²", "\x00", ""])
def test_an_id_from_the_query_string_or_a_form_is_taken_or_left_alone(world, users, customer, product, value):
    """One malformed id in an otherwise good request (the crawl sends each name alone, or every field malformed)."""
    admin, assistant, manager = (Client(raise_request_exception=False) for _ in range(3))
    admin.force_login(users["admin"])
    assistant.force_login(users["sales_assistant"])
    manager.force_login(users["sales_manager"])
    responses = {
        "orders by customer": assistant.get("/orders/", {"customer": value, "page": value}),
        "board by customer": assistant.get("/board/", {"customer": value}),
        "audit by object": manager.get("/audit/", {"object": value, "actor": value, "page": value}),
        "mail by incoming": assistant.post("/orders/mail/", {"incoming": value, "customer_id": str(customer.pk)}),
        "mail with customer": assistant.post("/orders/mail/", {"incoming": "1", "customer_id": value}),
        "inbox read": assistant.post("/inbox/read/", {"id": value}),
        "inbox read none": assistant.post("/inbox/read/"),
        "new order customer": assistant.post("/orders/new/", {
            "customer_id": value, "order_date": "2024-05-10", "channel": "web", "lines.0.product_id": str(product.pk),
            "lines.0.quantity": "1"}),
        "new order product": assistant.post("/orders/new/", {
            "customer_id": str(customer.pk), "order_date": "2024-05-10", "channel": "web",
            "lines.0.product_id": value, "lines.0.quantity": "1"}),
        "action item owner": manager.post(f"/reviews/{date(2025, 3, 1):%Y-%m}/actions/", {
            "description": "措施", "owner": value, "due_date": "2099-01-01"}),
        "ticket satisfaction": admin.post(f"/tickets/{world['ticket_id'][0]}/", {
            "step": "follow_up", "confirmed": "yes", "satisfaction": value}),
        "setup robot": admin.post("/setup/robots/", {"robot": value}),
        "setup team manager": admin.post("/setup/teams/", {"name": "新团队", "manager": value}),
    }
    errors = {what: r.status_code for what, r in responses.items() if r.status_code >= 500}
    assert errors == {}
    expected = {"orders by customer": 200, "board by customer": 200, "mail by incoming": 404, "inbox read": 302,
                "new order customer": 422, "new order product": 422}  # the filter left out, no such mail (or none of the team's), or the form's error
    assert {what: responses[what].status_code for what in expected} == {
        what: 400 if value == "\x00" else status for what, status in expected.items()}


def test_nul_in_an_address_or_a_form_is_bad_input(world, users):
    """No page asks for the NUL character, and PostgreSQL cannot store or compare it: 400, on any database."""
    client = Client()
    client.force_login(users["sales_manager"])
    item = world["item_id"][0]
    assert client.get("/orders/", {"q": "\x00"}).status_code == 400
    assert client.get("/orders/%00/").status_code == 400
    assert client.get("/audit/", {"actor": "科技\x00"}).status_code == 400
    assert client.post(f"/reviews/actions/{item}/done/", {"done_note": "完成\x00"}).status_code == 400
    assert client.get("/orders/", {"q": "科技"}).status_code == 200
    api = Api("sales_manager")
    refused = api.get("/orders", q="\x00")  # the API refuses it at the field
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["q"]


@pytest.mark.parametrize("month", ["0001-01", "1899-12", "9999-12", "2024-13", "2024-00"])
def test_a_month_a_review_cannot_have_is_not_found(users, month):
    client = Client()
    client.force_login(users["sales_manager"])
    for path in (f"/reviews/{month}/", f"/reviews/{month}.xlsx", f"/reviews/{month}.pdf"):
        assert client.get(path).status_code == 404
    assert client.post(f"/reviews/{month}/file/", {"summary": "结论"}).status_code == 404
