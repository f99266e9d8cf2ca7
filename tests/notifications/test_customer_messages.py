"""Every message to a customer, by e-mail and by SMS, links only to what the customer opens without an account:
each kind of ``orders.customer_messages.CUSTOMER_MESSAGES`` is built, and sent through the outbox, and every link
in it is requested by an anonymous browser: 200, never a login page or an order page of the app."""
import json
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.notifications.delivery import outbox_deliver
from orderloop.notifications.models import Notification, NotificationRoute
from orderloop.notifications.services import notify
from orderloop.orders.customer_messages import CUSTOMER_MESSAGES
from orderloop.orders.models import FollowUpVisit
from orderloop.setup.site import site_url
from tests.support.sms_server import SmsServer, sms_settings

URL = re.compile(r"https?://[^\s，。；、）)\"']+")


def _shipment(orders, users):
    return orders.at("shipped").shipments.get()


def _visit(orders, users):
    return FollowUpVisit.objects.get(order=orders.at("delivered"))


def _ticket(orders, users):
    order = orders.at("delivered")
    ticket = ticket_open(order_id=order.pk, actor=users["after_sales"], ticket_type="damage", description="外箱破损")
    ticket.solution, ticket.result = "换货", "已换新机"
    return ticket


# One sample of each kind of customer message: a kind added to CUSTOMER_MESSAGES without one here fails below.
SAMPLES = {"shipment": _shipment, "visit": _visit, "ticket": _ticket}


def links_in(*texts) -> list[str]:
    return [url for text in texts for url in URL.findall(text or "")]


def assert_opens_without_login(url):
    assert url.startswith(site_url("/")), url
    path = urlsplit(url).path
    assert not path.startswith(("/orders/", "/login", "/accounts/", "/admin/", "/aftersales/", "/tickets/")), url
    response = Client().get(path)
    assert response.status_code == 200, (url, response.status_code, response.get("Location"))


def test_every_route_to_the_customer_names_a_customer_message(db):
    routed = set(NotificationRoute.objects.filter(role="customer").values_list("event", flat=True))
    assert routed and routed <= set(CUSTOMER_MESSAGES)


@pytest.mark.parametrize("kind", sorted(CUSTOMER_MESSAGES))
def test_each_customer_message_links_only_to_signed_pages(kind, orders, users):
    spec = CUSTOMER_MESSAGES[kind]
    assert spec.about in SAMPLES, f"no sample for the customer message {kind}: add one to SAMPLES"
    message = spec.build(SAMPLES[spec.about](orders, users))
    assert set(message.sms_params) == set(spec.sms_params)
    links = links_in(message.subject, message.body, message.link, *map(str, message.sms_params.values()))
    if message.link:
        assert message.link in links
    for url in links:
        assert_opens_without_login(url)


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_what_the_outbox_sends_the_customer_links_only_to_signed_pages(channel, orders, users, customer):
    server = SmsServer() if channel == "sms" else None
    try:
        if server:
            sms_settings(server.url)
            customer.notice_channel = "sms"
            customer.save()
        for kind, spec in sorted(CUSTOMER_MESSAGES.items()):
            message = spec.build(SAMPLES[spec.about](orders, users))
            NotificationRoute.objects.get_or_create(event=kind, role="customer", defaults={"channels": "email"})
            notify(event=kind, key=f"test:{kind}", subject="内部标题", body="内部正文", url="/orders/x/",
                   customer=message)
        with clock.frozen_at(clock.now()):
            outbox_deliver()
        to_customer = Notification.objects.filter(recipient__isnull=True, key__startswith="test:")
        assert sorted(to_customer.values_list("event", "channel", "state")) == [
            (kind, channel, "sent") for kind in sorted(CUSTOMER_MESSAGES)]
        if server:
            assert all(r["signature_ok"] for r in server.requests) and len(server.requests) >= len(CUSTOMER_MESSAGES)
            texts = [json.dumps(json.loads(r["params"]["TemplateParam"]), ensure_ascii=False) for r in server.requests]
        else:
            # the samples' own flows told the customer too (the rating link on delivery): every mail is read
            texts = [m.subject + "\n" + m.body for m in mail.outbox if "buyer@example.com" in m.to]
            assert len(texts) >= len(CUSTOMER_MESSAGES)
        assert not any("内部" in text or "/orders/" in text for text in texts)
        links = links_in(*texts)
        assert links
        for url in links:
            assert_opens_without_login(url)
    finally:
        if server:
            server.close()
