"""My work: the approval inbox (待我审批) shows each approver the orders waiting for their own decision, decides
them through the lifecycle engine with the version read, in a fixed number of queries; the queues of 我的待办;
the order page's actions at the top, what an order waits for, and its two approval deadlines told apart."""
import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orderloop.orders.models import OrderEvent, SalesOrder
from orderloop.orders.work import approvals_for, queues_for
from tests.support.orders import act

SMALL = [{"quantity": "1", "unit_price": "5000"}]  # 5,000.00: the manager's approval is enough


def small(orders, state, product):
    return orders.at(state, lines=[{"product_id": product.pk, **SMALL[0]}])


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def refs(rows):
    return sorted(row.order.ref for row in rows)


def test_each_approver_sees_the_orders_waiting_for_their_level(orders, users, product):
    first, second = small(orders, "pending_approval", product), orders.at("pending_approval")
    director = orders.at("pending_director")
    orders.at("pending_stock_check")
    assert refs(approvals_for(users["sales_manager"])) == sorted([first.ref, second.ref])
    assert [row.level for row in approvals_for(users["sales_manager"])] == ["经理审批", "经理审批"]
    assert refs(approvals_for(users["sales_director"])) == [director.ref]
    assert approvals_for(users["sales_director"])[0].level == "总监审批"
    for role in ("warehouse", "production", "logistics", "sales_assistant", "account_manager", "after_sales"):
        assert approvals_for(users[role]) == [], role
    # the large order names the director rule that applies, and the manager sees its margin
    large = next(row for row in approvals_for(users["sales_manager"]) if row.order.pk == second.pk)
    assert large.rules == ["金额 50,000.00 元超过 10,000.00 元"] and large.margin == "20%" and large.amount == "50,000.00"
    assert next(r for r in approvals_for(users["sales_manager"]) if r.order.pk == first.pk).rules == []


def test_the_inbox_page_and_its_link_only_for_approvers(orders, users, product):
    waiting = small(orders, "pending_approval", product)
    manager = client_for(users["sales_manager"]).get("/approvals/")
    assert manager.status_code == 200 and waiting.ref in manager.content.decode()
    assert 'id="approvals-link"' in manager.content.decode() and "¥5,000.00" in manager.content.decode()
    warehouse = client_for(users["warehouse"]).get("/approvals/")
    assert warehouse.status_code == 200 and waiting.ref not in warehouse.content.decode()
    assert 'id="approvals-link"' not in warehouse.content.decode() and "没有待您审批的订单" in warehouse.content.decode()


def test_approving_from_the_list_without_javascript(orders, users, product):
    order = small(orders, "pending_approval", product)
    response = client_for(users["sales_manager"]).post(f"/approvals/{order.ref}/", {
        "decision": "approve", "comment": "价格合理，同意", "version": order.version}, follow=True)
    assert response.redirect_chain[-1][0] == "/approvals/"
    assert f"{order.ref} 已通过，待确认库存" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "pending_stock_check"
    assert OrderEvent.objects.get(order=order, type="approved").payload["comment"] == "价格合理，同意"


def test_approving_from_the_list_with_htmx_answers_the_row(orders, users):
    order = orders.at("pending_approval")
    response = client_for(users["sales_manager"]).post(f"/approvals/{order.ref}/", {
        "decision": "approve", "comment": "同意，报总监", "version": order.version}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith("<tr") and "已通过，已提交销售总监审批" in body
    assert SalesOrder.objects.get(pk=order.pk).status == "pending_director"
    # the director decides it from theirs
    director = client_for(users["sales_director"])
    assert order.ref in director.get("/approvals/").content.decode()
    order.refresh_from_db()
    response = director.post(f"/approvals/{order.ref}/", {"decision": "reject", "comment": "账期过长",
                                                          "version": order.version}, HTTP_HX_REQUEST="true")
    assert "已驳回，订单已终止" in response.content.decode()
    assert OrderEvent.objects.get(order=order, type="approval_rejected").payload["reason"] == "账期过长"


def test_a_stale_or_empty_decision_changes_nothing_and_keeps_the_comment(orders, users, product):
    order = small(orders, "pending_approval", product)
    manager = client_for(users["sales_manager"])
    stale = manager.post(f"/approvals/{order.ref}/", {"decision": "approve", "comment": "我的意见", "version": order.version - 1})
    assert stale.status_code == 409 and 'value="我的意见"' in stale.content.decode()
    empty = manager.post(f"/approvals/{order.ref}/", {"decision": "reject", "comment": "", "version": order.version})
    assert empty.status_code == 422 and 'role="alert"' in empty.content.decode()
    order.refresh_from_db()
    assert order.status == "pending_approval" and not OrderEvent.objects.filter(order=order, type__startswith="approv").exists()
    # the sales assistant sees the order but may not approve it: refused, said at the top of the list
    refused = client_for(users["sales_assistant"]).post(f"/approvals/{order.ref}/", {
        "decision": "approve", "comment": "x", "version": order.version})
    assert refused.status_code == 403 and "您的角色不能在此状态下执行「审批通过」" in refused.content.decode()
    # someone who does not see it: not there
    assert client_for(users["warehouse"]).post(f"/approvals/{order.ref}/", {
        "decision": "approve", "comment": "x", "version": order.version}).status_code == 404


def test_the_inbox_makes_as_many_queries_for_twenty_orders_as_for_one(orders, users, product):
    manager = client_for(users["sales_manager"])
    small(orders, "pending_approval", product)

    def count():
        manager.get("/approvals/")
        with CaptureQueriesContext(connection) as ctx:
            response = manager.get("/approvals/")
        assert response.status_code == 200
        return len(ctx), len(response.context["rows"])

    one, shown = count()
    assert shown == 1
    for i in range(19):
        orders.at("pending_approval") if i % 2 else small(orders, "pending_approval", product)
    twenty, shown = count()
    assert shown == 20 and twenty == one


def test_the_summary_panel_and_its_page_without_htmx(orders, users):
    order = orders.at("pending_approval")
    manager = client_for(users["sales_manager"])
    panel = manager.get(f"/orders/{order.ref}/summary/", HTTP_HX_REQUEST="true").content.decode()
    assert "打开订单页" in panel and "金额 50,000.00 元超过 10,000.00 元" in panel and "<html" not in panel
    assert manager.get(f"/orders/{order.ref}/summary/").url == f"/orders/{order.ref}/"


def test_a_queue_per_kind_of_work(orders, users):
    stock = orders.at("pending_stock_check")
    received = orders.received()
    warehouse = queues_for(users["warehouse"])
    assert [(q.label, [item[0].ref for item in q.items]) for q in warehouse] == [("待确认库存", [stock.ref])]
    assert warehouse[0].items[0][2] is not None  # its deadline
    assistant = {q.label: [item[0].ref for item in q.items] for q in queues_for(users["sales_assistant"])}
    assert assistant["待审核"] == [received.ref]
    page = client_for(users["warehouse"]).get("/work/").content.decode()
    assert "待确认库存" in page and stock.ref in page and received.ref not in page
    assert client_for(users["after_sales"]).get("/work/").status_code == 200


def test_the_order_page_names_the_actions_at_the_top_and_what_the_order_waits_for(orders, users):
    order = orders.at("pending_approval")
    manager = client_for(users["sales_manager"]).get(f"/orders/{order.ref}/")
    top = [f["name"] for f in manager.context["top_actions"]]
    assert top[0] == "approve" and "reject" in top
    assert manager.context["waiting_for"] == []
    assistant = client_for(users["sales_assistant"]).get(f"/orders/{order.ref}/")
    assert assistant.context["waiting_for"] == ["待销售经理审批通过"]
    assert "待销售经理审批通过" in assistant.content.decode()


def test_the_two_approval_deadlines_are_told_apart(orders, users):
    order = orders.at("pending_director")
    response = client_for(users["sales_director"]).get(f"/orders/{order.ref}/")
    labels = [t.label for t in response.context["timers"] if t.kind == "approval"]
    assert labels == ["经理审批", "总监审批"]
    # the timeline folded by step: intake and review, then the manager's approval; short, so all open
    steps = response.context["timeline"].steps
    assert [(s["label"], [e["type"] for e in s["events"]], s["open"]) for s in steps] == [
        ("已接收", ["received", "reviewed"], True), ("待审批", ["approved"], True)]


def test_a_long_timeline_folds_the_earlier_steps(orders, users):
    order = orders.at("in_fulfillment")
    for day in range(1, 22):
        act(order, "track", users["production"], stage="生产", record=f"第 {day} 天：装配中")
    response = client_for(users["sales_assistant"]).get(f"/orders/{order.ref}/")
    steps = response.context["timeline"].steps
    assert [s["open"] for s in steps] == [False] * (len(steps) - 1) + [True]
    assert steps[-1]["label"] == "备货/生产中" and len(steps[-1]["events"]) == 21
    body = response.content.decode()
    assert re.findall(r'<details class="timeline-step" data-step="(\w+)" open>', body) == ["in_fulfillment"]
