"""The permission matrix of docs/security.md, cell by cell: every page and API operation, asked for by
every role on the demo data, answers exactly the status the matrix says. A page or operation without a
row fails the coverage tests, so nothing new slips in unexamined."""
import json
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from orderloop.accounts.models import ApiToken, User
from orderloop.accounts.services import api_token_issue
from tests.support.matrix import concrete, matrix
from tests.support.users import ROLES

# URL names answered by Django itself or open to everyone by design, each with the reason (docs/security.md).
NOT_IN_MATRIX = {"login", "logout", "set_language", "api:openapi-json", "api:openapi-view", "api:api-root", "api:token"}


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


def observed(section: str, crawl_demo) -> list[tuple[str, str, dict[str, int]]]:
    tokens = {}
    if section == "API":
        ApiToken.objects.exclude(pk=crawl_demo["{token}"]).delete()
        tokens = {role: api_token_issue(username=role, password="orderloop") for role in ROLES}
    rows = []
    for method, path, _expected in matrix(section):
        url = concrete(path, crawl_demo)
        if section == "API":
            rows.append((method, path, {role: api_status(tokens[role], method, url) for role in ROLES}))
        else:
            rows.append((method, path, {role: page_status(role, method, url) for role in ROLES}))
    return rows


class TestTheMatrix:
    """Both sections on one load of the demo (``crawl_demo``: each test's changes are undone before the next)."""

    @pytest.mark.slow
    @pytest.mark.parametrize("section", ["Pages", "API"])
    def test_every_cell_of_the_matrix(self, section, crawl_demo):
        expected = matrix(section)
        assert expected, f"no rows under ## {section}"
        differences = [(method, path, role, want, got[role])
                       for (method, path, want_row), (_m, _p, got) in zip(expected, observed(section, crawl_demo), strict=True)
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
    placeholders = {"{receipt}": "1", "{ticket}": "1", "{customer}": "1", "{product}": "1", "{received}": "R1", "{receipt_token}": "t",
                    "{rating_token}": "t", "{item}": "1", "{token}": "1", "{invoice}": "1", "{payment}": "1", "{statement}": "1"}
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
        template = re.sub(r"\{(receipt|ticket|customer|received|item|token|invoice|payment|statement)\}|202405-00\d|(?<=/monthly/)\d{4}-\d{2}$", "{x}", path)
        rows.add((method, template))
    actions = re.compile(r"^/api/orders/\{ref\}/actions/\w+$")
    missing = []
    for method, path in operations:
        if actions.match(path) or path == "/api/auth/token":
            continue  # actions: the lifecycle matrix (test_lifecycle_matrix); the token: open by design
        if (method, re.sub(r"\{[^}]+\}", "{x}", path)) not in rows:
            missing.append((method, path))
    assert sorted(missing) == []
