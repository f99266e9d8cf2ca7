"""What the actions' guards read of an order, fetched for a whole list of orders at once (the today page asks
every order it lists which actions are open). Each guard reads its ``to_attr`` when the list fetched it, and
asks the database for the one order otherwise."""
from django.db.models import Prefetch

from orderloop.aftersales.models import Ticket
from orderloop.finance.models import Instalment
from orderloop.orders.models import FulfillmentStage


def guard_prefetches() -> list[Prefetch]:
    return [
        Prefetch("instalments", queryset=Instalment.objects.filter(is_open=True).order_by("number"), to_attr="open_instalments"),
        Prefetch("tickets", queryset=Ticket.objects.filter(closed_at__isnull=True), to_attr="open_tickets"),
        Prefetch("stages", queryset=FulfillmentStage.objects.filter(superseded=False, actual_date__isnull=True)
                 .order_by("position", "id"), to_attr="open_stages"),
    ]
