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
