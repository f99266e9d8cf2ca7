"""The order's timeline is written in one place (``orders.events``), and every event type is an ``EventType``
member with its label."""
import ast
from pathlib import Path

from orderloop.orders.events import event_label
from orderloop.orders.models import EventType, OrderEvent
from orderloop.orders.steps import ACTIONS

PACKAGE = Path(__file__).resolve().parents[2] / "orderloop"
WRITER = PACKAGE / "orders" / "events.py"
WRITES = {"create", "bulk_create", "get_or_create", "update_or_create"}


def _event_writes(path: Path) -> list[int]:
    """Lines of ``path`` that make an OrderEvent row: ``OrderEvent(...)`` or ``OrderEvent.objects.create(...)`` and
    the like."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "OrderEvent":
            lines.append(node.lineno)
        elif (isinstance(func, ast.Attribute) and func.attr in WRITES and isinstance(func.value, ast.Attribute)
              and func.value.attr == "objects" and getattr(func.value.value, "id", "") == "OrderEvent"):
            lines.append(node.lineno)
    return lines


def test_only_the_events_module_writes_the_timeline():
    writers = {str(path.relative_to(PACKAGE)): lines for path in PACKAGE.rglob("*.py")
               if "migrations" not in path.parts and path != WRITER and (lines := _event_writes(path))}
    assert writers == {}
    assert _event_writes(WRITER), "the writer itself is seen by the check"


def test_the_check_sees_a_second_writer(tmp_path):
    other = tmp_path / "other.py"
    other.write_text("def f(order):\n    OrderEvent.objects.create(order=order, type='x')\n    OrderEvent(order=order)\n",
                     encoding="utf-8")
    assert _event_writes(other) == [2, 3]


def test_every_action_records_an_event_type_labelled_as_the_action():
    for action in ACTIONS.values():
        assert action.event in EventType.values
        assert event_label(action.event) == action.label


def test_every_recorded_event_is_a_member(orders):
    """A whole lifecycle, from intake to closing, leaves only events of known types, each with a label."""
    orders.at("closed")
    types = set(OrderEvent.objects.values_list("type", flat=True))
    assert types and types <= set(EventType.values)
    assert all(event_label(code) != code for code in types)
