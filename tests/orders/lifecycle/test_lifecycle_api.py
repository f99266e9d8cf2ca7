"""Scenario tests: orders driven through the REST API by the proper role at each step."""
import pytest

from tests.support.api_client import Api
from tests.support.finance import pay
from orderloop.orders.models import SalesOrder
from tests.support.orders import order_data, receipt_scan, stock_up


@pytest.fixture
def api(users):
    return {role: Api(role) for role in users}


def step(api, role, ref, action, expect_status, **payload):
    if action in ("approve", "reject"):  # an approver approves the version they read
        payload.setdefault("version", api[role].get(f"/orders/{ref}").json()["version"])
    response = api[role].action(ref, action, **payload)
    assert response.status_code == 200, (action, response.json())
    body = response.json()
    assert body["status"] == expect_status, (action, body["status"])
    return body


def test_order_goes_from_received_to_closed_through_the_api(api, users, customer, product):
    # given an order taken in through the API
    response = api["sales_assistant"].post("/orders", order_data(customer, product, requested_date="2030-05-25"))
    assert response.status_code == 201, response.json()
    order = response.json()
    assert order["status"] == "received"
    assert order["number"] is None and order["ref"].startswith("TMP-")
    assert order["total_amount"] == "50000.00"
    assert "review" in order["available_actions"]
    ref = order["ref"]

    # when each step is taken by its role
    order = step(api, "sales_assistant", ref, "review", "pending_approval", verdict="pass")
    ref = order["number"]
    assert ref and ref == order["ref"]
    step(api, "sales_manager", ref, "approve", "pending_director", comment="同意")  # 50,000.00: over 10,000
    step(api, "sales_director", ref, "approve", "pending_stock_check", comment="同意")
    line_id = order["lines"][0]["id"]
    stock_up(product)
    step(api, "warehouse", ref, "confirm_stock", "confirmed",
         lines=[{"line_id": line_id, "availability": "in_stock", "feasible_date": "2030-05-20", "date_reason": "按排产计划"}])
    held = api["production"].action(ref, "start_fulfillment", stages=[
        {"name": "备货", "owner": "warehouse", "planned_date": "2030-05-18"}])
    assert held.status_code == 409 and "预付款未到账" in held.json()["detail"]  # 30%预付: production waits for it
    pay(SalesOrder.objects.get(number=ref), users["finance"], "on_confirmation")
    step(api, "production", ref, "start_fulfillment", "in_fulfillment",
         stages=[{"name": "备货", "owner": "warehouse", "planned_date": "2030-05-18"}])
    step(api, "sales_assistant", ref, "track", "in_fulfillment", stage="备货", record="已完成备货,质检合格",
         actual_date="2024-05-18")
    risk = step(api, "production", ref, "raise_risk", "in_fulfillment", risk_type="material_shortage", description="缺少风扇")
    events = api["production"].get(f"/orders/{ref}/events").json()
    risk_id = events[-1]["payload"]["risk_id"]
    step(api, "sales_manager", ref, "resolve_risk", "in_fulfillment", risk_id=risk_id,
         mitigation_type="prioritise_production", mitigation="调整排产，优先生产本订单")
    step(api, "warehouse", ref, "prepare_shipment", "ready_to_ship", goods="服务器A型 × 10", quantity_checked=True,
         qc_passed=True, qc_report="合格")
    step(api, "logistics", ref, "ship", "shipped", method="express", carrier="顺丰速运", tracking_number="SF1", eta="2030-05-23")
    step(api, "account_manager", ref, "accept", "delivered", quantity_ok=True, spec_ok=True, appearance_ok=True, signed_by="李*",
         receipt_attachment_id=receipt_scan(SalesOrder.objects.get(number=ref)).pk)
    step(api, "account_manager", ref, "follow_up", "delivered", channel="phone", usage="运行正常", satisfaction=5)
    pay(SalesOrder.objects.get(number=ref), users["finance"])  # the balance, on arrival
    final = step(api, "sales_manager", ref, "close", "closed", note="")

    # then the timeline holds every step, in order, with who did it
    assert risk["status"] == "in_fulfillment"
    assert final["available_actions"] == []
    events = api["sales_manager"].get(f"/orders/{ref}/events").json()
    assert [(e["type"], e["actor"]) for e in events] == [
        ("received", "sales_assistant"), ("reviewed", "sales_assistant"), ("approved", "sales_manager"),
        ("approved", "sales_director"), ("stock_confirmed", "warehouse"), ("fulfillment_started", "production"), ("progress_tracked", "sales_assistant"),
        ("risk_raised", "production"), ("risk_resolved", "sales_manager"), ("shipment_prepared", "warehouse"),
        ("shipped", "logistics"), ("accepted", "account_manager"), ("followed_up", "account_manager"),
        ("closed", "sales_manager"),
    ]
    assert events[1]["from_status"] == "received" and events[1]["to_status"] == "pending_approval"
    assert final["promised_date"] == "2030-05-25"


def test_needs_info_path_contact_and_supplement(api, customer, product):
    ref = api["sales_assistant"].post("/orders", order_data(customer, product, contact_phone="")).json()["ref"]
    body = step(api, "sales_assistant", ref, "review", "needs_info", verdict="needs_info", missing=["缺少联系方式", "交付日期不明确"])
    assert body["available_actions"] == ["review", "log_contact", "supplement", "track"]
    step(api, "account_manager", ref, "log_contact", "needs_info", channel="phone", summary="电话联系李*", outcome="客户补充了手机号")
    step(api, "sales_assistant", ref, "supplement", "received", contact_phone="13800001111", note="已补充")
    body = step(api, "sales_assistant", ref, "review", "pending_approval", verdict="pass")
    assert body["contact_phone"] == "+8613800001111"
    events = api["sales_assistant"].get(f"/orders/{body['ref']}/events").json()
    assert [e["type"] for e in events] == ["received", "reviewed", "contact_logged", "supplemented", "reviewed"]
    assert events[1]["payload"]["missing"] == ["缺少联系方式", "交付日期不明确"]


def test_review_pass_refused_while_key_fields_are_missing(api, customer, product):
    ref = api["sales_assistant"].post("/orders", order_data(customer, product, contact_phone="", delivery_address="")).json()["ref"]
    response = api["sales_assistant"].action(ref, "review", verdict="pass")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"contact_phone", "delivery_address"}
    assert api["sales_assistant"].get(f"/orders/{ref}").json()["status"] == "received"


def test_date_negotiation_path(api, customer, product):
    ref = api["sales_assistant"].post("/orders", order_data(customer, product, requested_date="2030-05-25")).json()["ref"]
    ref = step(api, "sales_assistant", ref, "review", "pending_approval", verdict="pass")["ref"]
    step(api, "sales_manager", ref, "approve", "pending_director", comment="同意")
    body = step(api, "sales_director", ref, "approve", "pending_stock_check", comment="同意")
    line_id = body["lines"][0]["id"]
    body = step(api, "production", ref, "confirm_stock", "date_negotiation",
                lines=[{"line_id": line_id, "availability": "needs_production", "lead_time_days": 10, "feasible_date": "2030-06-10", "date_reason": "按排产计划"}])
    assert body["lines"][0]["feasible_date"] == "2030-06-10"
    assert body["available_actions"] == []
    assert api["account_manager"].get(f"/orders/{ref}").json()["available_actions"] == ["agree_date", "track"]
    too_early = api["account_manager"].action(ref, "agree_date", agreed_date="2030-06-01", talk="客户希望6月1日")
    assert too_early.status_code == 422 and "agreed_date" in too_early.json()["errors"]
    body = step(api, "account_manager", ref, "agree_date", "confirmed", agreed_date="2030-06-12", talk="客户同意6月12日交付")
    assert body["promised_date"] == "2030-06-12"
    assert body["lines"][0]["agreed_date"] == "2030-06-12"
    assert body["lines"][0]["requested_date"] is None and body["requested_date"] == "2030-05-25"


def test_rejected_paths(api, customer, product):
    ref = api["sales_assistant"].post("/orders", order_data(customer, product)).json()["ref"]
    body = step(api, "sales_assistant", ref, "review", "rejected", verdict="reject", reason="客户资质不符")
    assert body["available_actions"] == [] and body["number"] is None

    ref = api["sales_assistant"].post("/orders", order_data(customer, product)).json()["ref"]
    ref = step(api, "sales_assistant", ref, "review", "pending_approval", verdict="pass")["ref"]
    body = step(api, "sales_manager", ref, "reject", "rejected", reason="利润率过低")
    assert body["available_actions"] == []
    events = api["sales_manager"].get(f"/orders/{ref}/events").json()
    assert events[-1]["type"] == "approval_rejected" and events[-1]["payload"]["reason"] == "利润率过低"


def test_cancelled_path(api, customer, product):
    ref = api["sales_assistant"].post("/orders", order_data(customer, product)).json()["ref"]
    ref = step(api, "sales_assistant", ref, "review", "pending_approval", verdict="pass")["ref"]
    step(api, "sales_manager", ref, "approve", "pending_director", comment="同意")
    step(api, "sales_director", ref, "approve", "pending_stock_check", comment="同意")
    missing_reason = api["sales_manager"].action(ref, "cancel")
    assert missing_reason.status_code == 422 and missing_reason.json()["errors"] == {"reason": ["必填"]}
    body = step(api, "sales_manager", ref, "cancel", "cancelled", reason="客户取消采购计划")
    assert body["available_actions"] == []
