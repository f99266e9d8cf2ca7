"""After-sales tickets change state only through their table (``aftersales.lifecycle``): a step in the wrong
state is refused with 409, a role outside the step's rows with 403, a refused step changes nothing, the ticket
page offers exactly the steps the server would take, and no module but the engine's one function sets a
ticket's state."""
import ast
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.accounts.permissions import TICKET_HANDLERS, TICKET_OPENERS
from orderloop.accounts.roles import Role
from orderloop.aftersales import lifecycle
from orderloop.aftersales.lifecycle import (STAY, SYSTEM, TICKET_ACTIONS, TICKET_TRANSITIONS, ticket_available_actions,
                                            ticket_refusal)
from orderloop.aftersales.models import Ticket, TicketState
from orderloop.aftersales.services import (ticket_close, ticket_follow_up, ticket_give_solution, ticket_open, ticket_resolve,
                                           ticket_respond)
from orderloop.core import clock
from orderloop.core.exceptions import InvalidTransition, NotAllowed, NotFound
from orderloop.orders.models import OrderEvent
from tests.support.api_client import Api

SH = ZoneInfo("Asia/Shanghai")
AFTERSALES = Path(__file__).resolve().parents[2] / "orderloop" / "aftersales"
THE_WRITER = ("lifecycle.py", "_ticket_write")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def delivered(orders):
    with clock.frozen_at(at(2026, 3, 2, 9, 0)):
        return orders.at("delivered", paid=True)  # the balance paid on arrival


@pytest.fixture
def ticket(delivered, users):
    with clock.frozen_at(at(2026, 3, 2, 10, 0)):
        return ticket_open(order_id=delivered.pk, actor=users["account_manager"], ticket_type="quality",
                           description="服务器运行时有异响")


def _step(name, ticket, user):
    """Take step ``name`` on ``ticket`` with valid input."""
    with clock.frozen_at(at(2026, 3, 2, 11, 0)):
        if name == "respond":
            return ticket_respond(ticket_id=ticket.pk, actor=user, note="已电话联系")
        if name == "give_solution":
            return ticket_give_solution(ticket_id=ticket.pk, actor=user, solution_type="repair", solution="上门检测",
                                        promised_at=at(2026, 3, 3, 17, 0))
        if name == "resolve":
            return ticket_resolve(ticket_id=ticket.pk, actor=user, result="已更换风扇")
        if name == "follow_up":
            return ticket_follow_up(ticket_id=ticket.pk, actor=user, confirmed=True, satisfaction=5, note="客户确认")
        if name == "close":
            return ticket_close(ticket_id=ticket.pk, actor=user)
    raise AssertionError(name)


def _through(ticket, user, *names):
    for name in names:
        _step(name, ticket, user)
    return Ticket.objects.get(pk=ticket.pk)


# the table


def test_the_table_names_states_roles_and_one_entry():
    states, roles = set(TicketState.values), set(Role.values) | {SYSTEM}
    for t in TICKET_TRANSITIONS:
        assert t.sources <= states and t.targets <= states | {STAY} and t.targets and t.roles <= roles, t
    assert [t.action for t in TICKET_TRANSITIONS if not t.sources] == ["open"]
    assert {t.action for t in TICKET_TRANSITIONS} == set(TICKET_ACTIONS)
    assert not any(TicketState.CLOSED in t.sources for t in TICKET_TRANSITIONS), "a closed ticket is closed"


def test_the_table_agrees_with_the_role_gates_of_the_api_and_the_order_page():
    """``TICKET_OPENERS`` and ``TICKET_HANDLERS`` gate the API's ticket operations and the order page's form."""
    for t in TICKET_TRANSITIONS:
        assert t.roles == (TICKET_OPENERS | {SYSTEM} if t.action == "open" else TICKET_HANDLERS), t


# refusals


def test_a_step_in_the_wrong_state_is_an_invalid_transition(ticket, users):
    with pytest.raises(InvalidTransition) as refused:
        _step("resolve", ticket, users["after_sales"])
    assert (refused.value.message, refused.value.http_status) == ("须先给出解决方案", 409)
    with pytest.raises(InvalidTransition) as refused:
        _step("follow_up", ticket, users["after_sales"])
    assert refused.value.message == "尚未填写处理结果，不能回访客户"
    with pytest.raises(InvalidTransition) as refused:
        _step("close", ticket, users["after_sales"])
    assert refused.value.message == "不能关闭：尚未填写处理结果；尚未回访客户确认处理结果"
    closed = _through(ticket, users["after_sales"], "give_solution", "resolve", "follow_up", "close")
    assert closed.state == TicketState.CLOSED
    for name in ["respond", "give_solution", "resolve", "follow_up", "close"]:
        with pytest.raises(InvalidTransition) as refused:
            _step(name, closed, users["account_manager"])
        assert refused.value.message == "该反馈已关闭"


def test_a_role_outside_the_rows_is_not_allowed_whatever_the_state(ticket, users):
    for role in ["sales_assistant", "sales_manager", "sales_director", "logistics", "admin"]:
        for name in ["respond", "give_solution", "resolve", "follow_up", "close"]:
            with pytest.raises(NotAllowed) as refused:
                _step(name, ticket, users[role])
            assert (refused.value.message, refused.value.http_status) == ("只有售后工程师或客户经理可以处理客户反馈", 403)
    with pytest.raises(NotAllowed):  # asked before the ticket is read: a missing one tells nothing
        ticket_respond(ticket_id=ticket.pk + 1000, actor=users["sales_assistant"], note="好")
    with pytest.raises(NotFound):
        ticket_respond(ticket_id=ticket.pk + 1000, actor=users["after_sales"], note="好")
    with pytest.raises(NotAllowed) as refused:
        ticket_open(order_id=ticket.order_id, actor=users["sales_director"], ticket_type="quality", description="x")
    assert refused.value.message == "您的角色不能登记售后问题"


def test_a_refused_step_changes_nothing(ticket, users):
    before = (Ticket.objects.filter(pk=ticket.pk).values().get(), OrderEvent.objects.count(), ticket.timers.count())
    for name, role in [("resolve", "after_sales"), ("close", "account_manager"), ("respond", "sales_manager")]:
        with pytest.raises((InvalidTransition, NotAllowed)):
            _step(name, ticket, users[role])
    assert (Ticket.objects.filter(pk=ticket.pk).values().get(), OrderEvent.objects.count(), ticket.timers.count()) == before


def test_refusal_and_available_actions_agree_in_every_state(ticket, users):
    """Each state reached by the steps: what ``ticket_available_actions`` lists is exactly what
    ``ticket_refusal`` lets through, for a handler and for a role outside the rows."""
    path = [(None, TicketState.OPEN), ("respond", TicketState.RESPONDED), ("give_solution", TicketState.SOLUTION_GIVEN),
            ("resolve", TicketState.RESOLVED), ("follow_up", TicketState.RESOLVED), ("close", TicketState.CLOSED)]
    seen = []
    for step, state in path:
        if step:
            _step(step, ticket, users["after_sales"])
        current = Ticket.objects.select_related("order").get(pk=ticket.pk)
        assert current.state == state
        for role in ["after_sales", "account_manager", "sales_assistant"]:
            available = ticket_available_actions(current, users[role])
            assert available == [n for n in TICKET_ACTIONS if ticket_refusal(current, users[role], n) is None], (state, role)
        seen.append(ticket_available_actions(current, users["after_sales"]))
    assert seen == [
        ["respond", "give_solution"],
        ["respond", "give_solution"],
        ["respond", "give_solution", "resolve"],
        ["respond", "give_solution", "follow_up"],
        ["respond", "give_solution", "follow_up", "close"],
        [],
    ]
    assert ticket_available_actions(current, users["sales_assistant"]) == []
    assert ticket_refusal(None, None, "open") is None  # the customer, through the rating link
    assert isinstance(ticket_refusal(current, users["after_sales"], "reopen"), NotFound)


def test_not_solved_for_the_customer_goes_back_for_a_new_solution(ticket, users):
    resolved = _through(ticket, users["after_sales"], "give_solution", "resolve")
    with clock.frozen_at(at(2026, 3, 2, 12, 0)):
        back = ticket_follow_up(ticket_id=resolved.pk, actor=users["account_manager"], confirmed=False, satisfaction=None,
                                note="仍有异响")
    assert (back.state, back.result, back.resolved_at) == (TicketState.RESPONDED, "", None)
    assert ticket_available_actions(back, users["after_sales"]) == ["respond", "give_solution"]


# through the API and the page


def test_the_api_answers_409_for_the_wrong_state_and_403_for_the_wrong_role(ticket, users):
    resolve = Api("after_sales").post(f"/tickets/{ticket.pk}/resolve", {"result": "已解决"})
    assert resolve.status_code == 409 and resolve.json()["code"] == "illegal_transition", resolve.json()
    assert resolve.json()["detail"] == "须先给出解决方案"
    assert Api("sales_manager").post(f"/tickets/{ticket.pk}/respond", {"note": "好"}).status_code == 403
    close = Api("after_sales").post(f"/tickets/{ticket.pk}/close")
    assert close.status_code == 409 and close.json()["code"] == "illegal_transition"


def test_the_ticket_page_offers_the_steps_the_server_would_take(ticket, users):
    def page(username):
        client = Client()
        client.force_login(users[username])
        return client.get(f"/tickets/{ticket.pk}/").content.decode()

    steps = lambda html: [s for s in ["respond", "solution", "resolve", "follow_up", "close"]  # noqa: E731
                          if f'name="step" value="{s}"' in html]
    opened = page("after_sales")
    assert steps(opened) == ["respond", "solution"] and "暂不能关闭" in opened
    assert 'id="ticket-steps"' not in page("sales_assistant")
    _through(ticket, users["after_sales"], "give_solution")
    assert steps(page("account_manager")) == ["solution", "resolve"]
    _through(ticket, users["after_sales"], "resolve")
    assert steps(page("after_sales")) == ["follow_up"]
    _through(ticket, users["after_sales"], "follow_up")
    confirmed = page("after_sales")
    assert steps(confirmed) == ["close"] and "暂不能关闭" not in confirmed
    _through(ticket, users["after_sales"], "close")
    assert 'id="ticket-steps"' not in page("after_sales")


# the one writer of a ticket's state


def _state_writes(path: Path) -> list[tuple[str, int]]:
    """(function, line) of each place in ``path`` that sets a ``state``: ``x.state = …`` (also in a tuple and
    augmented), ``setattr(x, "state", …)``, and ``state=`` given to ``Ticket(…)``, ``create``, ``update`` and the
    like."""
    found = []

    def targets(node):
        if isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                yield from targets(element)
        elif isinstance(node, ast.Starred):
            yield from targets(node.value)
        else:
            yield node

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                nodes = child.targets if isinstance(child, ast.Assign) else [child.target]
                if any(isinstance(t, ast.Attribute) and t.attr == "state" for n in nodes for t in targets(n)):
                    found.append((function, child.lineno))
            elif isinstance(child, ast.Call):
                func = child.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name == "setattr" and len(child.args) > 1 and getattr(child.args[1], "value", None) == "state":
                    found.append((function, child.lineno))
                if name in {"Ticket", "create", "update", "get_or_create", "update_or_create", "bulk_create"} and any(
                        k.arg == "state" for k in child.keywords):
                    found.append((function, child.lineno))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def test_only_the_engine_sets_a_tickets_state():
    writes = {(path.name, function) for path in AFTERSALES.rglob("*.py") if "migrations" not in path.parts
              for function, _line in _state_writes(path)}
    assert writes == {THE_WRITER}
    assert hasattr(lifecycle, THE_WRITER[1])


def test_the_check_sees_a_second_writer(tmp_path):
    other = tmp_path / "other.py"
    other.write_text("def f(ticket):\n    ticket.state = 'closed'\n    ticket.result, ticket.state = '', 'open'\n"
                     "    setattr(ticket, 'state', 'x')\n    Ticket.objects.filter(pk=1).update(state='closed')\n"
                     "    Ticket(state='open')\n    Ticket.objects.filter(state='open')\n", encoding="utf-8")
    assert _state_writes(other) == [("f", 2), ("f", 3), ("f", 4), ("f", 5), ("f", 6)]
