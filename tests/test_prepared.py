"""PreparedQuery (core/prepared.py) gives what the QuerySet it was made from gives: the same rows as model
instances with the same values and types, select_related instances included, counted as one query."""
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orderloop.core.prepared import PreparedQuery
from orderloop.orders.models import OrderLine, SalesOrder

LOCKED = PreparedQuery(SalesOrder, lambda pk: SalesOrder.objects.select_for_update().select_related("customer").filter(pk=pk)
                       .order_by(), for_write=True, prep=SalesOrder._meta.pk.get_prep_value)
LINES = PreparedQuery(OrderLine, lambda order_id: OrderLine.objects.filter(order_id=order_id))


def values(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_instances_are_those_of_the_queryset(orders):
    first, second = orders.at("confirmed"), orders.at("shipped")
    for order in (first, second):
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            [prepared] = LOCKED.all(str(order.pk))  # the value is prepared as filter() would
        assert len(ctx) == 1
        expected = SalesOrder.objects.select_related("customer").get(pk=order.pk)
        assert values(prepared) == values(expected)
        assert {k: type(v) for k, v in values(prepared).items()} == {k: type(v) for k, v in values(expected).items()}
        assert values(prepared.customer) == values(expected.customer)
        assert not prepared._state.adding and prepared._state.db == "default"
        assert [values(line) for line in LINES.all(order.pk)] == [values(line) for line in OrderLine.objects.filter(order=order)]
    with transaction.atomic():
        assert LOCKED.all(10**9) == []


def test_a_query_it_cannot_run_is_refused(orders):
    with pytest.raises(ValueError):
        PreparedQuery(SalesOrder, lambda pk: SalesOrder.objects.filter(pk=pk).prefetch_related("lines")).all(1)


def test_insert_saves_what_save_saves(orders, users):
    from orderloop.core.models import AuditEntry
    from orderloop.core.prepared import insert
    from orderloop.orders.models import OrderEvent

    order = orders.received()
    with CaptureQueriesContext(connection) as ctx:
        event = insert(OrderEvent(order=order, type="noted", actor=users["sales_assistant"], occurred_at=order.created_at,
                                  from_status="received", to_status="received", payload={"说明": "备注", "n": [1, 2]}))
    assert len(ctx) == 1 and event.pk and not event._state.adding
    stored = OrderEvent.objects.get(pk=event.pk)
    assert values(stored) == values(event)
    entry = insert(AuditEntry(occurred_at=order.created_at, actor=None, object_type="x", object_id="1", operation="y",
                              changes={"a": [1, 2]}))
    assert values(AuditEntry.objects.get(pk=entry.pk)) == values(entry)
    with pytest.raises(PermissionError):  # an entry already saved goes through save(): append-only
        insert(entry)


def test_update_writes_the_fields_named_and_refuses_a_missing_row(orders, users):
    from django.db import DatabaseError

    from orderloop.core.prepared import update

    order = orders.received()
    order.remarks, order.contact_name, order.version = "改过的备注", "王*", order.version + 1
    with CaptureQueriesContext(connection) as ctx:
        update(order, ["remarks", "version"])
    assert len(ctx) == 1
    stored = SalesOrder.objects.get(pk=order.pk)
    assert (stored.remarks, stored.version, stored.contact_name) == ("改过的备注", order.version, "李*")
    order.pk = 10**9
    with pytest.raises(DatabaseError):
        update(order, ["remarks"])


def test_actions_keep_their_statements_prepared_on_postgresql_and_lists_do_not(orders, users):
    """The lifecycle's short statements are kept prepared (parsed and planned once per connection); a list,
    whose best plan depends on its filter (a status of a thousand orders or of eight hundred thousand), is
    planned for its own parameters every time."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements on the server are PostgreSQL's; SQLite keeps its own statement cache")
    from orderloop.orders.selectors import order_list

    for _ in range(6):
        orders.at("pending_approval")
    for _ in range(6):
        list(order_list(user=users["sales_director"], status=["received"])[:50])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "orders_salesorder"' in sql and "FOR UPDATE" in sql for sql in prepared), prepared
    assert not any('"orders_salesorder"."archived_at" IS NULL' in sql for sql in prepared), prepared
    assert connection.connection.prepare_threshold is None  # restored after each action
