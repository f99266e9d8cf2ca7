"""The date the company can deliver a line, in working days on the business calendar:
from stock, picking and packing; when short or to be produced, the production lead time too."""
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.core import clock
from orderloop.core.calendar import BusinessCalendar
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


def default_stage_plan() -> list[dict]:
    """The default stage template planned from today on the business calendar, owners by role."""
    template = StageTemplate.objects.filter(is_default=True).prefetch_related("steps").first()
    if template is None:
        return [{"name": "", "owner": "", "planned_date": ""}]
    plan = plan_stages(template.steps.all(), start=clock.today(), calendar=BusinessCalendar.load())
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
