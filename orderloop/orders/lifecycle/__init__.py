"""The order lifecycle (SPEC section 2): ``table`` is the state machine (who may take which action from which
state, and where it may lead), ``spec`` what an action is made of, ``engine`` the one place that changes an
order's status. What each action does lives with its process step in ``orders.steps``."""
