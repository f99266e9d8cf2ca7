"""The date the company can deliver a line, in working days on the business calendar:
from stock, picking and packing; when short or to be produced, the production lead time too."""
from dataclasses import dataclass
from datetime import date

from django.conf import settings

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
    for _ in range(days):
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
