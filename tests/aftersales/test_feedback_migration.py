"""The migration that makes a ticket its customer's: every existing ticket gets its order's customer."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orderloop.aftersales.models import Ticket
from orderloop.core import clock

BEFORE = [("aftersales", "0004_review_indexes")]
AFTER = [("aftersales", "0005_feedback_without_order")]


# serialized_rollback: the database is restored as the migrations left it (the tests after this one find it whole).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_tickets_get_their_orders_customer(orders, users):
    order = orders.at("received")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old_ticket = old.get_model("aftersales", "Ticket").objects.create(
        order_id=order.pk, ticket_type="quality", description="外壳划伤", opened_at=clock.now())
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    ticket = Ticket.objects.get(pk=old_ticket.pk)
    assert (ticket.customer_id, ticket.order_id) == (order.customer_id, order.pk)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # every migration that depends on it, applied again
