"""The API's contract: OpenAPI describes every operation; errors come as
{"detail": …, "errors": {field: [messages]}} and change nothing."""
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from orderloop.core.models import AuditEntry
from orderloop.orders.models import SalesOrder
from tests.support.api_client import Api
from tests.support.orders import order_data


@pytest.fixture
def assistant(users):
    return Api("sales_assistant")


def test_openapi_describes_every_operation(db):
    spec = Client().get("/api/openapi.json").json()
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    expected = {
        ("POST", "/api/auth/token"), ("GET", "/api/customers"), ("POST", "/api/customers"),
        ("GET", "/api/customers/{customer_id}"), ("PATCH", "/api/customers/{customer_id}"),
        ("GET", "/api/products"), ("POST", "/api/products"), ("POST", "/api/orders"), ("GET", "/api/orders"),
        ("GET", "/api/orders/{ref}"), ("PATCH", "/api/orders/{ref}"), ("GET", "/api/orders/{ref}/events"),
            ("GET", "/api/orders/{ref}/attachments"), ("POST", "/api/orders/{ref}/attachments"),
        ("POST", "/api/orders/import"), ("GET", "/api/tickets"), ("POST", "/api/tickets"), ("POST", "/api/tickets/{ticket_id}/respond"),
        ("POST", "/api/tickets/{ticket_id}/solution"), ("POST", "/api/tickets/{ticket_id}/resolve"),
        ("POST", "/api/tickets/{ticket_id}/follow-up"), ("POST", "/api/tickets/{ticket_id}/close"),
        ("GET", "/api/tokens"), ("POST", "/api/tokens/{token_id}/revoke"),
        ("GET", "/api/reports/monthly/{month}"),
        ("POST", "/api/finance/orders/{ref}/invoices"), ("GET", "/api/finance/orders/{ref}/invoices"),
        ("GET", "/api/finance/invoices"), ("POST", "/api/finance/invoices/{invoice_id}/issue"),
        ("POST", "/api/finance/invoices/{invoice_id}/red-letter"), ("POST", "/api/finance/invoices/{invoice_id}/withdraw"),
        ("GET", "/api/finance/receivables"),
        ("GET", "/api/finance/payment-terms"), ("GET", "/api/finance/instalments"), ("POST", "/api/finance/receipts"), ("GET", "/api/finance/receipts"),
        ("POST", "/api/finance/receipts/{receipt_id}/allocations"), ("GET", "/api/finance/customers/{customer_id}/balance"),
        ("POST", "/api/finance/statements"),
    }
    expected |= {("GET", f"/api/registers/{name}{suffix}") for name in ("orders", "progress", "feedback")
                 for suffix in ("", ".xlsx", ".csv")}
    from orderloop.orders.steps import ACTIONS
    expected |= {("POST", f"/api/orders/{{ref}}/actions/{name}") for name in ACTIONS}
    assert operations == expected
    approve = spec["paths"]["/api/orders/{ref}/actions/approve"]["post"]
    assert approve["summary"] == "审批通过" and "requestBody" in approve
    assert Client().get("/api/docs").status_code == 200


def test_bad_json_is_a_400_and_creates_nothing(assistant):
    response = assistant.post("/orders", raw="{not json")
    assert response.status_code == 400
    assert response.json() == {"detail": "请求内容不是有效的 JSON", "errors": {}, "code": "bad_request"}
    assert SalesOrder.objects.count() == 0


def test_a_missing_field_is_named(assistant, customer, product):
    data = order_data(customer, product)
    del data["customer_id"]
    response = assistant.post("/orders", data)
    assert response.status_code == 422
    assert response.json()["errors"] == {"customer_id": ["必填"]}
    assert response.json()["detail"] == "提交的内容有误"
    assert SalesOrder.objects.count() == 0


def test_a_negative_quantity_is_refused_at_its_line(assistant, customer, product):
    data = order_data(customer, product, lines=[{"product_id": product.pk, "quantity": "-1"}])
    response = assistant.post("/orders", data)
    assert response.status_code == 422
    assert response.json()["errors"] == {"lines.0.quantity": ["必须大于 0"]}
    assert SalesOrder.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_an_unknown_customer_is_refused(assistant, customer, product):
    response = assistant.post("/orders", order_data(customer, product, customer_id=999999))
    assert response.status_code == 422
    assert response.json()["errors"] == {"customer_id": ["客户不存在：999999"]}
    assert SalesOrder.objects.count() == 0


def test_an_unknown_product_is_refused_at_its_line(assistant, customer, product):
    response = assistant.post("/orders", order_data(customer, product, lines=[{"product_id": 424242, "quantity": "1"}]))
    assert response.status_code == 422
    assert response.json()["errors"] == {"lines.0.product_id": ["产品不存在或已停售：424242"]}


def test_an_illegal_action_is_a_409_with_the_reason(assistant, customer, product):
    ref = assistant.post("/orders", order_data(customer, product)).json()["ref"]
    response = Api("warehouse").action(ref, "ship", method="express", carrier="顺丰", tracking_number="1", eta="2030-01-01")
    assert response.status_code == 404  # warehouse does not see orders before stock confirmation
    response = Api("sales_director").action(ref, "ship", method="express", carrier="顺丰", tracking_number="1", eta="2030-01-01")
    assert response.status_code == 409
    assert response.json()["detail"] == "订单当前状态为「已接收」，不能执行「发货」"
    assert response.json()["code"] == "illegal_transition"


def test_a_wrong_role_is_a_403(assistant, customer, product):
    ref = assistant.post("/orders", order_data(customer, product)).json()["ref"]
    response = Api("sales_director").action(ref, "review", verdict="pass")
    assert response.status_code == 403
    assert response.json()["detail"] == "您的角色不能在此状态下执行「初步审核」"


def test_a_stale_version_is_a_409_and_changes_nothing(assistant, customer, product):
    order = assistant.post("/orders", order_data(customer, product)).json()
    ref, version = order["ref"], order["version"]
    first = assistant.patch(f"/orders/{ref}", {"version": version, "remarks": "第一次修改"})
    assert first.status_code == 200 and first.json()["version"] == version + 1
    stale = assistant.patch(f"/orders/{ref}", {"version": version, "remarks": "基于旧版本的修改"})
    assert stale.status_code == 409
    assert stale.json()["errors"] == {"version": ["版本已过期"]}
    assert stale.json()["code"] == "stale_version"
    assert assistant.get(f"/orders/{ref}").json()["remarks"] == "第一次修改"
    stale_action = assistant.action(ref, "review", verdict="pass", version=version)
    assert stale_action.status_code == 409
    assert assistant.get(f"/orders/{ref}").json()["status"] == "received"


def test_patch_is_audited_with_old_and_new_values(assistant, customer, product):
    order = assistant.post("/orders", order_data(customer, product)).json()
    assistant.patch(f"/orders/{order['ref']}", {"version": order["version"], "remarks": "改为蓝色logo",
                                                 "lines": [{"product_id": product.pk, "quantity": "12"}]})
    entry = AuditEntry.objects.filter(operation="updated").get()
    assert entry.actor.username == "sales_assistant"
    assert entry.changes["remarks"] == ["需定制logo", "改为蓝色logo"]
    assert entry.changes["total_amount"] == ["50000.00", "60000.00"]


def test_no_token_is_a_401_and_a_bad_login_too(db):
    response = Client().get("/api/orders")
    assert response.status_code == 401 and response.json()["detail"] == "未登录或令牌无效"
    response = Client().post("/api/auth/token", {"username": "x", "password": "y"}, content_type="application/json")
    assert response.status_code == 401 and response.json()["detail"] == "用户名或密码错误"


def test_an_order_out_of_reach_is_a_404(users, assistant, customer, product):
    from tests.support.users import make_user

    make_user("outsider", "account_manager")
    ref = assistant.post("/orders", order_data(customer, product)).json()["ref"]
    response = Api("outsider").get(f"/orders/{ref}")
    assert response.status_code == 404
    assert Api("outsider").get("/orders").json()["count"] == 0


def test_list_filters_and_pages(assistant, customer, product):
    for _ in range(3):
        assistant.post("/orders", order_data(customer, product))
    page = assistant.get("/orders", page_size=2, page=2).json()
    assert page["count"] == 3 and page["page"] == 2 and len(page["items"]) == 1
    assert assistant.get("/orders", status="received").json()["count"] == 3
    assert assistant.get("/orders", status="closed").json()["count"] == 0
    assert assistant.get("/orders", q="科技").json()["count"] == 3
    assert assistant.get("/orders", q="S-001").json()["count"] == 3
    assert assistant.get("/orders", owner="account_manager").json()["count"] == 3


def test_a_list_row_says_what_the_order_says(assistant, customer, product):
    ref = assistant.post("/orders", order_data(customer, product)).json()["ref"]
    [row] = assistant.get("/orders").json()["items"]
    order = assistant.get(f"/orders/{ref}").json()
    assert set(row) == {"ref", "number", "status", "status_label", "customer_id", "customer_name", "order_date",
                        "requested_date", "owner", "total_amount", "version", "created_at", "archived"}
    assert row == {key: order[key] for key in row} and row["status_label"] == "已接收" and row["archived"] is False


def test_a_list_gives_each_moment_in_the_time_zone_of_its_answer(assistant, customer, product):
    """The zone is read once for an answer (orders.schemas._local), not kept from one answer to the next."""
    for _ in range(2):
        assistant.post("/orders", order_data(customer, product))
    stored = {order.ref: order.created_at for order in SalesOrder.objects.all()}
    for zone, offset in (("Asia/Shanghai", "+08:00"), ("Europe/Berlin", None), ("Asia/Shanghai", "+08:00")):
        with timezone.override(zone):
            rows = assistant.get("/orders").json()["items"]
        expected = {ref: moment.astimezone(ZoneInfo(zone)).isoformat(timespec="milliseconds") for ref, moment in stored.items()}
        assert {row["ref"]: row["created_at"] for row in rows} == expected
        assert offset is None or all(row["created_at"].endswith(offset) for row in rows)


def test_idempotency_key_makes_retries_safe(assistant, customer, product):
    data = order_data(customer, product)
    first = assistant.post("/orders", data, headers={"HTTP_IDEMPOTENCY_KEY": "abc-1"})
    again = assistant.post("/orders", data, headers={"HTTP_IDEMPOTENCY_KEY": "abc-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["ref"] == again.json()["ref"]
    assert SalesOrder.objects.count() == 1
    other = assistant.post("/orders", {**data, "remarks": "不同"}, headers={"HTTP_IDEMPOTENCY_KEY": "abc-1"})
    assert other.status_code == 409 and SalesOrder.objects.count() == 1


def test_cost_and_margin_only_for_managers(users, assistant, customer, product):
    ref = assistant.post("/orders", order_data(customer, product)).json()["ref"]
    seen = assistant.get(f"/orders/{ref}").json()
    assert "margin" not in seen and "cost_amount" not in seen and seen["number"] is None  # absent, not blank
    manager_view = Api("sales_manager").get(f"/orders/{ref}").json()
    assert manager_view["margin"] == "0.2000" and manager_view["cost_amount"] == "40000.00"
