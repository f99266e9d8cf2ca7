"""The date the company can deliver a line, in working days on the business calendar:
from stock, picking and packing; when short or to be produced, the production lead time too."""
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.accounts.roles import Role
from orderloop.core import clock
from orderloop.core.calendar import BusinessCalendar
from orderloop.orders.lines import open_lines
from orderloop.orders.models import StageTemplate


@dataclass(frozen=True)
class Feasible:
    date: date
    explanation: str


def add_working_days(calendar: BusinessCalendar, start: date, days: int) -> date:
    day = start
    for _step in range(days):
        day = calendar.next_working_day(day)
    return day


def feasible_date(*, availability: str, lead_time_days: int | None, today: date,
                  calendar: BusinessCalendar) -> Feasible:
    """Picking and packing take ORDERLOOP_PICK_PACK_DAYS working days after the goods are there;
    production (or restocking) takes ``lead_time_days`` working days first."""
    handling = settings.ORDERLOOP_PICK_PACK_DAYS
    lead = lead_time_days or 0 if availability != "in_stock" else 0
    day = add_working_days(calendar, today, lead + handling)
    parts = []
    if lead:
        parts.append(f"生产/备货 {lead} 个工作日")
    parts.append(f"拣货包装 {handling} 个工作日")
    skipped = (day - today).days - (lead + handling)
    explanation = f"{today.isoformat()} 起 " + " + ".join(parts) + f" = {day.isoformat()}"
    if skipped:
        explanation += f"（跳过 {skipped} 个休息日）"
    if calendar.estimated_between(today, day):
        explanation += "（按估算日历）"
    return Feasible(day, explanation)




@dataclass(frozen=True)
class PlannedStage:
    name: str
    owner_role: str
    working_days: int
    planned_date: date


def plan_stages(steps, *, start: date, calendar: BusinessCalendar) -> list[PlannedStage]:
    """Each stage ends ``working_days`` working days after the previous one (the first after ``start``)."""
    planned, day = [], start
    for step in steps:
        day = add_working_days(calendar, day, step.working_days)
        planned.append(PlannedStage(step.name, step.owner_role, step.working_days, day))
    return planned


def subtract_working_days(calendar: BusinessCalendar, end: date, days: int) -> date:
    day = end
    for _step in range(days):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return day


def confirmed_plan_basis(order) -> tuple[date | None, int]:
    """(the latest feasible date, the longest lead time) the warehouse or production confirmed at 确认库存, over the
    lines still to deliver; (None, 0) before any was confirmed."""
    lines = open_lines(order)
    finish = max((line.feasible_date for line in lines if line.feasible_date), default=None)
    lead = max((line.lead_time_days or 0 for line in lines if line.availability != "in_stock"), default=0)
    return finish, lead


def plan_from_confirmation(steps, *, finish: date | None, lead_time_days: int, today: date,
                           calendar: BusinessCalendar) -> list[PlannedStage]:
    """The stages of a template, planned from what 确认库存 confirmed: the production stages take the confirmed
    lead time (when a line is short or to be produced) instead of the template's days, and the plan is laid out
    backwards from the confirmed feasible date, the last stage ending on it. A plan that would have to start
    before today (or no confirmed date) is laid out forwards from today on the business calendar."""
    steps = [PlannedStage(step.name, step.owner_role,
                          lead_time_days if lead_time_days and step.owner_role == Role.PRODUCTION else step.working_days,
                          today) for step in steps]
    if finish is not None:
        ends, day = [], finish
        for step in reversed(steps):
            ends.append(day)
            day = subtract_working_days(calendar, day, step.working_days)
        if day >= today:
            return [PlannedStage(step.name, step.owner_role, step.working_days, end)
                    for step, end in zip(steps, reversed(ends), strict=True)]
    return plan_stages(steps, start=today, calendar=calendar)


def stage_roles() -> dict[str, str]:
    """The role that owns each stage of the default template, by the stage's name."""
    template = StageTemplate.objects.filter(is_default=True).prefetch_related("steps").first()
    return {step.name: step.owner_role for step in template.steps.all()} if template else {}


def stage_owner_choices(roles) -> dict[str, str]:
    """The active people who hold one of ``roles``: username → "姓名（角色）", for a stage's owner."""
    people = User.objects.filter(is_active=True, groups__name__in=list(roles)).distinct().order_by("username")
    choices = {}
    for person in people.prefetch_related("groups"):
        groups = {group.name for group in person.groups.all()}
        held = [Role(code).label for code in Role.values if code in roles and code in groups]
        choices[person.username] = f"{person.display_name or person.username}（{'、'.join(map(str, held))}）"
    return choices


def default_stage_plan(order=None) -> list[dict]:
    """The default stage template planned from the feasible date and lead time confirmed at 确认库存 (see
    ``plan_from_confirmation``), owners by role: the first active person who holds the stage's role."""
    template = StageTemplate.objects.filter(is_default=True).prefetch_related("steps").first()
    if template is None:
        return [{"name": "", "owner": "", "planned_date": ""}]
    finish, lead = confirmed_plan_basis(order) if order is not None else (None, 0)
    plan = plan_from_confirmation(template.steps.all(), finish=finish, lead_time_days=lead, today=clock.today(),
                                  calendar=BusinessCalendar.load())
    owners = {}
    for stage in plan:
        if stage.owner_role not in owners:
            person = User.objects.filter(is_active=True, groups__name=stage.owner_role).order_by("id").first()
            owners[stage.owner_role] = person.username if person else ""
    return [{"name": stage.name, "owner": owners[stage.owner_role], "planned_date": stage.planned_date} for stage in plan]


# --- accuracy (信息准确性): dates as they can be -------------------------------------------------------------------

def actual_date_problem(value: date | None) -> str | None:
    """An actual date (a stage finished, goods shipped or accepted) has happened: not after today in Beijing."""
    today = clock.today()
    if value and value > today:
        return _("实际日期 %(date)s 晚于今天 %(today)s：实际发生的日期不能是将来") % {
            "date": value.isoformat(), "today": today.isoformat()}
    return None


def planned_date_problem(value: date | None, order_date: date | None) -> str | None:
    """A planned date (a stage, a feasible or agreed date) lies on or after the day the order was placed."""
    if value and order_date and value < order_date:
        return _("计划日期 %(date)s 早于下单日期 %(order_date)s") % {
            "date": value.isoformat(), "order_date": order_date.isoformat()}
    return None


def eta_problem(eta: date | None, shipped_on: date) -> str | None:
    """The goods arrive on or after the day they leave."""
    if eta and eta < shipped_on:
        return _("预计到达日期 %(eta)s 早于发货日期 %(shipped)s") % {"eta": eta.isoformat(), "shipped": shipped_on.isoformat()}
    return None
