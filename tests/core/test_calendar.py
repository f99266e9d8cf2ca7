"""China's business calendar (CHINA.md section 1)."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from orderloop.core.calendar import BusinessCalendar, DayInfo, calendar_alerts
from orderloop.core.models import CalendarOverride, CalendarYear

SH = ZoneInfo("Asia/Shanghai")


def test_every_day_2024_to_2026_matches_the_official_schedule():
    calendar = BusinessCalendar()
    day, mismatches = date(2024, 1, 1), []
    while day <= date(2026, 12, 31):
        info = calendar.day(day)
        if info.is_workday != chinese_calendar.is_workday(day) or info.estimated:
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


@pytest.mark.parametrize("day, working", [
    (date(2024, 2, 4), True), (date(2024, 10, 1), False), (date(2024, 10, 12), True), (date(2025, 1, 26), True),
    (date(2026, 1, 4), True), (date(2026, 2, 14), True), (date(2026, 2, 16), False), (date(2026, 2, 28), True),
    (date(2026, 5, 9), True), (date(2026, 9, 20), True), (date(2026, 10, 1), False), (date(2026, 10, 10), True),
])
def test_adjusted_working_days_and_holidays(day, working):
    assert BusinessCalendar().is_working_day(day) is working


def test_two_business_hours_across_spring_festival():
    calendar = BusinessCalendar()
    assert calendar.add_business_hours(datetime(2026, 2, 14, 17, 30, tzinfo=SH), 2) == datetime(2026, 2, 24, 10, 30, tzinfo=SH)


def test_three_working_days_across_national_day():
    calendar = BusinessCalendar()
    assert calendar.add_working_days(datetime(2026, 9, 30, 16, 0, tzinfo=SH), 3) == datetime(2026, 10, 10, 23, 59, 59, tzinfo=SH)
    assert calendar.add_working_days(datetime(2026, 2, 13, 16, 0, tzinfo=SH), 3) == datetime(2026, 2, 25, 23, 59, 59, tzinfo=SH)


def test_clock_hours_ignore_the_calendar():
    start = datetime(2026, 2, 13, 16, 0, tzinfo=SH)
    assert BusinessCalendar().add_clock_hours(start, 24) == datetime(2026, 2, 14, 16, 0, tzinfo=SH)


def test_business_hours_use_the_local_date_not_utc():
    # 2026-09-30T17:00Z is already 1 October (a holiday) in Shanghai
    start = datetime(2026, 9, 30, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert BusinessCalendar().add_business_hours(start, 1) == datetime(2026, 10, 8, 10, 0, tzinfo=SH)


def test_business_hours_are_a_setting():
    calendar = BusinessCalendar(day_start=datetime(2000, 1, 1, 8, 30).time(), day_end=datetime(2000, 1, 1, 17, 30).time())
    assert calendar.add_business_hours(datetime(2026, 3, 2, 17, 0, tzinfo=SH), 1) == datetime(2026, 3, 3, 9, 0, tzinfo=SH)


def test_an_override_wins(db):
    CalendarOverride.objects.create(date=date(2026, 10, 9), is_workday=False, note="公司调休")
    CalendarOverride.objects.create(date=date(2026, 10, 11), is_workday=True, note="加班")
    calendar = BusinessCalendar.load()
    assert calendar.day(date(2026, 10, 9)).source == "override"
    assert not calendar.is_working_day(date(2026, 10, 9)) and calendar.is_working_day(date(2026, 10, 11))
    assert calendar.add_working_days(datetime(2026, 9, 30, 16, 0, tzinfo=SH), 3) == datetime(2026, 10, 11, 23, 59, 59, tzinfo=SH)


def test_a_year_without_data_is_estimated():
    calendar = BusinessCalendar()
    info = calendar.day(date(2027, 1, 4))
    assert info.estimated and info.is_workday and info.source == "estimate"
    assert not calendar.is_working_day(date(2027, 1, 1))  # New Year's Day, even as an estimate
    assert calendar.estimated_between(date(2026, 12, 30), date(2027, 1, 4))
    assert not calendar.estimated_between(date(2026, 12, 1), date(2026, 12, 31))


def test_an_entered_year_is_weekdays_and_its_entries(db):
    CalendarOverride.objects.create(date=date(2027, 10, 1), is_workday=False, note="国庆节")
    CalendarOverride.objects.create(date=date(2027, 9, 26), is_workday=True, note="国庆节调休")
    CalendarYear.objects.create(year=2027, entered_at=datetime(2026, 12, 1, tzinfo=SH))
    calendar = BusinessCalendar.load()
    assert calendar.year_known(2027) and not calendar.estimated_between(date(2026, 12, 30), date(2027, 1, 4))
    assert calendar.day(date(2027, 1, 1)) == DayInfo(True, source="entered")  # not entered as a holiday: a Friday at work
    assert calendar.day(date(2027, 9, 26)).is_workday and not calendar.day(date(2027, 10, 1)).is_workday
    assert not calendar.is_working_day(date(2027, 10, 2))  # a Saturday


def test_the_alert_names_this_year_if_unknown_and_from_december_the_next(db):
    assert calendar_alerts(date(2026, 11, 30)) == []
    assert [alert.year for alert in calendar_alerts(date(2026, 12, 1))] == [2027]
    assert [alert.year for alert in calendar_alerts(date(2027, 6, 1))] == [2027]
    assert [alert.year for alert in calendar_alerts(date(2027, 12, 31))] == [2027, 2028]
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")  # one day is not the year
    assert [alert.year for alert in calendar_alerts(date(2026, 12, 1))] == [2027]
    CalendarYear.objects.create(year=2027, entered_at=datetime(2026, 12, 1, tzinfo=SH))
    assert calendar_alerts(date(2026, 12, 1)) == []
