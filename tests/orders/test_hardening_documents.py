"""Every printable document and PDF of an order applies the field rules of the order page (SPEC section 6,
fields): the customer's phone in full only for CONTACT_READERS (masked 138****1111 for the others), cost and
margin only for COST_READERS. Each document is opened by every role, on an order where the director's approval
was needed for its margin."""
import io

import pytest
from django.test import Client
from pypdf import PdfReader

from orderloop.accounts.permissions import CONTACT_READERS, COST_READERS
from orderloop.orders.access import order_visible_to
from tests.support.finance import pay
from tests.support.api_client import Api
from tests.support.orders import act, receipt_scan, stock_for
from tests.support.users import ROLES

FULL_PHONE = ("13800001111", "138 0000 1111", "+8613800001111", "0000 1111")
MASKED_PHONE = "138****1111"
# What names cost or margin: the director's reason (利润率 9.09% 低于 10%), the cost amount (10 × 4,000.00).
COST_TEXT = ("利润率", "9.09%", "成本", "40000", "40,000")
DOCUMENTS = {  # name: (path under /orders/<ref>/, shows the phone, is a PDF)
    "review": ("documents/review/", True, False),
    "internal": ("documents/internal/", False, False),
    "acceptance": ("documents/acceptance/", False, False),
    "progress": ("documents/progress/", False, False),
    "shipment": ("documents/shipment/", False, False),
    "visit": ("documents/visit/", False, False),
    "confirmation": ("documents/confirmation.pdf", True, True),
    "receipt": ("documents/receipt-1.pdf", False, True),
}
NEEDS_DELIVERY = {"visit", "receipt"}  # no follow-up visit and no signed receipt before delivery


def _text(response, pdf: bool) -> str:
    if pdf:
        assert response["Content-Type"] == "application/pdf"
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return response.content.decode()


@pytest.fixture
def margin_orders(orders, users, product):
    """Two orders at 9.09 % margin (price 4,400.00, cost 4,000.00), approved by the manager and the director:
    one 待发货 (the warehouse, production and logistics work on it), one 已交付 (logistics, after-sales)."""
    def drive(until_delivered):
        order = orders.received(lines=[{"product_id": product.pk, "quantity": "10", "unit_price": "4400.00"}])
        order = act(order, "review", users["sales_assistant"], verdict="pass")
        order = act(order, "approve", users["sales_manager"], comment="同意")
        assert order.status == "pending_director"
        order = act(order, "approve", users["sales_director"], comment="同意")
        line = order.lines.get()
        stock_for(order)
        order = act(order, "confirm_stock", users["warehouse"], lines=[
            {"line_id": line.pk, "availability": "in_stock", "feasible_date": "2030-05-20", "date_reason": "按排产计划"}])
        pay(order, users["finance"], "on_confirmation")
        order = act(order, "start_fulfillment", users["production"],
                    stages=[{"name": "生产", "owner": "production", "planned_date": "2030-05-20"}])
        order = act(order, "track", users["production"], stage="生产", record="生产完成", actual_date="2024-05-19")
        order = act(order, "prepare_shipment", users["warehouse"], goods="服务器A型 × 10", quantity_checked=True,
                    qc_passed=True, qc_report="合格")
        if until_delivered:
            order = act(order, "ship", users["logistics"], method="express", carrier="顺丰速运", tracking_number="SF1",
                        eta="2030-05-23")
            order = act(order, "accept", users["account_manager"], quantity_ok=True, spec_ok=True, appearance_ok=True,
                        signed_by="李*", receipt_attachment_id=receipt_scan(order).pk)
        return order

    ready, delivered = drive(False), drive(True)
    assert (ready.status, delivered.status) == ("ready_to_ship", "delivered")
    assert "利润率 9.09% 低于 10%" in ready.events.get(type="approved", payload__level="manager").payload["director_reasons"]
    return ready, delivered


@pytest.mark.parametrize("role", ROLES)
def test_every_document_applies_the_field_rules_of_the_page(users, margin_orders, role):
    user = users[role]
    client = Client()
    client.force_login(user)
    contact, cost = bool(user.roles & CONTACT_READERS), bool(user.roles & COST_READERS)
    opened = []
    for order in margin_orders:
        for name, (path, shows_phone, pdf) in DOCUMENTS.items():
            response = client.get(f"/orders/{order.ref}/{path}")
            if not order_visible_to(order, user):
                assert response.status_code == 404, (name, order.status)
                continue
            if name in NEEDS_DELIVERY and order.status != "delivered":
                assert response.status_code == 404, (name, order.status)
                continue
            assert response.status_code == 200, (name, order.status)
            opened.append((name, order.status))
            text = _text(response, pdf)
            where = (role, name, order.status)
            if contact:
                assert MASKED_PHONE not in text, where
                if shows_phone:
                    assert "138 0000 1111" in text, where
            else:
                assert not [p for p in FULL_PHONE if p in text], where
                if shows_phone:
                    assert MASKED_PHONE in text, where
            if cost:
                if name == "internal":  # the manager's approval and why the director's was needed
                    assert "利润率 9.09% 低于 10%" in text, where
            else:
                assert not [c for c in COST_TEXT if c in text], where
    assert opened, role  # every role opens some document of these orders


@pytest.mark.parametrize("role", ["warehouse", "production", "logistics", "sales_assistant", "sales_manager"])
def test_the_order_page_and_the_api_timeline_show_the_margin_reason_to_cost_readers_only(users, margin_orders, role):
    ready, _delivered = margin_orders
    client = Client()
    client.force_login(users[role])
    page = client.get(f"/orders/{ready.ref}/").content.decode()
    events = Api(role).get(f"/orders/{ready.ref}/events").json()
    approved = next(e for e in events if e["type"] == "approved" and e["payload"].get("level") == "manager")
    if users[role].roles & COST_READERS:
        assert "利润率 9.09% 低于 10%" in page and approved["payload"]["director_reasons"]
    else:
        assert "利润率" not in page and "director_reasons" not in approved["payload"]
