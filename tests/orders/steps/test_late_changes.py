"""Changes late in the order (the seed's 202405-002): quantity added at 待发货, 已发货 or at acceptance becomes a
further part — its own stock confirmation (and approval where a rule says so), its own consignment and
acceptance; the order is 已交付 once every consignment is. Reductions after shipment are refused with the
reason. Register 2 (进度跟进) at every open stage by its owner."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.core import clock
from orderloop.core.exceptions import DomainError, InvalidInput, NotAllowed
from orderloop.orders.lifecycle.engine import available_actions
from orderloop.orders.models import SalesOrder
from orderloop.orders.registers import progress_rows
from orderloop.orders.steps import ACTIONS
from orderloop.orders.today import user_today
from tests.support.finance import pay
from tests.support.orders import act, receipt_scan

SH = ZoneInfo("Asia/Shanghai")
SHIP = {"method": "express", "carrier": "顺丰速运", "eta": "2030-05-26"}


def at(*args):
    return datetime(*args, tzinfo=SH)


def accepted(order, user, shipment):
    return act(order, "accept", user, shipment_id=shipment.pk, quantity_ok=True, spec_ok=True, appearance_ok=True,
               signed_by="李*", receipt_attachment_id=receipt_scan(order).pk)


def test_one_more_unit_at_acceptance_is_a_second_part_shipped_and_accepted_on_its_own(orders, users):
    with clock.frozen_at(at(2030, 5, 22, 10, 0)):  # shipped before its ETA of 2030-05-23
        order = orders.at("shipped")
    with clock.frozen_at(at(2030, 5, 25, 10, 0)):
        first_line = order.lines.get()
        # 202405-002 · 客户验收 · 客户经理: the account manager records the day's follow-up
        order = act(order, "track", users["account_manager"], stage="客户验收", planned_date="2030-05-26",
                    record="已联系客户确认明日送达", problem="客户临时要求增加1台",
                    measure="协调仓库紧急备货,同步更新订单数量", next_step="5月26日现场交付并验收")
        assert order.status == "shipped"
        assert not order.timers.filter(kind="tracking", state="running").exists()  # not chased at acceptance
        # the sales assistant amends the order: one unit more
        order = act(order, "amend", users["sales_assistant"], reason="客户临时要求增加1台",
                    lines=[{"line_id": first_line.pk, "quantity": "11"}], requested_date="2030-05-26")
    assert order.status == "pending_stock_check"
    first_line.refresh_from_db()
    added = order.lines.get(part=2)
    assert (first_line.quantity, first_line.part) == (10, 1)
    assert (added.product_name, added.quantity, added.unit_price, added.requested_date) == (
        "服务器A型", 1, Decimal("5000.00"), date(2030, 5, 26))
    assert order.total_amount == 55000 and order.requested_date == date(2030, 5, 25)
    amended = order.events.get(type="amended")
    assert amended.payload["part"] == 2 and amended.payload["back_to"] == "pending_stock_check"
    assert amended.payload["diff"] == ["新增 服务器A型 S-001（第 2 部分）：数量 1，单价 5000.00",
                                       "总金额(元)：50000.00 → 55000.00", "第 2 部分 交付日期：2030-05-26"]

    # the warehouse confirms stock for the one unit only
    with clock.frozen_at(at(2030, 5, 25, 11, 0)):
        with pytest.raises(InvalidInput) as refused:
            act(order, "confirm_stock", users["warehouse"], lines=[{"line_id": first_line.pk, "availability": "in_stock"}])
        assert refused.value.errors["lines.0.line_id"] == ["不是本订单的行"]
        order = act(order, "confirm_stock", users["warehouse"], lines=[{"line_id": added.pk, "availability": "in_stock",
                                                                        "feasible_date": "2030-05-26", "date_reason": "紧急备货"}])
    assert order.status == "confirmed" and order.promised_date == date(2030, 5, 26)
    added.refresh_from_db()
    assert (added.availability, added.agreed_date) == ("in_stock", date(2030, 5, 26))

    # meanwhile the first consignment arrives and is accepted; the order waits for its second part
    first = order.shipments.get()
    assert "accept" in available_actions(order, users["account_manager"])
    assert "ship" not in available_actions(order, users["logistics"])  # nothing prepared is left to ship
    with clock.frozen_at(at(2030, 5, 25, 15, 0)):
        order = accepted(order, users["account_manager"], first)
    assert order.status == "confirmed"
    with pytest.raises(DomainError) as refused:
        act(order, "cancel", users["sales_manager"], reason="客户取消")
    assert refused.value.message == "不能执行「取消订单」：已有发货批次：未发的部分请用「短交关闭」"

    # urgent stocking of the one unit, its own 发货准备 and consignment, once its 30% (1,500.00) is in
    with clock.frozen_at(at(2030, 5, 25, 16, 0)):
        pay(order, users["finance"], "on_confirmation")
        order = act(order, "start_fulfillment", users["warehouse"],
                    stages=[{"name": "备货", "owner": "warehouse", "planned_date": "2030-05-25"}])
        order = act(order, "track", users["warehouse"], stage="备货", record="已备好1台", actual_date="2030-05-25")
        order = act(order, "prepare_shipment", users["warehouse"], goods="服务器A型 S-001 × 1", quantity_checked=True,
                    qc_passed=True, qc_report="合格")
        assert order.status == "ready_to_ship"
        client = Client()
        client.force_login(users["logistics"])
        slip = client.get(f"/orders/{order.number}/documents/shipment/").content.decode()
        assert slip.count("<td>服务器A型</td>") == 1 and ">1 台<" in slip  # 《发货准备单》 of the added unit alone
        with pytest.raises(InvalidInput) as refused:
            act(order, "ship", users["logistics"], **SHIP, tracking_number="SF2",
                lines=[{"line_id": first_line.pk, "quantity": "1"}])
        assert refused.value.errors == {"lines.0.quantity": ["超过未发数量 0"]}
        order = act(order, "ship", users["logistics"], **SHIP, tracking_number="SF2")
    assert order.status == "shipped"
    second = order.shipments.get(position=2)
    assert [(item.order_line_id, item.quantity) for item in second.lines.all()] == [(added.pk, 1)]
    assert second.timers.get(kind="logistics_notice").state == "running"

    # 5月26日现场交付并验收: the second consignment accepted, the order is delivered
    with clock.frozen_at(at(2030, 5, 26, 10, 0)):
        order = accepted(order, users["account_manager"], second)
    assert order.status == "delivered"
    assert order.visit.due_at > at(2030, 5, 26, 10, 0)
    assert list(order.shipments.order_by("position").values_list("accepted_at", flat=True)) == [
        at(2030, 5, 25, 15, 0), at(2030, 5, 26, 10, 0)]
    rows = list(progress_rows(SalesOrder.objects.filter(pk=order.pk)))
    seed_row = next(row for row in rows if row[1] == "客户验收")
    assert seed_row == [order.number, "客户验收", str(users["account_manager"]), "2030-05-26", "",
                        "已联系客户确认明日送达", "客户临时要求增加1台", "协调仓库紧急备货,同步更新订单数量", "5月26日现场交付并验收"]


def test_an_order_delivered_only_when_every_consignment_is_accepted(orders, users):
    with clock.frozen_at(at(2030, 5, 22, 10, 0)):  # shipped before its ETA of 2030-05-23
        order = orders.at("shipped")
    with clock.frozen_at(at(2030, 5, 25, 10, 0)):
        line = order.lines.get()
        order = act(order, "amend", users["sales_assistant"], reason="客户加购1台", lines=[{"line_id": line.pk, "quantity": "11"}])
        added = order.lines.get(part=2)
        order = act(order, "confirm_stock", users["warehouse"], lines=[{"line_id": added.pk, "availability": "in_stock",
                                                                        "feasible_date": "2030-05-25", "date_reason": "紧急备货"}])
        pay(order, users["finance"], "on_confirmation")
        order = act(order, "start_fulfillment", users["warehouse"], stages=[{"name": "备货", "planned_date": "2030-05-25"}])
        order = act(order, "track", users["warehouse"], stage="备货", record="完成", actual_date="2030-05-25")
        order = act(order, "prepare_shipment", users["warehouse"], goods="服务器A型 S-001 × 1", quantity_checked=True,
                    qc_passed=True, qc_report="合格")
        order = act(order, "ship", users["logistics"], **SHIP, tracking_number="SF2")
        second = order.shipments.get(position=2)
        order = accepted(order, users["account_manager"], second)
        assert order.status == "shipped"  # the first consignment is still on its way
        order = accepted(order, users["logistics"], order.shipments.get(position=1))
    assert order.status == "delivered"


def test_reductions_after_shipment_are_refused_with_the_reason(orders, users):
    order = orders.at("shipped")
    line = order.lines.get()
    before = (order.version, order.total_amount)
    with pytest.raises(InvalidInput) as refused:
        act(order, "amend", users["sales_assistant"], reason="客户少要1台", lines=[{"line_id": line.pk, "quantity": "9"}])
    assert refused.value.message == "已有发货批次：已备好或已发出的货物不能减少、删除或改价"
    assert refused.value.errors == {"lines.0.quantity": ["不能少于 10：未发的请用「短交关闭」，已发的退货请登记客户反馈"]}
    with pytest.raises(InvalidInput) as refused:
        act(order, "amend", users["sales_assistant"], reason="客户议价",
            lines=[{"line_id": line.pk, "quantity": "10", "unit_price": "4800"}])
    assert refused.value.errors == {"lines.0.unit_price": ["已备好或已发出的货物不能改价"]}
    with pytest.raises(InvalidInput) as refused:
        act(order, "amend", users["sales_assistant"], reason="换产品",
            lines=[{"product_id": line.product_id, "quantity": "1"}])
    assert refused.value.errors == {"lines": ["第 1 行已备好或已发出，不能删除"]}
    with pytest.raises(InvalidInput) as refused:
        act(order, "amend", users["sales_assistant"], reason="改付款方式", payment_terms="货到付款")
    assert refused.value.message == "货物已备好或已发出：变更只能追加数量"
    order = SalesOrder.objects.get(pk=order.pk)
    assert (order.version, order.total_amount, order.status, order.lines.count()) == (*before, "shipped", 1)


def test_a_further_part_is_approved_again_when_a_rule_says_so(orders, users, product):
    order = orders.at("shipped")
    line = order.lines.get()
    # the extra unit at a discount, and new payment terms: the manager approves again
    order = act(order, "amend", users["sales_assistant"], reason="客户加购1台，单价优惠", payment_terms="货到付款",
                lines=[{"line_id": line.pk, "quantity": "10"}, {"product_id": product.pk, "quantity": "1", "unit_price": "4500"}])
    assert order.status == "pending_approval" and order.manager_approved_by is None
    added = order.lines.get(part=2)
    assert (added.quantity, added.unit_price, order.total_amount) == (1, Decimal("4500.00"), Decimal("54500.00"))
    with pytest.raises(NotAllowed):
        act(order, "approve", users["sales_assistant"], comment="同意")
    order = act(order, "approve", users["sales_manager"], comment="同意优惠")
    assert order.status == "pending_director"  # 54,500 yuan: over the director's 10,000
    order = act(order, "approve", users["sales_director"], comment="同意")
    assert order.status == "pending_stock_check"
    # the consignment already sent can still be signed for while the part is approved and checked
    assert "confirm_receipt" in available_actions(order, users["account_manager"])


def test_quantity_added_at_ready_to_ship_leaves_the_prepared_goods_ready(orders, users):
    with clock.frozen_at(at(2030, 5, 20, 9, 0)):
        order = orders.at("ready_to_ship")
        line = order.lines.get()
        order = act(order, "amend", users["sales_assistant"], reason="客户加购2台", lines=[{"line_id": line.pk, "quantity": "12"}])
        assert order.status == "pending_stock_check"
        assert [(l.part, l.quantity) for l in order.lines.all()] == [(1, 10), (2, 2)]
        # the ten prepared units ship now, on their own
        assert "ship" in available_actions(order, users["logistics"])
        order = act(order, "ship", users["logistics"], **SHIP, tracking_number="SF1")
    assert order.status == "pending_stock_check"
    assert [(i.order_line_id, i.quantity) for i in order.shipments.get().lines.all()] == [(line.pk, 10)]
    assert "ship" not in available_actions(order, users["logistics"])


def test_before_anything_ships_a_reduction_of_prepared_goods_takes_the_whole_order_back(orders, users):
    order = orders.at("ready_to_ship")
    line = order.lines.get()
    order = act(order, "amend", users["sales_assistant"], reason="客户少要2台", lines=[{"line_id": line.pk, "quantity": "8"}])
    assert order.status == "pending_stock_check"
    assert [(l.part, l.quantity) for l in order.lines.all()] == [(1, 8)]
    assert "part" not in order.events.get(type="amended").payload


def test_the_late_part_can_be_short_closed_and_the_order_goes_back_to_shipped(orders, users):
    order = orders.at("shipped")
    line = order.lines.get()
    order = act(order, "amend", users["sales_assistant"], reason="客户加购1台", lines=[{"line_id": line.pk, "quantity": "11"}])
    added = order.lines.get(part=2)
    with pytest.raises(InvalidInput) as refused:
        act(order, "amend", users["sales_assistant"], reason="客户又不要了", lines=[{"line_id": line.pk, "quantity": "10"}])
    assert refused.value.message == "追加的部分不能删空"
    order = act(order, "confirm_stock", users["warehouse"], lines=[{"line_id": added.pk, "availability": "in_stock"}])
    order = act(order, "short_close", users["sales_manager"], line_id=added.pk, keep_quantity="0", reason="客户取消加购")
    assert (order.status, order.total_amount) == ("shipped", 50000)


def test_register_2_at_every_open_stage_by_its_owner(orders, users):
    with clock.frozen_at(at(2030, 5, 22, 10, 0)):  # before the ETA of the orders shipped here, 2030-05-23
        shipped = orders.at("shipped")
        with pytest.raises(NotAllowed):
            act(shipped, "track", users["warehouse"], stage="客户验收", record="无")
        assert ACTIONS["track"].initial(shipped) == {"stage": "客户验收"}  # the form's 当前阶段
        # an optional record: it does not make the order wait for the sales assistant
        waiting = [o.pk for o, _actions, _timer in user_today(users["sales_assistant"]).waiting]
        assert shipped.pk not in waiting
        approval = orders.at("pending_approval")
        act(approval, "track", users["sales_manager"], stage="订单审批", record="待客户确认付款方式")
        delivered = orders.at("delivered")
        act(delivered, "track", users["account_manager"], stage="售后跟进", record="已安排回访")
    with pytest.raises(DomainError):
        act(orders.at("closed"), "track", users["account_manager"], stage="售后跟进", record="无")
    rows = list(progress_rows(SalesOrder.objects.all()))
    assert {(row[1], row[5]) for row in rows} >= {("订单审批", "待客户确认付款方式"), ("售后跟进", "已安排回访")}


def test_while_a_part_is_in_hand_more_is_added_to_it_and_terms_leave_the_prepared_goods_alone(orders, users):
    order = orders.at("ready_to_ship")
    line = order.lines.get()
    order = act(order, "amend", users["sales_assistant"], reason="客户加购1台", lines=[{"line_id": line.pk, "quantity": "11"}])
    added = order.lines.get(part=2)
    order = act(order, "amend", users["sales_assistant"], reason="客户再加1台",
                lines=[{"line_id": line.pk, "quantity": "11"}, {"line_id": added.pk, "quantity": "1"}])
    assert [(l.part, l.quantity) for l in order.lines.all()] == [(1, 10), (2, 2)]
    order = act(order, "amend", users["sales_assistant"], reason="付款方式调整", payment_terms="货到付款")
    assert order.status == "pending_approval"
    assert [(l.part, l.quantity) for l in order.lines.all()] == [(1, 10), (2, 2)]
    assert order.events.filter(type="amended").last().payload["part"] == 2
