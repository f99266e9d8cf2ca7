"""China's business calendar: working days with statutory holidays and
adjusted working days (调休), business hours, and deadline arithmetic.

Pure functions over a ``BusinessCalendar`` that holds the overrides an admin
entered and the business hours; every time is computed in Asia/Shanghai.
Sources, in order: the override table; the ``chinese-calendar`` package (the
State Council's notices); for a year it does not know yet, the ``holidays``
package's estimate (statutory days without make-up working days), marked
estimated so that the deadline shows it and the admin is alerted.
"""
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic as time_monotonic
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
from django.conf import settings

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DayInfo:
    is_workday: bool
    estimated: bool = False
    source: str = "chinese-calendar"


def _package_day(day: date) -> DayInfo:
    try:
        return DayInfo(chinese_calendar.is_workday(day))
    except NotImplementedError:
        estimate = holidays.China(years=day.year).is_working_day(day)
        return DayInfo(bool(estimate), estimated=True, source="estimate")


def parse_hours(text: str) -> tuple[time, time]:
    start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    if end <= start:
        raise ValueError(f"business hours must end after they start: {text!r}")
    return start, end


@dataclass
class BusinessCalendar:
    overrides: dict[date, bool] = field(default_factory=dict)
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    estimated_days: set = field(default_factory=set)

    @classmethod
    def load(cls) -> "BusinessCalendar":
        start, end = parse_hours(settings.ORDERLOOP_BUSINESS_HOURS)
        return cls(overrides=_overrides(), day_start=start, day_end=end)

    # --- days --------------------------------------------------------------

    def day(self, day: date) -> DayInfo:
        if day in self.overrides:
            return DayInfo(self.overrides[day], source="override")
        info = _package_day(day)
        if info.estimated and day not in self.estimated_days:
            self.estimated_days.add(day)
            logger.warning("No official holiday schedule for %s: using an estimate", day)
        return info

    def is_working_day(self, day: date) -> bool:
        return self.day(day).is_workday

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    # --- deadlines ---------------------------------------------------------

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end (23:59:59 local) of the ``days``-th working day after ``start``'s local date."""
        day = local(start).date()
        for _ in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` counted only within business hours on working days."""
        remaining = timedelta(hours=hours)
        moment = local(start)
        day = moment.date()
        while True:
            if self.is_working_day(day):
                opens = datetime.combine(day, self.day_start, tzinfo=SHANGHAI)
                closes = datetime.combine(day, self.day_end, tzinfo=SHANGHAI)
                begin = max(moment, opens)
                if begin < closes:
                    if begin + remaining <= closes:
                        return begin + remaining
                    remaining -= closes - begin
            day += timedelta(days=1)
            moment = datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)

    def add_clock_hours(self, start: datetime, hours: float) -> datetime:
        return local(start) + timedelta(hours=hours)

    def deadline(self, start: datetime, *, amount: float, clock: str) -> datetime:
        if clock == "business_hours":
            return self.add_business_hours(start, amount)
        if clock == "working_days":
            return self.add_working_days(start, int(amount))
        if clock == "clock_hours":
            return self.add_clock_hours(start, amount)
        raise ValueError(f"unknown clock {clock!r}")


# --- the overrides, read once per process ------------------------------------------------------
# Every deadline needs the calendar, and every lifecycle action that starts a timer computes one; the
# override table changes a few times a year. So the overrides are kept per process and read again when:
# - a CalendarOverride is saved or deleted here: not before its transaction commits (until then each load reads
#   the table, so the changing transaction sees its change and a rollback leaves nothing stale behind);
# - the database is flushed or migrated (post_migrate: tests, restores);
# - ``OVERRIDES_TTL`` seconds have passed: the bound on how late another process (a web worker, the queue
#   worker) sees an admin's change.
OVERRIDES_TTL = 60.0
_cached: dict = {"overrides": None, "at": 0.0, "pending": 0}


def _overrides() -> dict[date, bool]:
    from orderloop.core.models import CalendarOverride

    cached = _cached["overrides"]
    if cached is not None and not _cached["pending"] and time_monotonic() - _cached["at"] < OVERRIDES_TTL:
        return dict(cached)
    overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    if not _cached["pending"]:
        _cached["overrides"], _cached["at"] = overrides, time_monotonic()
    return dict(overrides)


def overrides_forget(**_kwargs) -> None:
    _cached["overrides"] = None


def overrides_changed(**_kwargs) -> None:
    """A CalendarOverride was saved or deleted: read the table on every load until the change commits."""
    from django.db import transaction

    _cached["overrides"] = None
    _cached["pending"] += 1

    def committed():
        _cached["pending"] -= 1
        _cached["overrides"] = None
    transaction.on_commit(committed)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def coverage_problem(today: date, calendar: BusinessCalendar | None = None) -> str | None:
    """From 1 December on, next year's holiday schedule must be known (package or overrides)."""
    calendar = calendar or BusinessCalendar.load()
    if today.month < 12:
        return None
    next_year = today.year + 1
    covered_by_overrides = any(day.year == next_year for day in calendar.overrides)
    try:
        chinese_calendar.is_workday(date(next_year, 1, 1))
        return None
    except NotImplementedError:
        if covered_by_overrides:
            return None
        return (f"{next_year} 年的节假日与调休安排尚未录入：请在国务院通知发布后在「日历调整」中录入，"
                f"或升级 chinese-calendar；在此之前 {next_year} 年的期限按估算计算。")


def _connect_signals() -> None:
    from django.db.models.signals import post_delete, post_migrate, post_save

    post_save.connect(overrides_changed, sender="core.CalendarOverride", dispatch_uid="calendar_overrides_saved")
    post_delete.connect(overrides_changed, sender="core.CalendarOverride", dispatch_uid="calendar_overrides_deleted")
    post_migrate.connect(overrides_forget, dispatch_uid="calendar_overrides_migrated")


_connect_signals()
