"""The pages, as each role meets them (Django's test client)."""
import pytest
from django.test import Client

from tests.support.orders import act
from tests.support.users import ROLES


def client_for(username):
    client = Client()
    assert client.login(username=username, password="orderloop")
    return client


def test_login_is_required(db):
    response = Client().get("/orders/")
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_the_list_and_a_visible_order(role, orders, users):
    order = orders.at("in_fulfillment")
    client = client_for(role)
    listing = client.get("/orders/")
    assert listing.status_code == 200
    detail = client.get(f"/orders/{order.ref}/")
    sees = role != "after_sales"
    assert detail.status_code == (200 if sees else 404)
    assert (order.ref in listing.content.decode()) == sees


def test_order_page_shows_only_the_users_actions(orders, users):
    order = orders.at("pending_approval")
    page = client_for("sales_manager").get(f"/orders/{order.ref}/").content.decode()
    assert 'data-action="approve"' in page and 'data-action="reject"' in page and 'data-action="cancel"' in page
    assert 'data-action="review"' not in page
    page = client_for("sales_assistant").get(f"/orders/{order.ref}/").content.decode()
    assert 'data-action="approve"' not in page and 'data-action="amend"' in page


def test_an_action_form_with_errors_keeps_the_input_and_changes_nothing(orders, users):
    order = orders.at("pending_approval")
    response = client_for("sales_manager").post(f"/orders/{order.ref}/actions/reject/", {"version": order.version, "reason": ""})
    assert response.status_code == 422
    assert "必填" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "pending_approval"


def test_an_action_posted_by_a_role_that_may_not_take_it_is_refused(orders, users):
    order = orders.at("pending_approval")
    response = client_for("sales_assistant").post(f"/orders/{order.ref}/actions/approve/", {"comment": "同意"})
    assert response.status_code == 409 or response.status_code == 403
    assert "您的角色不能在此状态下执行「审批通过」" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "pending_approval"


def test_a_stale_form_is_refused(orders, users):
    order = orders.at("pending_approval")
    stale = order.version - 1
    response = client_for("sales_manager").post(f"/orders/{order.ref}/actions/approve/", {"version": stale, "comment": "同意"})
    assert response.status_code == 409
    assert "订单已被他人修改" in response.content.decode()


def test_confirm_stock_form_round_trip(orders, users):
    order = orders.at("pending_stock_check")
    line = order.lines.get()
    page = client_for("warehouse").get(f"/orders/{order.ref}/").content.decode()
    assert f'name="lines.0.line_id" value="{line.pk}"' in page
    response = client_for("warehouse").post(f"/orders/{order.ref}/actions/confirm_stock/", {
        "version": order.version, "lines.0.line_id": line.pk, "lines.0.availability": "needs_production",
        "lines.0.lead_time_days": "5", "lines.0.feasible_date": "2030-05-20", "lines.0.date_reason": "按排产计划", "note": ""})
    assert response.status_code == 302
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == "confirmed" and line.availability == "needs_production" and line.lead_time_days == 5


def test_the_language_switch_gives_english(orders, users):
    client = client_for("sales_manager")
    order = orders.at("pending_approval")
    assert "订单列表" in client.get("/orders/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/orders/"})
    page = client.get(f"/orders/{order.ref}/").content.decode()
    assert "Order list" in page and "Pending approval" in page and "Approve" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/orders/"})
    assert "订单列表" in client.get("/orders/").content.decode()


def test_chinese_is_the_default_whatever_the_browser_asks(orders, users):
    client = client_for("sales_manager")
    assert "订单列表" in client.get("/orders/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()


def test_system_closes_visited_orders(orders, users):
    from orderloop.orders.services import orders_close_completed

    waiting = orders.at("delivered")
    visited = act(orders.at("delivered", paid=True), "follow_up", users["account_manager"], channel="phone", usage="好", satisfaction=4)
    assert orders_close_completed() == [visited.ref]
    visited.refresh_from_db()
    waiting.refresh_from_db()
    assert visited.status == "closed" and waiting.status == "delivered"
    closed = visited.events.get(type="closed")
    assert closed.actor is None and closed.payload["note"] == "回访完成，系统自动完成订单"
    assert orders_close_completed() == []


def test_a_rejected_or_cancelled_order_says_why_at_the_top(client, users, orders):
    rejected = orders.at("rejected")
    client.force_login(users["sales_assistant"])
    page = client.get(f"/orders/{rejected.ref}/").content.decode()
    ended = page.split('id="ended">', 1)[1].split("</p>", 1)[0]
    assert "客户资质不符" in ended
    cancelled = orders.at("cancelled")
    client.force_login(users["sales_manager"])
    page = client.get(f"/orders/{cancelled.ref}/").content.decode()
    assert "客户取消" in page.split('id="ended">', 1)[1].split("</p>", 1)[0]
