"""What a lifecycle action is made of. Each process step (``orders.steps``) declares its actions as ``Action``s
next to their handlers; with the action's rows in ``lifecycle.table`` they answer who may take it, from which
state, on which conditions, what it records, which deadlines it meets or starts, whom it tells and what its
form starts with."""
from dataclasses import dataclass, field
from typing import Callable

from pydantic import BaseModel

from orderloop.orders.models import EventType


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # marked for translation (gettext_noop); the button's and the timeline's wording
    event: EventType
    payload: type[BaseModel]
    # (order, actor, payload) -> (target state or STAY, event payload); changes the order, never its status
    handler: Callable
    # Each guard (order, user) returns why the action is refused now, or None. Guards about who acts
    # (separation of duties) answer 403, the others 409.
    duty_guards: tuple = field(default=())
    guards: tuple = field(default=())
    meets: frozenset = field(default=frozenset())   # the deadlines (TimerKind) it meets
    starts: frozenset = field(default=frozenset())  # the deadlines it starts itself (others start on entering a state)
    # (order, event, event payload) -> None: whom it tells, inside the action's transaction
    notice: Callable | None = None
    # (order) -> dict: what the web form starts with
    initial: Callable | None = None
    web_skip: frozenset = field(default=frozenset())  # payload fields the web form leaves out
    confirm: str = ""  # the question asked before an action that cannot be undone (gettext_noop)
    quiet: bool = False  # refused for want of something to do (no risk open…): not listed as blocked
    incidental: bool = False  # anyone may take it in passing: it does not make an order wait for someone
    work_in: frozenset = field(default=frozenset())  # …but in these states it does (进度跟进 in 备货/生产)

    def incidental_in(self, status: str) -> bool:
        return self.incidental and status not in self.work_in
