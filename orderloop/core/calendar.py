"""China's business calendar: working days with statutory holidays and
adjusted working days (调休), business hours, and deadline arithmetic.

Pure functions over a ``BusinessCalendar`` that holds the days an admin entered, the years an admin entered
from the State Council's notice, and the business hours; every time is computed in Asia/Shanghai.
Sources of a day, in order: the admin's entries (``CalendarOverride``); for a year the admin entered whole
(``CalendarYear``), every other day is a working day from Monday to Friday; the ``chinese-calendar`` package
(the notices it ships with); for a year none of these knows, the ``holidays`` package's estimate (statutory
days without make-up working days), marked estimated so that deadlines and dates show it and the admin is
alerted (``calendar_alerts``).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
from django.conf import settings
from django.utils.translation import gettext as _

from orderloop.core.process_cache import ProcessCache

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DayInfo:
    is_workday: bool
    estimated: bool = False
    source: str = "notice"  # override | entered | notice | estimate


@lru_cache(maxsize=64)
def notice_known(year: int) -> bool:
    """Whether the holiday schedules shipped with the product cover ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _package_day(day: date) -> DayInfo:
    if notice_known(day.year):
        return DayInfo(chinese_calendar.is_workday(day))
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
    entered_years: frozenset = frozenset()

    @classmethod
    def load(cls) -> "BusinessCalendar":
        start, end = parse_hours(settings.ORDERLOOP_BUSINESS_HOURS)
        overrides, entered = _entries()
        return cls(overrides=dict(overrides), day_start=start, day_end=end, entered_years=entered)

    # --- days --------------------------------------------------------------

    def day(self, day: date) -> DayInfo:
        if day in self.overrides:
            return DayInfo(self.overrides[day], source="override")
        if day.year in self.entered_years:
            return DayInfo(day.weekday() < 5, source="entered")
        return _package_day(day)

    def year_known(self, year: int) -> bool:
        """The year's holidays and 调休 are known: entered by the admin or shipped with the product."""
        return year in self.entered_years or notice_known(year)

    def estimated_between(self, first: date, last: date) -> bool:
        """Whether a date computed from ``first`` to ``last`` crossed a year whose schedule is only estimated."""
        return any(not self.year_known(year) for year in range(min(first, last).year, max(first, last).year + 1))

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
        for _day in range(days):
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

    def deadline_estimated(self, start: datetime, due: datetime, *, clock: str) -> bool:
        """A deadline counted on the calendar is estimated when its days run into a year not yet known."""
        return clock != "clock_hours" and self.estimated_between(local(start).date(), local(due).date())


# --- the admin's entries, read once per process --------------------------------------------------
# Every deadline needs the calendar, and every lifecycle action that starts a timer computes one; the entries
# (days and whole years) change a few times a year. So they are kept per process (core.process_cache): read again
# when a CalendarOverride or CalendarYear is saved or deleted here, once that transaction commits; after a flush
# or migrate; and at the latest after ``ENTRIES_TTL`` seconds, the bound for other processes (web workers, the
# queue worker).
ENTRIES_TTL = 60.0


def _load_entries() -> tuple[dict[date, bool], frozenset]:
    from orderloop.core.models import CalendarOverride, CalendarYear

    return (dict(CalendarOverride.objects.values_list("date", "is_workday")),
            frozenset(CalendarYear.objects.values_list("year", flat=True)))


_ENTRIES = ProcessCache(_load_entries, ENTRIES_TTL)


def _entries() -> tuple[dict[date, bool], frozenset]:
    """The entered days and years, shared: callers copy before they change them."""
    return _ENTRIES.get()


def entries_changed(**_kwargs) -> None:
    """Days or a year were entered or removed (also by bulk statements, which send no signal)."""
    _ENTRIES.changed()


def date_estimated(day: date | None) -> bool:
    """A date computed on the calendar into a year whose holidays are not known yet is an estimate."""
    return day is not None and not (notice_known(day.year) or day.year in _entries()[1])


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def local_text(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as people here read it: Beijing time, to the minute ("" for none)."""
    return moment.astimezone(SHANGHAI).strftime(fmt) if moment else ""


@dataclass(frozen=True)
class CalendarAlert:
    year: int
    message: str


def calendar_alerts(today: date, calendar: BusinessCalendar | None = None) -> list[CalendarAlert]:
    """The years whose holidays an admin must enter now: this year if it is unknown, and from 1 December the next."""
    calendar = calendar or BusinessCalendar.load()
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    return [CalendarAlert(year, _("%(year)s 年法定节假日安排尚未录入，截止日期暂按周末和法定节日估算。"
                                  "请在 系统设置 → 工作日历 录入国务院办公厅的放假通知。") % {"year": year})
            for year in years if not calendar.year_known(year)]


def connect_signals() -> None:
    """Empty the entries' cache when an entry or a year changes (after its commit) and after a migrate or flush;
    connected by ``CoreConfig.ready``."""
    from django.db.models.signals import post_delete, post_migrate, post_save

    for model in ("core.CalendarOverride", "core.CalendarYear"):
        post_save.connect(entries_changed, sender=model, dispatch_uid=f"calendar_{model}_saved")
        post_delete.connect(entries_changed, sender=model, dispatch_uid=f"calendar_{model}_deleted")
    post_migrate.connect(_ENTRIES.forget, dispatch_uid="calendar_entries_migrated")
