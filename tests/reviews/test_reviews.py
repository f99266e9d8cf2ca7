"""The monthly review (《订单复盘报告》): its figures for a month built by hand through the real lifecycle,
frozen when filed, as .xlsx and PDF, with action items tracked to done; and the page in a browser."""
import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed
from orderloop.masterdata.models import Product
from orderloop.notifications.models import Notification
from orderloop.orders.models import SalesOrder
from orderloop.reviews.models import ActionItem, MonthlyReview
from orderloop.reviews.report import review_figures
from orderloop.reviews.services import action_item_add, action_item_done, review_file
from tests.support.browser import ARTIFACTS, log_in
from tests.support.finance import pay
from tests.support.orders import act, receipt_scan, stock_for
from tests.support.pdf import filled_marks, rgb

SH = ZoneInfo("Asia/Shanghai")
MARCH = date(2025, 3, 1)


def review_queries() -> int:
    """review_figures' queries, however many orders: eight, and on PostgreSQL the report's settings first."""
    return 9 if connection.vendor == "postgresql" else 8


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SH).replace(hour=hh, minute=mm)


def step(when: datetime, order, action: str, user, **data):
    """One lifecycle action at a known moment."""
    with clock.frozen_at(when):
        return act(order, action, user, **data)


@dataclass
class Plan:
    """One order's run through the lifecycle. Times of day are fixed; the days in fulfilment vary."""
    start: date          # received 09:00, reviewed 12:00, approved 13:00 and by the director 14:00, stock confirmed 17:00, started 17:30
    fulfilment_days: int  # from 17:30 on ``start`` to 17:30 when the shipment is prepared
    late: bool = False   # promised (= requested) the day before it is delivered
    satisfaction: int | None = None
    tracked_late: bool = False  # the first progress record 3 days in (due by the end of the next working day)
    risk: str = ""       # a risk raised (and resolved) during fulfilment

    @property
    def delivered_on(self) -> date:  # prepared + 1 day shipped + 2 days in transport
        return self.start + timedelta(days=self.fulfilment_days + 3)


def deliver(orders, users, plan: Plan):
    """Drive one order from receipt to 已交付 under a controlled clock, step by step."""
    s = plan.start
    promised = plan.delivered_on - timedelta(days=1) if plan.late else plan.delivered_on
    with clock.frozen_at(at(s, 9)):
        order = orders.received(order_date=s.isoformat(), requested_date=promised.isoformat())
    order = step(at(s, 12), order, "review", users["sales_assistant"], verdict="pass")
    order = step(at(s, 13), order, "approve", users["sales_manager"], comment="同意")  # 50,000.00: a large order
    order = step(at(s, 14), order, "approve", users["sales_director"], comment="同意")
    stock_for(order)
    order = step(at(s, 17), order, "confirm_stock", users["warehouse"], lines=[
        {"line_id": line.pk, "availability": "in_stock", "feasible_date": s.isoformat(), "date_reason": "现货"}
        for line in order.lines.all()])
    assert order.promised_date == promised
    with clock.frozen_at(at(s, 17, 15)):  # finance records the 30 % deposit: production may start
        pay(order, users["finance"], "on_confirmation")
    order = step(at(s, 17, 30), order, "start_fulfillment", users["production"],
                 stages=[{"name": "生产", "owner": "production", "planned_date": plan.delivered_on.isoformat()}])
    tracked = s + timedelta(days=3 if plan.tracked_late else 1)
    order = step(at(tracked, 10), order, "track", users["production"], stage="生产", record="生产完成",
                 actual_date=tracked.isoformat())
    if plan.risk:
        order = step(at(tracked, 11), order, "raise_risk", users["production"], risk_type=plan.risk, description="见风险说明")
        order = step(at(tracked, 12), order, "resolve_risk", users["production"], risk_id=order.risks.get().pk,
                     mitigation_type="prioritise_production", mitigation="协调优先生产")
    prepared = s + timedelta(days=plan.fulfilment_days)
    order = step(at(prepared, 17, 30), order, "prepare_shipment", users["warehouse"], goods="服务器A型 × 10",
                 quantity_checked=True, qc_passed=True, qc_report="合格")
    order = step(at(prepared + timedelta(days=1), 17, 30), order, "ship", users["logistics"], method="express",
                 carrier="顺丰速运", tracking_number=f"SF{order.pk}", eta=plan.delivered_on.isoformat())
    with clock.frozen_at(at(plan.delivered_on, 17, 30)):
        order = act(order, "accept", users["account_manager"], quantity_ok=True, spec_ok=True, appearance_ok=True,
                    signed_by="李*", receipt_attachment_id=receipt_scan(order).pk)
    assert order.status == "delivered"
    if plan.satisfaction:
        order = step(at(plan.delivered_on, 18, 30), order, "follow_up", users["account_manager"], channel="phone",
                     usage="运行正常", satisfaction=plan.satisfaction)
    return order


# Ten orders delivered in March 2025: 7 on time, 3 late; 8 rated (5,5,4,4,4,3,5,2 → 4.0); stocking and production
# take 4–10 days (median 6.5, 90th percentile 9.1): the bottleneck. Two first progress records came late.
PLANS = [
    Plan(date(2025, 3, 3), 4, satisfaction=5),
    Plan(date(2025, 3, 3), 5, satisfaction=5, risk="material_shortage"),
    Plan(date(2025, 3, 4), 5, late=True, satisfaction=4, tracked_late=True),
    Plan(date(2025, 3, 4), 6, satisfaction=4),
    Plan(date(2025, 3, 5), 6, satisfaction=4, risk="material_shortage"),
    Plan(date(2025, 3, 5), 7, late=True, satisfaction=3),
    Plan(date(2025, 3, 6), 7, satisfaction=5, risk="equipment_failure"),
    Plan(date(2025, 3, 10), 8, late=True, satisfaction=2, tracked_late=True),
    Plan(date(2025, 3, 11), 9),
    Plan(date(2025, 3, 12), 10),
]


@pytest.fixture
def march(orders, users, product):
    """March 2025 by hand: the ten delivered orders, one still open, one rejected, one cancelled, tickets of
    known types, and an order, a ticket and a risk in April that March must not count."""
    delivered = [deliver(orders, users, plan) for plan in PLANS]
    switch = Product.objects.create(name="交换机B型", model="W-200", unit="台", list_price=Decimal("5000.00"),
                                    cost_price=Decimal("3000.00"))
    with clock.frozen_at(at(date(2025, 3, 20), 10)):
        open_order = orders.received(order_date="2025-03-20", requested_date="2025-04-30",
                                     lines=[{"product_id": switch.pk, "quantity": "2", "unit_price": "5000"}])
        orders.at("rejected", order_date="2025-03-20")
        orders.at("cancelled", order_date="2025-03-21")
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        orders.received(order_date="2025-04-02", requested_date="2025-04-30")
    for day, index, ticket_type in [(12, 0, "quality"), (18, 3, "installation"), (26, 5, "quality"), (31, 6, "complaint")]:
        with clock.frozen_at(at(date(2025, 3, day), 15)):
            ticket_open(order_id=delivered[index].pk, actor=users["account_manager"], ticket_type=ticket_type,
                        description="客户反馈")
    with clock.frozen_at(at(date(2025, 4, 1), 9)):
        ticket_open(order_id=delivered[1].pk, actor=users["account_manager"], ticket_type="damage", description="四月的")
    return {"delivered": delivered, "open": open_order}


def test_every_figure_of_a_month_built_by_hand(march, django_assert_num_queries):
    with clock.frozen_at(at(date(2025, 4, 2), 10)), django_assert_num_queries(review_queries()):  # however many orders
        figures = review_figures(MARCH)

    assert figures["month"] == "2025-03"
    assert figures["orders"] == {"count": 11, "amount": "510000.00", "rejected": 1, "cancelled": 1, "imported": 0}
    assert figures["delivery"] == {"delivered": 10, "on_time": 7, "late": 3, "no_date": 0, "on_time_rate": 70.0, "imported": 0}
    assert figures["satisfaction"] == {"rated": 8, "average": 4.0, "distribution": [
        {"score": 1, "count": 0}, {"score": 2, "count": 1}, {"score": 3, "count": 1}, {"score": 4, "count": 3},
        {"score": 5, "count": 3}]}
    assert figures["tickets"] == {"total": 4, "by_type": [
        {"type": "quality", "label": "产品质量", "count": 2}, {"type": "installation", "label": "安装指导", "count": 1},
        {"type": "complaint", "label": "投诉", "count": 1}]}
    assert figures["delay_reasons"] == {"total": 3, "by_type": [
        {"type": "material_shortage", "label": "原材料短缺", "count": 2},
        {"type": "equipment_failure", "label": "设备故障", "count": 1}]}

    # every order's approvals (the manager's in 1 business hour, the director's in 1) and stock check (3) in time; 2 of 10 first progress records late;
    # each risk reported at once; the 8 follow-up visits an hour after delivery
    deadlines = {row["kind"]: (row["label"], row["on_time"], row["breached"], row["rate"]) for row in figures["deadlines"]}
    assert deadlines == {
        "approval": ("审批", 20, 0, 100.0),  # each order's manager and director
        "stock_check": ("确认库存", 10, 0, 100.0),
        "tracking": ("进度跟进", 8, 2, 80.0),
        "risk": ("风险上报", 3, 0, 100.0),
        "follow_up": ("交付回访", 8, 0, 100.0),
    }

    # received 09:00 → reviewed 12:00 (3 h), approved 14:00 (2 h), stock confirmed 17:00 (3 h),
    # started 17:30 and prepared N days later, shipped a day later, delivered two days after that
    phases = {row["label"]: (row["orders"], row["median_days"], row["p90_days"]) for row in figures["phases"]}
    assert phases == {
        "接收审核": (10, 0.1, 0.1),
        "审批": (10, 0.1, 0.1),
        "库存确认": (10, 0.1, 0.1),
        "备货生产": (10, 6.5, 9.1),
        "发货准备": (10, 1.0, 1.0),
        "物流运输": (10, 2.0, 2.0),
    }
    assert figures["bottleneck"] == {"phase": "fulfilment", "label": "备货生产", "median_days": 6.5, "p90_days": 9.1}

    assert figures["by_owner"] == [{"name": "account_manager", "orders": 11, "amount": "510000.00", "delivered": 10,
                                    "on_time": 7, "on_time_rate": 70.0}]
    assert figures["by_customer"] == [{"name": "科技有限公司", "orders": 11, "amount": "510000.00", "delivered": 10,
                                       "on_time": 7, "on_time_rate": 70.0}]
    assert figures["by_product"] == [
        {"product": "服务器A型", "model": "S-001", "orders": 10, "quantity": "100", "amount": "500000.00"},
        {"product": "交换机B型", "model": "W-200", "orders": 1, "quantity": "2", "amount": "10000.00"},
    ]


def test_the_figures_take_as_many_queries_for_one_order_as_for_ten(orders, users, django_assert_num_queries):
    with django_assert_num_queries(review_queries()):
        assert review_figures(MARCH)["delivery"]["delivered"] == 0
    deliver(orders, users, PLANS[0])
    with django_assert_num_queries(review_queries()):
        assert review_figures(MARCH)["delivery"]["delivered"] == 1
    for plan in PLANS[1:]:
        deliver(orders, users, plan)
    with django_assert_num_queries(review_queries()):
        figures = review_figures(MARCH)
    assert figures["delivery"]["delivered"] == 10 and figures["phases"][3]["orders"] == 10


def test_the_month_is_a_month_in_shanghai(march):
    first, second = march["delivered"][:2]
    SalesOrder.objects.filter(pk=first.pk).update(delivered_at=at(date(2025, 4, 1), 7))  # 2025-03-31 23:00 UTC
    figures = review_figures(MARCH)
    assert figures["delivery"]["delivered"] == 9 and {row["orders"] for row in figures["phases"]} == {9}
    SalesOrder.objects.filter(pk=second.pk).update(delivered_at=at(date(2025, 3, 1), 0, 30))  # 2025-02-28 16:30 UTC
    figures = review_figures(MARCH)
    assert figures["delivery"]["delivered"] == 9 and {row["orders"] for row in figures["phases"]} == {9}


def test_an_order_without_any_delivery_date_is_left_out_of_the_rate(orders, users):
    delivered = [deliver(orders, users, Plan(date(2025, 3, 3), 4)), deliver(orders, users, Plan(date(2025, 3, 4), 4, late=True))]
    SalesOrder.objects.filter(pk=delivered[0].pk).update(promised_date=None, requested_date=None)
    assert review_figures(MARCH)["delivery"] == {"delivered": 2, "on_time": 0, "late": 1, "no_date": 1, "on_time_rate": 0.0, "imported": 0}


def sales_manager_client(users):
    client = Client()
    client.force_login(users["sales_manager"])
    return client


def test_a_filed_review_keeps_its_figures_when_later_data_changes(march, orders, users):
    unrated = march["delivered"][8]
    with clock.frozen_at(at(date(2025, 4, 2), 16)):
        review = review_file(month=MARCH, actor=users["sales_manager"], summary="交付准时率 70.0%，瓶颈在备货生产")
    assert review.figures["delivery"]["on_time_rate"] == 70.0 and review.due_at == at(date(2025, 4, 3), 23, 59) + timedelta(seconds=59)

    # later: the unrated order gets its score, and one more order counts as delivered in March
    step(at(date(2025, 4, 3), 10), unrated, "follow_up", users["account_manager"], channel="phone", usage="正常",
         satisfaction=1)
    with clock.frozen_at(at(date(2025, 4, 3), 11)):
        late_one = deliver(orders, users, Plan(date(2025, 3, 12), 4))
    assert review_figures(MARCH)["delivery"]["delivered"] == 11 and late_one.status == "delivered"
    assert review_figures(MARCH)["satisfaction"]["rated"] == 9
    assert review_figures(MARCH)["satisfaction"]["average"] == 3.7  # (32 + 1) / 9

    review.refresh_from_db()
    assert review.figures["delivery"]["delivered"] == 10 and review.figures["satisfaction"]["rated"] == 8
    with clock.frozen_at(at(date(2025, 4, 3), 12)):
        page = sales_manager_client(users).get("/reviews/2025-03/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<dd id="on-time-rate">70.0%</dd>' in text
    assert '<dd id="satisfaction-average">4.0</dd>' in text and "交付准时率 70.0%，瓶颈在备货生产" in text
    with pytest.raises(InvalidTransition) as refused:
        review_file(month=MARCH, actor=users["sales_manager"], summary="再提交一次")
    assert refused.value.message == "该月复盘已于 2025-04-02 16:00 提交"


def test_filing_needs_a_conclusion_and_a_finished_month(users):
    with clock.frozen_at(at(date(2025, 3, 20), 10)):
        with pytest.raises(InvalidInput) as empty:
            review_file(month=MARCH, actor=users["sales_manager"], summary="  ")
        with pytest.raises(InvalidTransition) as early:
            review_file(month=MARCH, actor=users["sales_manager"], summary="结论")
        with pytest.raises(NotAllowed):
            review_file(month=date(2025, 2, 1), actor=users["account_manager"], summary="结论")
    assert empty.value.errors == {"summary": ["必填"]}
    assert early.value.message == "该月尚未结束"
    assert not MonthlyReview.objects.exists()


def test_the_page_shows_the_figures_and_files_the_review(march, users):
    client = sales_manager_client(users)
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        page = client.get("/reviews/2025-03/")
        assert page.status_code == 200
        text = page.content.decode()
        assert '<dd id="on-time-rate">70.0%</dd>' in text and '<dd id="bottleneck">备货生产</dd>' in text
        assert 'id="review-figures"' in text and "vendor/chartjs/chart.umd.min.js" in text and "<script>" not in text
        refused = client.post("/reviews/2025-03/file/", {"summary": ""})
        assert refused.status_code == 422 and "请填写复盘结论" in refused.content.decode()
        filed = client.post("/reviews/2025-03/file/", {"summary": "瓶颈在备货生产，原材料短缺两次"})
        assert filed.status_code == 302
        listing = client.get("/reviews/").content.decode()
    assert MonthlyReview.objects.get(month=MARCH).summary == "瓶颈在备货生产，原材料短缺两次"
    assert 'data-month="2025-03"' in listing and "已提交" in listing


def test_the_workbook_holds_each_group_of_figures(march, users):
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        response = sales_manager_client(users).get("/reviews/2025-03.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概况", "客户满意度", "售后问题类型", "期限达成率", "各阶段用时", "延误原因",
                               "按销售负责人", "按客户", "按产品", "回款按销售负责人", "回款按客户", "上月优化措施带来的模板变更",
                               "优化措施"]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary["交付准时率(%)"] == "70.0" and summary["订单数量"] == 11 and summary["订单金额(元)"] == 510000
    assert summary["客户满意度(平均分)"] == "4.0" and summary["瓶颈环节"] == "备货生产（中位数 6.5 天）"
    phases = list(book["各阶段用时"].iter_rows(values_only=True))
    assert phases[0] == ("环节", "订单数", "用时中位数(天)", "90%分位(天)", "瓶颈环节")
    assert ("备货生产", 10, "6.5", "9.1", "是") in phases
    assert list(book["售后问题类型"].iter_rows(min_row=2, values_only=True)) == [("产品质量", 2), ("安装指导", 1), ("投诉", 1)]
    assert list(book["按产品"].iter_rows(min_row=2, values_only=True))[1] == ("交换机B型", "W-200", 1, 2, 10000)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_holds_the_figures_the_conclusion_and_the_action_items(march, users):
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        action_item_add(month=MARCH, actor=users["sales_manager"], description="原材料安全库存提高到两周用量",
                        owner_id=users["warehouse"].pk, due_date="2025-04-30")
        review_file(month=MARCH, actor=users["sales_manager"], summary="备货生产是瓶颈")
        response = sales_manager_client(users).get("/reviews/2025-03.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert [line.strip() for line in text.split("\n")[:2]] == ["订单复盘报告", "2025年3月 范围：华北销售一组"]  # month, scope
    assert "交付准时率(%)\n70.0\n" in text and "客户满意度(平均分)\n4.0\n" in text
    assert "瓶颈环节\n备货生产（中位数 6.5 天）" in text and "复盘结论\n备货生产是瓶颈" in text
    assert "原材料安全库存提高到两周用量\nwarehouse\n2025-04-30\n进行中" in text.replace("两周\n用量", "两周用量")


def test_the_pdf_carries_the_four_charts_of_the_page_each_drawn_with_a_reading(march, users):
    """The charts of the review page (交付准时率, 客户满意度分布, 售后问题类型, 各阶段用时), numbered and titled in the
    text, their marks drawn in the file: the doughnut's wedges, a bar per score, per issue type and two per phase."""
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        content = sales_manager_client(users).get("/reviews/2025-03.pdf").content
    text = pdf_text(content)
    assert re.findall(r"^图(\d) (.+)$", text, re.M) == [("1", "交付准时率"), ("2", "客户满意度分布"), ("3", "售后问题类型"),
                                                          ("4", "各阶段用时（天）")]
    assert text.index("关键指标") < text.index("图1 ") < text.index("复盘月份")  # key figures, charts, the tables
    for reading in ("本月交付 10 单：准时 7 单，延期 3 单；准时率 70%。", "回访评分 8 单，平均 4 分，其中 1 单为 2 分及以下",
                    "售后问题共 4 个，最多的是「产品质量」（2 个）。", "瓶颈环节是「备货生产」：用时中位数 6.5 天，90% 分位 9.1 天。"):
        assert reading in text.replace("\n", ""), reading
    marks = filled_marks(content)
    assert marks.get(rgb("#067647"), 0) >= 2 and marks.get(rgb("#B42318"), 0) >= 2  # wedge and legend: on time, late
    # bars in the chart blue: 5 scores + 3 issue types + 6 phases' medians (+ a legend swatch); 6 phases' 90th percentiles
    assert marks.get(rgb("#0B6BCB"), 0) >= 5 + 3 + 6 and marks.get(rgb("#9FC5F8"), 0) >= 6


def test_an_empty_month_still_has_its_four_charts_saying_there_is_nothing(users):
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        text = pdf_text(sales_manager_client(users).get("/reviews/2025-03.pdf").content)
    assert len(re.findall(r"^图\d ", text, re.M)) == 4
    assert "本月没有交付的订单" in text and "本月没有售后问题" in text and "本月没有回访评分" in text
    assert text.count("（本月无数据）") == 4


def test_action_items_are_added_refused_with_reasons_and_marked_done(users):
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        with pytest.raises(InvalidInput) as refused:
            action_item_add(month=MARCH, actor=users["sales_manager"], description=" ", owner_id="",
                            due_date="2025-04-01")
        assert refused.value.message == "优化措施有误：优化措施、负责人、完成期限"
        assert refused.value.errors == {"description": ["必填"], "owner": ["请选择负责人"],
                                        "due_date": ["不能早于今天 2025-04-02"]}
        with pytest.raises(NotAllowed):
            action_item_add(month=MARCH, actor=users["account_manager"], description="x", owner_id=users["warehouse"].pk,
                            due_date="2025-04-30")
        assert not ActionItem.objects.exists() and not MonthlyReview.objects.exists()

        item = action_item_add(month=MARCH, actor=users["sales_manager"], description="包装环节增加一名人员",
                               owner_id=users["warehouse"].pk, due_date="2025/4/30")
    assert (item.review.month, item.owner, item.due_date) == (MARCH, users["warehouse"], date(2025, 4, 30))
    told = Notification.objects.get(event="review_action_assigned", channel="inapp")
    assert (told.recipient, told.subject, told.url) == (users["warehouse"], "2025-03 订单复盘：请在 2025-04-30 前完成优化措施",
                                                        "/reviews/actions/")
    assert item.review.due_at == at(date(2025, 4, 3), 23, 59) + timedelta(seconds=59)

    with clock.frozen_at(at(date(2025, 4, 20), 10)):
        with pytest.raises(NotAllowed):
            action_item_done(item_id=item.pk, actor=users["production"], note="做完了")
        with pytest.raises(InvalidInput) as no_note:
            action_item_done(item_id=item.pk, actor=users["warehouse"], note="")
        assert no_note.value.errors == {"done_note": ["必填"]}
        done = action_item_done(item_id=item.pk, actor=users["warehouse"], note="已增加一名包装工")
    assert (done.done_at, done.done_by, done.done_note) == (at(date(2025, 4, 20), 10), users["warehouse"], "已增加一名包装工")
    with pytest.raises(InvalidTransition):
        action_item_done(item_id=item.pk, actor=users["sales_manager"], note="再确认")


def test_action_items_on_the_page(users):
    client = sales_manager_client(users)
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        bad = client.post("/reviews/2025-03/actions/", {"description": "缩短库存确认时间", "owner": "", "due_date": "明天"})
        assert bad.status_code == 422
        text = bad.content.decode()
        assert "优化措施有误：负责人、完成期限" in text and "日期格式应为 YYYY-MM-DD" in text
        assert "缩短库存确认时间" in text  # what was typed stays
        added = client.post("/reviews/2025-03/actions/", {"description": "缩短库存确认时间",
                                                          "owner": users["warehouse"].pk, "due_date": "2025-04-15"})
        assert added.status_code == 302
    item = ActionItem.objects.get()
    owner = Client()
    owner.force_login(users["warehouse"])  # the owner does not see the review, but sees and closes the item
    assert owner.get("/reviews/2025-03/").status_code == 403
    mine = owner.get("/reviews/actions/")
    assert "缩短库存确认时间" in mine.content.decode()
    with clock.frozen_at(at(date(2025, 4, 10), 10)):
        assert owner.post(f"/reviews/actions/{item.pk}/done/", {"done_note": "已设为4小时内确认", "back": "mine"}).status_code == 302
    item.refresh_from_db()
    assert item.is_done and item.done_by == users["warehouse"]
    page = client.get("/reviews/2025-03/").content.decode()
    assert "已设为4小时内确认" in page


@pytest.mark.parametrize("role, status", [("account_manager", 403), ("warehouse", 403), ("sales_manager", 200),
                                          ("sales_director", 200), ("admin", 200)])
def test_only_managers_the_director_and_admin_see_reviews(users, role, status):
    client = Client()
    client.force_login(users[role])
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        for url in ("/reviews/", "/reviews/2025-03/", "/reviews/2025-03.xlsx", "/reviews/2025-03.pdf"):
            assert client.get(url).status_code == status, url
        today = client.get("/today/").content.decode()
    assert ('href="/reviews/"' in today) == (status == 200)


def test_a_month_not_begun_is_not_found(users):
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        assert sales_manager_client(users).get("/reviews/2025-05/").status_code == 404
        assert sales_manager_client(users).get("/reviews/2025-13/").status_code == 404


@pytest.fixture
def june_2024(web_server):
    """Early June 2024, when May's review is read: the demo and the server on the product's clock."""
    with web_server.frozen_at(at(date(2024, 6, 3), 10)) as moment:
        yield moment


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sales_manager_reads_the_may_2024_review_with_its_charts_and_downloads_the_pdf(browser, web_server, june_2024,
                                                                                            tmp_path):
    from orderloop.setup.demo import load_demo

    load_demo()
    page = log_in(browser, web_server, "sales_manager")
    page.get_by_role("link", name="订单复盘", exact=True).click()
    page.locator("tr[data-month='2024-05']").get_by_role("link", name="2024-05").click()
    page.wait_for_selector("#chart-phases[data-drawn=true]")
    assert page.locator("h1").inner_text() == "《订单复盘报告》 2024-05"
    drawn = page.evaluate("""() => Array.from(document.querySelectorAll('#charts canvas')).map(
        canvas => [canvas.id, Boolean(window.Chart.getChart(canvas)), canvas.width > 0 && canvas.height > 0])""")
    assert drawn == [[name, True, True] for name in ("chart-on-time", "chart-satisfaction", "chart-tickets", "chart-phases")]
    rate = page.locator("#on-time-rate").inner_text()
    assert rate.endswith("%") and float(rate[:-1]) >= 0  # 202405-001 and -003 were delivered in May 2024
    assert "产品质量" in page.locator("#tickets").inner_text()  # 202405-003's noisy server

    with page.expect_download() as download:
        page.locator("#download-pdf").click()
    path = tmp_path / "review.pdf"
    download.value.save_as(path)
    assert download.value.suggested_filename == "订单复盘报告-2024-05.pdf"
    text = pdf_text(path.read_bytes())
    assert f"交付准时率(%)\n{rate[:-1]}\n" in text
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "monthly-review.png"), full_page=True)
    page.close()
