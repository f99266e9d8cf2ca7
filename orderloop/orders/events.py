"""The order's timeline (``OrderEvent``): the one place that writes it. Actions, intake, corrections, the
logistics notice and after-sales tickets all record their events here; each type is an ``EventType`` member
with its label."""
from datetime import datetime

from orderloop.core.prepared import Held, held_run, insert
from orderloop.orders.models import EventType, OrderEvent


_EVENT_LABELS = dict(EventType.choices)


def event_label(code: str, texts=str) -> str:
    """The label of an event type, in the user's language (``texts``: a labels.Texts); an unknown code shows as
    itself."""
    return texts(_EVENT_LABELS[code]) if code in _EVENT_LABELS else code


def events_record(type: EventType, entries: list[tuple], *, actor, at: datetime, from_status: str | None = None,
                  to_status: str | None = None, after: Held | None = None) -> list[OrderEvent]:
    """One ``type`` event for each ``(order, payload)`` of ``entries``, by ``actor`` (None: the system or the
    customer) at ``at``; the statuses default to the order's status now (an event that moves nothing). An entry
    ``(order, payload, by)`` names its own actor (records brought in from a sheet, each by its 负责人). ``after``:
    a held write (the action's UPDATE of the order) goes out with the event (``core.prepared.Held``)."""
    events = [OrderEvent(order=entry[0], type=EventType(type), actor=entry[2] if len(entry) > 2 else actor,
                         occurred_at=at, from_status=entry[0].status if from_status is None else from_status,
                         to_status=entry[0].status if to_status is None else to_status, payload=entry[1])
              for entry in entries]
    if len(events) == 1:  # the common case, by the prepared INSERT
        insert(events[0], after=after)
    else:
        held_run(after)
        OrderEvent.objects.bulk_create(events, batch_size=1000)
    return events


def event_record(order, type: EventType, payload: dict, *, actor, at: datetime, from_status: str | None = None,
                 to_status: str | None = None, after: Held | None = None) -> OrderEvent:
    """One event on ``order``'s timeline (see ``events_record``)."""
    return events_record(type, [(order, payload)], actor=actor, at=at, from_status=from_status, to_status=to_status,
                         after=after)[0]
