"""The permission matrix of docs/security.md, cell by cell: every page and API operation, asked for by
every role on the demo data, answers exactly the status the matrix says. A page or operation without a
row fails the coverage tests, so nothing new slips in unexamined."""
import json
import re
from pathlib import Path

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from orderloop.accounts.models import ApiToken, User
from orderloop.accounts.services import api_token_issue
from orderloop.aftersales.models import Ticket
from orderloop.core import clock
from orderloop.masterdata.models import Customer
from orderloop.orders.models import Attachment, SalesOrder
from orderloop.orders.links import receipt_token
from orderloop.orders.links import rating_token

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"
ROLES = ["sales_assistant", "account_manager", "sales_manager", "sales_director", "warehouse", "production",
         "logistics", "after_sales", "admin"]
# URL names answered by Django itself or open to everyone by design, each with the reason (docs/security.md).
# A working day in December: the admin's pages show the alert for next year's holidays (2027 is not shipped).
CRAWL_AT = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NOT_IN_MATRIX = {"login", "logout", "set_language", "api:openapi-json", "api:openapi-view", "api:api-root", "api:token"}


def matrix(section: str) -> list[tuple[str, str, dict[str, int]]]:
    """(method, path, {role: status}) of the table under the heading ``section``."""
    text = DOC.read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(ROLES) and cells[0] in {"GET", "POST", "PATCH"}:
            rows.append((cells[0], cells[1].strip("`"), dict(zip(ROLES, (int(c) for c in cells[2:]), strict=True))))
    return rows


def subjects() -> dict[str, str]:
    """What the placeholders of the matrix's paths stand for, in the demo data."""
    first = SalesOrder.objects.get(number="202405-001")
    second = SalesOrder.objects.get(number="202405-002")
    fresh = SalesOrder.objects.filter(status="received").order_by("created_at").first()
    return {
        "{receipt}": str(Attachment.objects.filter(order=first, kind="receipt").first().pk),
        "{ticket}": str(Ticket.objects.get(order__number="202405-003").pk),
        "{customer}": str(Customer.objects.get(name="科技有限公司").pk),
        "{received}": fresh.ref,
        "{receipt_token}": receipt_token(second.shipments.get()),
        "{rating_token}": rating_token(first.visit),
        "{item}": str(_action_item().pk),
        "{token}": str(_spare_token().pk),
    }


def _spare_token():
    """An API token of the warehouse, besides the one each role uses for the matrix."""
    api_token_issue(username="warehouse", password="orderloop")
    return ApiToken.objects.filter(user__username="warehouse").latest("id")


def _action_item():
    from datetime import date

    from orderloop.reviews.services import action_item_add

    manager = User.objects.get(username="sales_manager")
    return action_item_add(month=date(2024, 5, 1), actor=manager, description="缩短发货准备时间",
                           owner_id=str(User.objects.get(username="warehouse").pk), due_date="2099-01-31")


def concrete(path: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        path = path.replace(placeholder, value)
    return path


def page_status(username: str, method: str, path: str) -> int:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return (client.get if method == "GET" else client.post)(path).status_code


def api_status(token: str, method: str, path: str) -> int:
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        return client.get(path, **headers).status_code
    send = client.post if method == "POST" else client.patch
    return send(path, json.dumps({}), content_type="application/json", **headers).status_code


@pytest.fixture
def demo(db):
    """The demo, loaded and asked for on the product's clock at ``CRAWL_AT``."""
    with clock.frozen_at(CRAWL_AT):
        call_command("demo", force=True)
        yield subjects()


def observed(section: str, demo) -> list[tuple[str, str, dict[str, int]]]:
    tokens = {}
    if section == "API":
        ApiToken.objects.exclude(pk=demo["{token}"]).delete()
        tokens = {role: api_token_issue(username=role, password="orderloop") for role in ROLES}
    rows = []
    for method, path, _expected in matrix(section):
        url = concrete(path, demo)
        if section == "API":
            rows.append((method, path, {role: api_status(tokens[role], method, url) for role in ROLES}))
        else:
            rows.append((method, path, {role: page_status(role, method, url) for role in ROLES}))
    return rows


@pytest.mark.parametrize("section", ["Pages", "API"])
def test_every_cell_of_the_matrix(section, demo):
    expected = matrix(section)
    assert expected, f"no rows under ## {section}"
    differences = [(method, path, role, want, got[role])
                   for (method, path, want_row), (_m, _p, got) in zip(expected, observed(section, demo), strict=True)
                   for role, want in want_row.items() if got[role] != want]
    assert differences == []


def _url_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}"


def test_every_page_has_a_row():
    placeholders = {"{receipt}": "1", "{ticket}": "1", "{customer}": "1", "{received}": "R1", "{receipt_token}": "t",
                    "{rating_token}": "t", "{item}": "1", "{token}": "1"}
    covered = {resolve(concrete(path, placeholders).split("?")[0]).view_name for _m, path, _r in matrix("Pages")}
    names = {name for name in _url_names(get_resolver().url_patterns)
             if not name.startswith(("admin:", "api:")) and name not in NOT_IN_MATRIX}
    assert sorted(names - covered) == []
    assert "/admin/" in [path for _m, path, _r in matrix("Pages")]  # Django's admin: one row for all of it


def test_every_api_operation_has_a_row():
    client = Client()
    schema = client.get("/api/openapi.json").json()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    rows = set()
    for method, path, _roles in matrix("API"):
        template = re.sub(r"\{(receipt|ticket|customer|received|item|token)\}|202405-00\d", "{x}", path)
        rows.add((method, template))
    actions = re.compile(r"^/api/orders/\{ref\}/actions/\w+$")
    missing = []
    for method, path in operations:
        if actions.match(path) or path == "/api/auth/token":
            continue  # actions: the lifecycle matrix (test_lifecycle_matrix); the token: open by design
        if (method, re.sub(r"\{[^}]+\}", "{x}", path)) not in rows:
            missing.append((method, path))
    assert sorted(missing) == []
