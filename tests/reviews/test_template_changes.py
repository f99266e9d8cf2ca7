"""提出优化措施并更新模板: a monthly review's action item names the process setting it changes (a deadline, a stage
template, the approval rule); applying the change from the item's page changes the setting and completes the
item in one transaction, is audited old → new, and is listed in the next month's review and its documents."""
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed
from orderloop.core.models import AuditEntry
from orderloop.orders.models import ApprovalPolicy, DeadlineSetting, StageTemplate, TimerKind
from orderloop.orders.timers import deadline_length
from orderloop.reviews import services
from orderloop.reviews.documents import review_pdf_bytes
from orderloop.reviews.models import ActionItem
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")
MAY, JUNE = date(2024, 5, 1), date(2024, 6, 1)
# The May review's meeting, early in June: the measures are agreed and done in June.
MEETING = datetime(2024, 6, 3, 10, 0, tzinfo=SH)


@pytest.fixture
def template():
    return StageTemplate.objects.get(is_default=True)  # 备货 1, 生产 5, 包装 1, 质检 1 (migration 0010)


def production(template):
    return template.steps.get(name="生产")


def item_naming(users, setting: str, *, owner="warehouse") -> ActionItem:
    with clock.frozen_at(MEETING):
        return services.action_item_add(month=MAY, actor=users["sales_manager"], description="生产环节用时偏长：缩短为4天",
                                        owner_id=users[owner].pk, due_date="2024-06-20", setting=setting)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_done_action_item_changes_a_stage_templates_days_audited_and_listed_next_month(users, template):
    step = production(template)
    item = item_naming(users, f"stage_template:{template.pk}")
    manager = client_of(users["sales_manager"])

    # the item's page shows the template's days now, and the form for the new ones
    with clock.frozen_at(MEETING):
        page = manager.get(f"/reviews/actions/{item.pk}/").content.decode()
    assert "更新设置：备货/生产环节模板：标准备货生产" in page
    assert f'name="step-{step.pk}" value="5"' in page

    # the manager applies 生产 5 → 4 working days
    values = {f"step-{s.pk}": str(s.working_days) for s in template.steps.all()} | {f"step-{step.pk}": "4"}
    with clock.frozen_at(datetime(2024, 6, 10, 15, 0, tzinfo=SH)):
        response = manager.post(f"/reviews/actions/{item.pk}/apply/", values | {"done_note": "排产优化后生产可缩短1天"})
    assert response.status_code == 302

    # the template changed and the item is done, by the same action
    step.refresh_from_db()
    item.refresh_from_db()
    assert step.working_days == 4
    assert item.is_done and item.done_by == users["sales_manager"] and item.done_note == "排产优化后生产可缩短1天"
    assert item.setting_change == {"setting": "备货/生产环节模板：标准备货生产", "changes": [["生产", "5 工作日", "4 工作日"]]}

    # audited, old → new: on the template and on the item
    template_audit = AuditEntry.objects.get(object_type="orders.stagetemplate", object_id=str(template.pk))
    assert (template_audit.operation, template_audit.changes, template_audit.actor) == (
        "updated", {"生产.working_days": [5, 4]}, users["sales_manager"])
    item_audit = AuditEntry.objects.get(object_type="reviews.actionitem", operation="action_item_applied")
    assert item_audit.changes["生产"] == ["5 工作日", "4 工作日"]

    # June's review lists it under 上月优化措施带来的模板变更; May's does not
    director = client_of(users["sales_director"])
    with clock.frozen_at(datetime(2024, 7, 2, 10, 0, tzinfo=SH)):
        june = director.get("/reviews/2024-06/").content.decode()
        may = director.get("/reviews/2024-05/").content.decode()
        workbook = load_workbook(io.BytesIO(director.get("/reviews/2024-06.xlsx").content))
        pdf = director.get("/reviews/2024-06.pdf")
    section = june[june.index('id="template-changes"'):june.index('id="action-items"')]
    assert "上月优化措施带来的模板变更" in section and "生产：5 工作日 → 4 工作日" in section
    assert "2024-06-10 15:00" in section and "生产环节用时偏长" in section
    may_section = may[may.index('id="template-changes"'):may.index('id="action-items"')]
    assert "上月的优化措施没有更新期限、环节模板或审批规则" in may_section
    rows = list(workbook["上月优化措施带来的模板变更"].iter_rows(values_only=True))
    assert rows[0] == ("优化措施", "设置", "变更（原值 → 新值）", "应用时间", "确认人")
    assert rows[1][:3] == ("生产环节用时偏长：缩短为4天", "备货/生产环节模板：标准备货生产", "生产：5 工作日 → 4 工作日")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert services.template_changes_of(JUNE) == [item]
    assert review_pdf_bytes(JUNE, None, services.review_report(month=JUNE)[1])  # the document builds with the change


def test_a_user_without_the_right_role_cannot_apply(users, template):
    step = production(template)
    item = item_naming(users, f"stage_template:{template.pk}")  # owned by the warehouse
    values = {f"step-{s.pk}": str(s.working_days) for s in template.steps.all()} | {f"step-{step.pk}": "4"}

    # the item's owner sees the values, not the form, and is refused if they post
    warehouse = client_of(users["warehouse"])
    with clock.frozen_at(MEETING):
        page = warehouse.get(f"/reviews/actions/{item.pk}/").content.decode()
        assert "期限和环节模板由销售经理或销售总监应用变更。" in page and "应用变更并完成措施" not in page
        assert warehouse.post(f"/reviews/actions/{item.pk}/apply/", values).status_code == 403
        with pytest.raises(NotAllowed):
            services.action_item_apply(item_id=item.pk, actor=users["warehouse"], values=values)
    # the approval rule is the director's: the sales manager may not change it
    rule = item_naming(users, "approval_rule", owner="sales_manager")
    with clock.frozen_at(MEETING), pytest.raises(NotAllowed) as refused:
        services.action_item_apply(item_id=rule.pk, actor=users["sales_manager"],
                                   values={"director_threshold": "20000", "margin_floor": "0.1000",
                                           "special_terms_need_director": "1", "credit_limit_needs_director": "1"})
    assert refused.value.message == "只有销售总监可以修改审批规则"
    # nothing changed, nothing done, nothing audited
    step.refresh_from_db()
    assert step.working_days == 5 and ApprovalPolicy.current().director_threshold == Decimal("10000.00")
    assert not ActionItem.objects.filter(done_at__isnull=False).exists()
    assert not AuditEntry.objects.filter(operation__in=("updated", "action_item_applied")).exists()

    # the director may
    with clock.frozen_at(MEETING):
        services.action_item_apply(item_id=rule.pk, actor=users["sales_director"],
                                   values={"director_threshold": "20000", "margin_floor": "0.1000",
                                           "special_terms_need_director": "1", "credit_limit_needs_director": "1"})
    assert ApprovalPolicy.current().director_threshold == Decimal("20000.00")
    rule.refresh_from_db()
    assert rule.setting_change["changes"] == [["总监审批金额（超过，元）", "10000 元", "20000 元"]]
    assert AuditEntry.objects.get(object_type="orders.approvalpolicy").changes == {
        "director_threshold": ["10000.00", "20000.00"]}


@pytest.mark.parametrize("days, message", [
    ("abc", "「生产」须为 1 到 365 之间的整数（工作日），而不是“abc”"),
    ("0", "「生产」须为 1 到 365 之间的整数（工作日），而不是“0”"),
    ("4.5", "「生产」须为 1 到 365 之间的整数（工作日），而不是“4.5”"),
    ("", "「生产」请填写新值"),
])
def test_bad_values_give_a_clear_chinese_error_and_change_nothing(users, template, days, message):
    step = production(template)
    item = item_naming(users, f"stage_template:{template.pk}")
    values = {f"step-{s.pk}": str(s.working_days) for s in template.steps.all()} | {f"step-{step.pk}": days}
    with clock.frozen_at(MEETING), pytest.raises(InvalidInput) as refused:
        services.action_item_apply(item_id=item.pk, actor=users["sales_manager"], values=values)
    assert refused.value.message == "新值有误，设置未修改：生产"
    assert refused.value.errors == {f"step-{step.pk}": [message]}

    # through the page: 422, the message beside the step, the value as typed
    with clock.frozen_at(MEETING):
        response = client_of(users["sales_manager"]).post(f"/reviews/actions/{item.pk}/apply/", values)
    assert response.status_code == 422
    page = response.content.decode()
    assert "新值有误，设置未修改：生产" in page and message.replace("“", "&ldquo;") in page or message in page

    step.refresh_from_db()
    item.refresh_from_db()
    assert step.working_days == 5 and not item.is_done and item.setting_change is None
    assert not AuditEntry.objects.filter(operation__in=("updated", "action_item_applied")).exists()


def test_the_same_values_or_a_plain_done_are_refused(users, template):
    item = item_naming(users, f"stage_template:{template.pk}")
    same = {f"step-{s.pk}": str(s.working_days) for s in template.steps.all()}
    with clock.frozen_at(MEETING):
        with pytest.raises(InvalidInput, match="新值与当前值相同"):
            services.action_item_apply(item_id=item.pk, actor=users["sales_manager"], values=same)
        # an item naming a setting is completed by applying it, not by a note alone
        with pytest.raises(InvalidTransition, match="请在措施页面填写新值并应用"):
            services.action_item_done(item_id=item.pk, actor=users["warehouse"], note="已完成")
        # a setting that does not exist cannot be named
        with pytest.raises(InvalidInput) as refused:
            services.action_item_add(month=MAY, actor=users["sales_manager"], description="改期限",
                                     owner_id=users["warehouse"].pk, due_date="2024-06-20", setting="deadline:nope")
    assert "setting" in refused.value.errors


def test_a_deadline_changed_from_a_review_applies_to_deadlines_started_after(users, orders):
    assert deadline_length(TimerKind.APPROVAL) == (9, "business_hours")  # 1 business day
    item = item_naming(users, "deadline:approval", owner="sales_manager")
    with clock.frozen_at(MEETING):
        services.action_item_apply(item_id=item.pk, actor=users["sales_director"], values={"amount": "4.5"})
    assert deadline_length(TimerKind.APPROVAL) == (4.5, "business_hours")
    assert DeadlineSetting.objects.get(kind="approval").amount == Decimal("4.50")
    item.refresh_from_db()
    assert item.setting_change["changes"] == [["审批期限", "9 工作小时", "4.5 工作小时"]]
    # an order reviewed on Monday 2024-06-03 at 10:00 must be approved by 14:30 the same day
    with clock.frozen_at(MEETING):
        order = act(orders.received(), "review", users["sales_assistant"], verdict="pass")
    timer = order.timers.get(kind="approval")
    assert timer.due_at == datetime(2024, 6, 3, 14, 30, tzinfo=SH)
    # a wrong length is refused in Chinese and changes nothing
    other = item_naming(users, "deadline:follow_up", owner="sales_manager")
    with clock.frozen_at(MEETING), pytest.raises(InvalidInput) as refused:
        services.action_item_apply(item_id=other.pk, actor=users["sales_manager"], values={"amount": "-1"})
    assert refused.value.errors == {"amount": ["「交付回访期限」须为 1 到 60 之间的整数（工作日），而不是“-1”"]}
    assert deadline_length(TimerKind.FOLLOW_UP) == (3, "working_days")
