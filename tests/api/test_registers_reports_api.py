"""/api/registers/{orders,progress,feedback} and /api/reports/monthly/{YYYY-MM} (SPEC section 7): in the OpenAPI,
the same rows and figures as the register pages and the review page for the same user, the seed's headings beside
the machine names, filters, pagination, .xlsx/.csv by Accept and by suffix, and each team's rows its own."""
import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from orderloop.accounts.models import User
from orderloop.core.models import AuditEntry
from orderloop.orders.registers import REGISTER_1, REGISTER_2, REGISTER_3
from tests.support.api_client import Api
from tests.support.shared_db import kept_for_the_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SEED = {"orders": REGISTER_1, "progress": REGISTER_2, "feedback": REGISTER_3}
REGISTER_1_KEYS = ["ref", "customer_name", "contact_name", "contact_phone", "order_date", "product_name", "model",
                   "quantity", "unit_price", "amount", "payment_terms", "delivery_address", "requested_date", "owner",
                   "remarks"]
MAY = "2024-05"


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module: every test here but the first (the OpenAPI's, which reads no data)
    asks it, and what each changes is rolled back before the next (tests/support/shared_db.py)."""
    with kept_for_the_scope(django_db_blocker):
        with django_db_blocker.unblock():
            call_command("demo", force=True)
        yield


@pytest.fixture
def demo(_demo_loaded, db):
    """The demo as loaded, each test's changes undone."""


def page(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def page_rows(username: str, name: str, query: str = "") -> list[list]:
    """Every row of the register's page for that user, page after page."""
    client, rows, number = page(username), [], 1
    while True:
        response = client.get(f"/registers/{name}/?{query}&page={number}")
        assert response.status_code == 200
        rows += response.context["rows"]
        if not response.context["page"].has_next():
            return rows
        number += 1


def api_rows(api: Api, name: str, **filters) -> list[dict]:
    rows, number = [], 1
    while True:
        response = api.get(f"/registers/{name}", page=number, page_size=200, **filters)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["items"]
        if number * body["page_size"] >= body["count"]:
            assert len(rows) == body["count"]
            return rows
        number += 1


def same_cell(shown, given) -> bool:
    """A page's cell (as the template gets it) and the API's value of it are the same figure."""
    if shown in ("", None):
        return given in ("", None)
    if isinstance(given, str) and isinstance(shown, (int, float, Decimal)):
        return Decimal(given) == Decimal(str(shown))
    return str(shown) == str(given)


def assert_same_rows(shown_rows: list[list], items: list[dict], name: str):
    headers = SEED[name]
    assert len(items) == len(shown_rows)
    for shown, item in zip(shown_rows, items):
        values = list(item.values())
        assert len(values) >= len(headers)
        for header, cell, value in zip(headers, shown, values):
            assert same_cell(cell, value), (header, cell, value)


def test_the_operations_are_in_the_openapi(db):
    schema = Client().get("/api/openapi.json").json()
    for name in SEED:
        read = schema["paths"][f"/api/registers/{name}"]["get"]
        assert read["operationId"] == f"register_{name}"
        assert set(read["responses"]["200"]["content"]) == {"application/json", XLSX, "text/csv"}
        assert {p["name"] for p in read["parameters"]} >= {"q", "status", "customer_id", "owner", "date_from", "date_to",
                                                           "page", "page_size"}
        assert set(schema["paths"][f"/api/registers/{name}.xlsx"]["get"]["responses"]["200"]["content"]) == {XLSX}
        assert set(schema["paths"][f"/api/registers/{name}.csv"]["get"]["responses"]["200"]["content"]) == {"text/csv"}
    row = schema["components"]["schemas"]["RegisterOrdersRow"]
    assert list(row["properties"]) == REGISTER_1_KEYS  # SPEC section 7's field names, in the register's order
    assert row["properties"]["unit_price"]["description"].startswith("单价(元)")
    report = schema["paths"]["/api/reports/monthly/{month}"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(report["responses"])


@pytest.mark.parametrize("name", list(SEED))
@pytest.mark.parametrize("username", ["sales_manager", "sales_director", "warehouse"])
def test_a_register_in_json_holds_the_pages_rows(demo, name, username):
    body = Api(username).get(f"/registers/{name}", page_size=200).json()
    assert [column["header"] for column in body["columns"]][:len(SEED[name])] == SEED[name]
    assert [column["key"] for column in body["columns"]] == list(body["items"][0]) if body["items"] else True
    assert_same_rows(page_rows(username, name), api_rows(Api(username), name), name)


def test_register_1_in_json_uses_the_order_fields_names_and_money_as_decimal_strings(demo):
    body = Api("sales_manager").get("/registers/orders", q="202405-001").json()
    assert body["name"] == "orders" and body["title"] == "销售订单基本信息表"
    assert [c["key"] for c in body["columns"]] == REGISTER_1_KEYS
    assert body["items"] == [{
        "ref": "202405-001", "customer_name": "科技有限公司", "contact_name": "李*", "contact_phone": "138 0000 1111",
        "order_date": "2024-05-10", "product_name": "服务器A型", "model": "S-001", "quantity": "10",
        "unit_price": "5000.00", "amount": "50000.00", "payment_terms": "30%预付,余款到付",
        "delivery_address": "北京市海淀区路1号", "requested_date": "2024-05-25", "owner": "张*", "remarks": "需定制logo"}]


def test_filters_narrow_the_api_as_they_narrow_the_page(demo):
    api = Api("sales_manager")
    cases = [
        ("progress", "date_from=2024-05-20&date_to=2024-05-31", {"date_from": "2024-05-20", "date_to": "2024-05-31"}),
        ("orders", "status=closed", {"status": "closed"}),
        ("feedback", "q=202405-003", {"q": "202405-003"}),
        ("orders", "date_from=2024-05-01&date_to=2024-05-15", {"date_from": "2024-05-01", "date_to": "2024-05-15"}),
    ]
    everything = {name: len(api_rows(api, name)) for name in SEED}
    for name, query, filters in cases:
        shown = page_rows("sales_manager", name, query)
        assert 0 < len(shown) < everything[name], (name, query)
        assert_same_rows(shown, api_rows(api, name, **filters), name)
    for owner, found in (("account_manager", everything["orders"]), ("sales_assistant", 0)):  # the demo's owner; no one's
        shown = page_rows("sales_manager", "orders", f"owner={owner}")
        assert len(shown) == found
        assert_same_rows(shown, api_rows(api, "orders", owner=owner), "orders")
    may_20 = api_rows(api, "progress", date_from="2024-05-20", date_to="2024-05-20")
    assert [row["record"] for row in may_20] == ["已完成生产,质检合格"]  # the record of 20 May, Beijing time
    assert {row["ref"] for row in api_rows(api, "orders", date_to="2024-05-15")} == {"202405-001", "202405-002"}


def test_pagination_reads_every_row_once(demo):
    api = Api("sales_manager")
    whole = api.get("/registers/progress", page_size=200).json()
    assert whole["count"] == len(whole["items"]) >= 5
    pages = [api.get("/registers/progress", page=n, page_size=2).json() for n in range(1, 5)]
    assert all(p["count"] == whole["count"] and p["page_size"] == 2 for p in pages)
    assert [item for p in pages for item in p["items"]] == whole["items"]
    assert pages[0]["page"] == 1 and len(pages[0]["items"]) == 2
    assert api.get("/registers/progress", page=0).json()["page"] == 1  # below 1 reads as 1, as GET /api/orders
    assert api.get("/registers/progress", page_size=5000).json()["page_size"] == 200
    assert api.get("/registers/progress", page=999, page_size=2).json()["items"] == []


@pytest.mark.parametrize("name", list(SEED))
def test_files_by_accept_and_by_suffix_are_the_pages_files(demo, name):
    api, client = Api("sales_manager"), page("sales_manager")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}

    by_suffix = api.get(f"/registers/{name}.csv")
    by_accept = api.client.get(f"/api/registers/{name}", HTTP_ACCEPT="text/csv", **headers)
    on_page = client.get(f"/registers/{name}.csv")
    for response in (by_suffix, by_accept):
        assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    content = by_suffix.getvalue()  # a streamed response: read once
    assert content == by_accept.getvalue() == on_page.getvalue()
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == SEED[name] and len(rows) == 1 + len(api_rows(api, name))

    def sheet(response):
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        return [[c.value for c in row] for row in load_workbook(io.BytesIO(response.getvalue())).active.iter_rows()]

    xlsx = sheet(api.get(f"/registers/{name}.xlsx"))
    assert xlsx == sheet(api.client.get(f"/api/registers/{name}", HTTP_ACCEPT=XLSX, **headers))
    assert xlsx == sheet(client.get(f"/registers/{name}.xlsx"))
    assert xlsx[0] == SEED[name]


def test_accept_picks_the_preferred_format_and_json_by_default(demo):
    api = Api("sales_manager")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api.token}"}
    for accept, expected in [("application/json, text/csv;q=0.5", "application/json"), ("*/*", "application/json"),
                             ("text/csv;q=0.5, application/json;q=0.9", "application/json"), ("text/html", "application/json"),
                             (f"text/csv;q=0.2, {XLSX}", XLSX), ("text/csv", "text/csv; charset=utf-8")]:
        response = api.client.get("/api/registers/orders", HTTP_ACCEPT=accept, **headers)
        assert response["Content-Type"].split(";")[0] == expected.split(";")[0], accept


def test_filtered_files_hold_the_filtered_rows_and_are_logged(demo):
    api = Api("sales_manager")
    before = AuditEntry.objects.filter(operation="downloaded").count()
    content = api.get("/registers/orders.csv", status="closed").getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))[1:]
    assert {row[0] for row in rows} == {row["ref"] for row in api_rows(api, "orders", status="closed")} == {"202405-001", "202405-003"}
    entry = AuditEntry.objects.filter(operation="downloaded").order_by("-id").first()
    assert AuditEntry.objects.filter(operation="downloaded").count() == before + 1
    assert entry.actor.username == "sales_manager" and entry.changes["rows"] == len(rows)
    assert entry.changes["path"] == "/api/registers/orders.csv?status=closed"


def test_a_user_outside_the_team_sees_none_of_its_rows(demo):
    ours = {name: {row["ref"] for row in api_rows(Api("sales_manager"), name)} for name in SEED}
    assert all(refs & {"202405-001", "202405-002", "202405-003"} for refs in ours.values())
    for outsider in ("sales_manager2", "account_manager2"):
        api = Api(outsider)
        for name in SEED:
            theirs = {row["ref"] for row in api_rows(api, name)}
            assert not theirs & ours[name], (outsider, name)
            assert page_rows(outsider, name) == [] or not {row[0] for row in page_rows(outsider, name)} & ours[name]
            content = api.get(f"/registers/{name}.csv").getvalue().decode("utf-8-sig")
            assert not {row[0] for row in list(csv.reader(io.StringIO(content)))[1:]} & ours[name]
    director = {name: {row["ref"] for row in api_rows(Api("sales_director"), name)} for name in SEED}
    assert all(director[name] >= ours[name] for name in SEED)


def test_registers_need_a_token_and_refuse_bad_filters_as_json(demo):
    response = Client().get("/api/registers/orders.xlsx")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    response = Api("sales_manager").get("/registers/progress", date_from="2024-13-01")
    assert response.status_code == 422 and "date_from" in response.json()["errors"]
    for name in SEED:  # the calendar's first and last days: every row, never a server error
        whole = api_rows(Api("sales_manager"), name)
        assert api_rows(Api("sales_manager"), name, date_from="0001-01-01", date_to="9999-12-31") == whole
        assert len(page_rows("sales_manager", name, "date_from=0001-01-01&date_to=9999-12-31")) == len(whole)
        assert page("sales_manager").get(f"/registers/{name}/?date_from=junk&customer=x").status_code == 200
    response = Api("sales_manager").get("/registers/logbook")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- /api/reports/monthly/{YYYY-MM} -------------------------------------------------------------------------

def figures_without_time(figures: dict) -> dict:
    return {key: value for key, value in figures.items() if key != "computed_at"}


@pytest.mark.parametrize("username", ["sales_manager", "sales_manager2", "sales_director", "admin"])
def test_the_monthly_report_holds_the_review_pages_figures(demo, username):
    response = Api(username).get(f"/reports/monthly/{MAY}")
    assert response.status_code == 200, response.content
    body = response.json()
    shown = page(username).get(f"/reviews/{MAY}/").context
    assert figures_without_time(body["figures"]) == figures_without_time(shown["figures"])
    if username.startswith("sales_manager"):
        assert body["scope"] == "teams"
        assert body["teams"] == [team.name for team in shown["scope_teams"]]
    else:
        assert body["scope"] == "company" and body["teams"] == []
    assert body["month"] == MAY and body["frozen"] is False and body["filed_at"] is None


def test_each_manager_sees_their_teams_figures_and_the_director_the_companys(demo):
    def count(username):
        return Api(username).get(f"/reports/monthly/{MAY}").json()["figures"]["orders"]["count"]

    assert count("sales_manager") == count("sales_director") == 3  # the seed's three May orders are team one's
    assert count("sales_manager2") == 0


def test_the_monthly_report_refuses_as_the_page_does(demo):
    assert Api("account_manager").get(f"/reports/monthly/{MAY}").status_code == 403
    assert page("account_manager").get(f"/reviews/{MAY}/").status_code == 403
    api = Api("sales_director")
    assert api.get("/reports/monthly/2999-01").status_code == 404
    assert page("sales_director").get("/reviews/2999-01/").status_code == 404
    for month in ("2024-13", "2024-5", "May"):
        response = api.get(f"/reports/monthly/{month}")
        assert response.status_code == 422 and response.json()["code"] == "invalid", month
    assert Client().get(f"/api/reports/monthly/{MAY}").status_code == 401
