"""Step 2's date negotiation (协商交期): a date agreed per line (one date for all still works), and a deadline
for the negotiation itself — one business day by default — met by agreeing the date, escalated when missed."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput
from orderloop.notifications.models import Notification
from orderloop.orders.models import OrderLine, OrderTimer
from orderloop.orders.timers import timers_flag_breaches
from tests.support.api_client import Api
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


@pytest.fixture
def negotiating(orders, product):
    """Two lines, each feasible on 2031-01-31, later than the customer's 2030-05-25: 交期协商中 since Monday 10:00."""
    with clock.frozen_at(MONDAY):
        return orders.at("date_negotiation", lines=[
            {"product_id": product.pk, "quantity": "10", "unit_price": "5000"},
            {"product_id": product.pk, "quantity": "2", "unit_price": "5000"}])


def test_each_line_gets_its_own_agreed_date(negotiating, users):
    first, second = negotiating.lines.all()
    order = act(negotiating, "agree_date", users["account_manager"], talk="客户同意分两批",
                lines=[{"line_id": first.pk, "agreed_date": "2031-02-01"}, {"line_id": second.pk, "agreed_date": "2031-03-15"}])
    assert order.status == "confirmed"
    assert [line.agreed_date for line in order.lines.all()] == [date(2031, 2, 1), date(2031, 3, 15)]
    assert order.promised_date == date(2031, 3, 15)  # the order is delivered when its last line is
    event = order.events.get(type="date_agreed")
    assert [line["agreed_date"] for line in event.payload["lines"]] == ["2031-02-01", "2031-03-15"]


def test_one_date_still_applies_to_every_line(negotiating, users):
    order = act(negotiating, "agree_date", users["account_manager"], agreed_date="2031-02-01", talk="客户同意")
    assert {line.agreed_date for line in order.lines.all()} == {date(2031, 2, 1)}
    first = order.lines.first()
    assert order.promised_date == date(2031, 2, 1) and first.agreed_date == date(2031, 2, 1)


def test_a_line_left_out_takes_the_common_date_and_every_line_needs_one(negotiating, users):
    first, second = negotiating.lines.all()
    with pytest.raises(InvalidInput) as refused:
        act(negotiating, "agree_date", users["account_manager"], talk="客户同意",
            lines=[{"line_id": first.pk, "agreed_date": "2031-02-01"}])
    assert refused.value.errors == {"agreed_date": ["第 2 行缺少约定交期"]}
    with pytest.raises(InvalidInput) as refused:
        act(negotiating, "agree_date", users["account_manager"], talk="客户同意", agreed_date="2031-02-01",
            lines=[{"line_id": second.pk, "agreed_date": "2031-01-30"}])
    assert refused.value.errors == {"lines.0.agreed_date": ["第 2 行约定交期不能早于可交付日期 2031-01-31"]}
    assert refused.value.message == "约定交期有误：第 2 行约定交期不能早于可交付日期 2031-01-31"
    assert set(OrderLine.objects.filter(order=negotiating).values_list("agreed_date", flat=True)) == {None}
    order = act(negotiating, "agree_date", users["account_manager"], talk="客户同意", agreed_date="2031-02-01",
                lines=[{"line_id": second.pk, "agreed_date": "2031-04-01"}])
    assert [line.agreed_date for line in order.lines.all()] == [date(2031, 2, 1), date(2031, 4, 1)]


def test_the_api_takes_dates_per_line(negotiating, users):
    first, second = negotiating.lines.all()
    response = Api("account_manager").action(negotiating.number, "agree_date", talk="电话确认", lines=[
        {"line_id": first.pk, "agreed_date": "2031-02-02"}, {"line_id": second.pk, "agreed_date": "2031-02-03"}])
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    schema = Api("account_manager").get("/openapi.json").json()["components"]["schemas"]
    assert "lines" in schema["AgreeDatePayload"]["properties"]


def test_the_web_form_shows_a_date_per_line(negotiating, users):
    web = Client()
    web.force_login(users["account_manager"])
    page = web.get(f"/orders/{negotiating.number}/").content.decode()
    assert 'name="lines.0.agreed_date"' in page and 'name="lines.1.agreed_date"' in page
    first, second = negotiating.lines.all()
    response = web.post(f"/orders/{negotiating.number}/actions/agree_date/", {
        "version": negotiating.version, "talk": "客户同意", "agreed_date": "",
        "lines.0.line_id": first.pk, "lines.0.agreed_date": "2031-02-05",
        "lines.1.line_id": second.pk, "lines.1.agreed_date": "2031-02-06"})
    assert response.status_code == 302
    assert list(OrderLine.objects.filter(order=negotiating).values_list("agreed_date", flat=True)) == [
        date(2031, 2, 5), date(2031, 2, 6)]


def _negotiation_timer(order):
    return OrderTimer.objects.get(order=order, kind="negotiation")


def test_the_negotiation_has_a_deadline_of_one_business_day_met_by_agreeing(negotiating, users):
    timer = _negotiation_timer(negotiating)
    assert (timer.state, timer.due_at) == ("running", datetime(2026, 3, 3, 10, 0, tzinfo=SH))
    with clock.frozen_at(datetime(2026, 3, 3, 9, 30, tzinfo=SH)):
        act(negotiating, "agree_date", users["account_manager"], agreed_date="2031-02-01", talk="客户同意")
    timer.refresh_from_db()
    assert (timer.state, timer.met_at) == ("met", datetime(2026, 3, 3, 9, 30, tzinfo=SH))


def test_a_missed_negotiation_deadline_goes_to_the_sales_manager_once(negotiating, users):
    with clock.frozen_at(datetime(2026, 3, 3, 10, 1, tzinfo=SH)):
        assert timers_flag_breaches() == 1
        assert timers_flag_breaches() == 0
    assert _negotiation_timer(negotiating).state == "breached"
    told = set(Notification.objects.filter(event="timer_breached:negotiation").values_list("recipient__username", "channel"))
    assert told == {("sales_manager", "inapp"), ("sales_manager", "email")}


def test_the_negotiation_deadline_is_a_setting(orders, product, settings):
    settings.ORDERLOOP_SLA = {**settings.ORDERLOOP_SLA, "negotiation": (2, "working_days")}
    with clock.frozen_at(MONDAY):
        order = orders.at("date_negotiation")
    assert _negotiation_timer(order).due_at.astimezone(SH).date() == date(2026, 3, 4)
