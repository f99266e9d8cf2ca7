"""get_FOO_display from a table made once (core.choices): the same label as Django's, in the request's language."""
from django.utils import translation

from orderloop.aftersales.models import Ticket
from orderloop.orders.models import OrderStatus, SalesOrder


def test_every_status_reads_as_its_label_in_either_language_and_an_unknown_one_as_itself():
    for code, label in OrderStatus.choices:
        order = SalesOrder(status=code)
        with translation.override("zh-hans"):
            assert order.get_status_display() == str(label) == order._get_FIELD_display(SalesOrder._meta.get_field("status"))
        with translation.override("en"):
            assert order.get_status_display() == order._get_FIELD_display(SalesOrder._meta.get_field("status"))
    with translation.override("en"):
        assert SalesOrder(status="closed").get_status_display() == "Closed"
    assert SalesOrder(status="no_such_state").get_status_display() == "no_such_state"


def test_every_model_s_choice_fields_have_the_tabled_method():
    assert SalesOrder.get_status_display.__name__ == "get_status_display"
    assert Ticket.get_state_display.__name__ == "get_state_display"
