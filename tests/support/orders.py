"""Orders driven through the real lifecycle: the intake payload, one action by one user, and any state
reached along the happy path (OrderBuilder, the ``orders`` fixture); stock enough for a line confirmed as 现货."""
from datetime import date
from decimal import Decimal

from tests.support.finance import pay
from orderloop.core import clock

from orderloop.masterdata.models import StockLevel
from orderloop.orders.lifecycle.engine import perform_action
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive


def _eta() -> str:
    """2030-05-23, or the shipping day when a test ships later (an ETA is never before it)."""
    return max(date(2030, 5, 23), clock.today()).isoformat()


def order_data(customer, product, **overrides):
    data = {
        "customer_id": customer.pk, "contact_name": "李*", "contact_phone": "13800001111", "order_date": "2024-05-10",
        "channel": "web", "payment_terms": "30%预付,余款到付", "delivery_address": "北京市海淀区路1号",
        "requested_date": "2030-05-25", "remarks": "需定制logo",
        "lines": [{"product_id": product.pk, "quantity": "10", "unit_price": "5000"}],
    }
    data.update(overrides)
    return data


def stock_up(product, quantity="1000", warehouse="主仓库"):
    """``quantity`` more on hand of ``product`` (the warehouse's count, as a stock take would find it)."""
    level, _created = StockLevel.objects.get_or_create(product=product, warehouse=warehouse)
    level.on_hand += Decimal(quantity)
    level.save(update_fields=["on_hand"])
    return level


def stock_for(order):
    """Enough available stock for every line of ``order`` to be confirmed as 现货 (a thousand more when short)."""
    for line in order.lines.select_related("product"):
        level = StockLevel.objects.filter(product=line.product, warehouse="主仓库").first()
        if level is None or level.available < line.quantity:
            stock_up(line.product, line.quantity + 1000)


def act(order, action, user, **data):
    if action in ("approve", "reject"):  # approvers approve the version they read
        data.setdefault("version", type(order).objects.get(pk=order.pk).version)
    return perform_action(order_id=order.pk, action_name=action, actor=user, data=data).order


# The happy path, one step per state: (state reached, action, role, payload builder). The default order (10 ×
# 5,000.00 = 50,000.00, the seed's 202405-001) is a large order: the director approves it after the manager.
def stock_lines(order, feasible="2030-05-20"):
    return [{"line_id": line.pk, "availability": "in_stock", "feasible_date": feasible, "date_reason": "按排产计划"} for line in order.lines.all()]


PATH = [
    ("pending_approval", "review", "sales_assistant", lambda o: {"verdict": "pass"}),
    ("pending_stock_check", "approve", "sales_manager", lambda o: {"comment": "同意"}),
    ("confirmed", "confirm_stock", "warehouse", lambda o: {"lines": stock_lines(o)}),
    ("in_fulfillment", "start_fulfillment", "production",
     lambda o: {"stages": [{"name": "生产", "owner": "production", "planned_date": "2030-05-20"}]}),
    ("ready_to_ship", "prepare_shipment", "warehouse",
     lambda o: {"goods": "服务器A型 × 10", "quantity_checked": True, "qc_passed": True, "qc_report": "合格"}),
    ("shipped", "ship", "logistics",
     lambda o: {"method": "express", "carrier": "顺丰速运", "tracking_number": "SF1", "eta": _eta()}),
    ("delivered", "accept", "account_manager",
     lambda o: {"quantity_ok": True, "spec_ok": True, "appearance_ok": True, "signed_by": "李*",
                "receipt_attachment_id": receipt_scan(o).pk}),
    ("closed", "close", "sales_manager", lambda o: {"note": ""}),
]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def receipt_scan(order):
    """A signed receipt, scanned and uploaded (kind receipt)."""
    from orderloop.core import clock
    from orderloop.orders.uploads import attachment_store

    return attachment_store(order=order, kind="receipt", filename="签收单.png", content=PNG,
                            actor=None, now=clock.now())


class OrderBuilder:
    def __init__(self, users, customer, product):
        self.users, self.customer, self.product = users, customer, product

    def received(self, **overrides):
        return order_receive(actor=self.users["sales_assistant"], data=OrderCreate(**order_data(self.customer, self.product, **overrides)))

    def at(self, state: str, *, deposit_paid: bool = True, paid: bool = False, **overrides):
        """The order at ``state`` along the happy path; finance records its deposit on the day it is confirmed
        (30%预付) unless ``deposit_paid`` is False, and its balance before it closes — on arrival with ``paid``."""
        order = self.received(**overrides)
        special = {
            "needs_info": [("review", "sales_assistant", {"verdict": "needs_info", "missing": ["交付日期不明确"]})],
            "rejected": [("review", "sales_assistant", {"verdict": "reject", "reason": "客户资质不符"})],
            "cancelled": [("review", "sales_assistant", {"verdict": "pass"}), ("cancel", "sales_manager", {"reason": "客户取消"})],
            "pending_director": [("review", "sales_assistant", {"verdict": "pass"}), ("approve", "sales_manager", {"comment": "同意"})],
            "date_negotiation": [("review", "sales_assistant", {"verdict": "pass"}), ("approve", "sales_manager", {"comment": "同意"}),
                                 ("confirm_stock", "warehouse", None)],
        }
        if state in special:
            for action, role, payload in special[state]:
                if payload is None:
                    stock_for(order)
                    payload = {"lines": stock_lines(order, feasible="2031-01-31")}
                order = act(order, action, self.users[role], **payload)
                if action == "approve" and order.status == "pending_director" != state:
                    order = act(order, "approve", self.users["sales_director"], comment="同意")
            assert order.status == state, (order.status, state)
            return order
        if state == "received":
            return order
        for reached, action, role, payload in PATH:
            if reached == "ready_to_ship":  # every stage of the plan done first
                order = act(order, "track", self.users["production"], stage="生产", record="生产完成", actual_date="2024-05-19")
            if action == "confirm_stock":
                stock_for(order)
            if action == "close":  # and the balance
                pay(order, self.users["finance"])
            if reached == "closed":
                order = act(order, "follow_up", self.users["account_manager"], channel="phone", usage="运行正常", satisfaction=5)
            order = act(order, action, self.users[role], **payload(order))
            if action == "approve" and order.status == "pending_director":  # a large order (over 10,000): the director too
                order = act(order, "approve", self.users["sales_director"], comment="同意")
            if reached == "confirmed" and deposit_paid:
                pay(order, self.users["finance"], "on_confirmation")
            if reached == "delivered" and paid:
                pay(order, self.users["finance"])
            if reached == state:
                return order
        raise AssertionError(f"no path to {state}")
