"""PreparedQuery (core/prepared.py) gives what the QuerySet it was made from gives: the same rows as model
instances with the same values and types, select_related instances included, counted as one query. insert()
and update() refuse a model whose own save() they would skip; with ORDERLOOP_PREPARED_SQL off the ORM does the
work and the lifecycle writes the same rows."""
from datetime import datetime

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext, isolate_apps

from orderloop.core import clock, prepared
from orderloop.core.models import AuditEntry
from orderloop.core.prepared import PreparedQuery, PreparedRows, insert, read_together, server_prepared, update
from orderloop.orders.models import OrderEvent, OrderLine, OrderTimer, SalesOrder

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


def test_a_value_goes_wherever_the_query_asks_for_it_and_may_be_left_out_only_when_allowed(orders, users):
    first, second = orders.received(), orders.received()
    SalesOrder.objects.filter(pk=second.pk).update(owner=users["sales_manager"])
    mine = PreparedQuery(SalesOrder, lambda user_id, other: SalesOrder.objects.filter(
        Q(owner_id=user_id) | Q(entered_by_id=user_id)).order_by("pk"), params=2, may_omit=True)
    assert [o.pk for o in mine.all(users["sales_manager"].pk, 0)] == [second.pk]  # asked twice, ``other`` never
    for user_id in (first.owner_id, first.entered_by_id):
        assert [o.pk for o in mine.all(user_id, 0)] == list(SalesOrder.objects.filter(
            Q(owner_id=user_id) | Q(entered_by_id=user_id)).order_by("pk").values_list("pk", flat=True))
    if not prepared.enabled():  # ORDERLOOP_PREPARED_SQL off: the ORM runs each query as built, nothing to refuse
        return
    with pytest.raises(ValueError):  # not allowed to leave it out
        PreparedQuery(SalesOrder, lambda user_id, other: SalesOrder.objects.filter(owner_id=user_id), params=2).all(1, 2)
    with pytest.raises(ValueError):  # made into a pattern: the value would not be where the marker is
        PreparedQuery(SalesOrder, lambda ref: SalesOrder.objects.filter(provisional_ref__contains=ref), may_omit=True).all("x")


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


def test_a_query_of_several_values_and_of_text_gives_what_its_queryset_gives(orders, users):
    """Recipients are read by a role (text) and two people, either of whom may be missing."""
    from orderloop.accounts.models import User

    among = PreparedQuery(User, lambda role, a, b: User.objects.filter(groups__name=role, pk__in=[a, b]).order_by("pk"),
                          params=3)
    manager, assistant = users["sales_manager"], users["sales_assistant"]
    for role, a, b in (("sales_manager", manager.pk, assistant.pk), ("sales_assistant", manager.pk, assistant.pk),
                       ("sales_manager", manager.pk, None), ("sales_manager", None, None), ("nobody", manager.pk, manager.pk)):
        expected = list(User.objects.filter(groups__name=role, pk__in=[a, b]).order_by("pk"))
        with CaptureQueriesContext(connection) as ctx:
            found = among.all(role, a, b)
        assert [values(user) for user in found] == [values(user) for user in expected]
        assert len(ctx) == 1 or not prepared.enabled()  # the ORM asks nothing of pk__in=[None, None]
    with pytest.raises(TypeError):
        among.all("sales_manager", manager.pk)


def test_insert_rows_writes_what_bulk_create_writes_and_may_skip_conflicts(orders, users, prepared_sql):
    from orderloop.core.prepared import insert_rows
    from orderloop.notifications.models import Notification

    order, now = orders.received(), clock.now()

    def rows(prefix):
        return [Notification(key=f"{prefix}:{n}", event="x", channel="inapp", recipient=users["warehouse"], order=order,
                             subject="标题", body="内容", created_at=now, next_attempt_at=now) for n in range(3)]
    Notification.objects.bulk_create(rows("orm"), ignore_conflicts=True)
    with CaptureQueriesContext(connection) as ctx:
        insert_rows(rows("new"), ignore_conflicts=True)
        insert_rows(rows("new")[1:], ignore_conflicts=True)  # already there: skipped, no error
    assert len(ctx) == 2
    stored = {row.key: values(row) for row in Notification.objects.filter(order=order)}
    assert len(stored) == 6
    for n in range(3):
        written, expected = stored[f"new:{n}"], stored[f"orm:{n}"]
        assert {k: v for k, v in written.items() if k not in ("id", "key")} == {
            k: v for k, v in expected.items() if k not in ("id", "key")}
    with pytest.raises(IntegrityError), transaction.atomic():  # without ignore_conflicts a conflict is an error
        insert_rows(rows("new")[:1] + rows("other"))
    assert Notification.objects.filter(order=order).count() == 6  # and nothing of that INSERT stays


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


def test_actions_keep_their_statements_prepared_on_postgresql_and_lists_do_not(orders, users, settings):
    """The lifecycle's short statements are kept prepared (parsed and planned once per connection); a list,
    whose best plan depends on its filter (a status of a thousand orders or of eight hundred thousand), is
    planned for its own parameters every time."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements on the server are PostgreSQL's; SQLite keeps its own statement cache")
    from orderloop.orders.selectors import order_list

    settings.ORDERLOOP_PREPARED_SQL = True  # what is checked here, whatever the environment says
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


def test_what_every_page_reads_is_kept_prepared_on_postgresql_and_the_list_is_not(client, users, customer, settings):
    """The session, the user with their roles, the menu's unread count and the pickers' options (when they are read:
    otherwise kept under the master data's stamp) are the same statements on every page: planned once on a
    connection (``plan_once``). The list itself is planned for its filter each time."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements on the server are PostgreSQL's; SQLite keeps its own statement cache")
    from orderloop.orders import pickers

    settings.ORDERLOOP_PREPARED_SQL = True
    client.force_login(users["sales_manager"])
    for _ in range(6):
        pickers._KEPT.forget()  # the pickers' lists read on each page, as after a change of the master data
        assert client.get("/orders/?status=received").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    for table in ("accounts_session", "accounts_user", "notifications_notification", "orders_savedfilter",
                  "masterdata_product", "masterdata_customer"):
        assert any(f'FROM "{table}"' in sql for sql in prepared), (table, prepared)
    assert not any('FROM "orders_salesorder"' in sql for sql in prepared), prepared
    assert connection.connection.prepare_threshold is None  # restored after each statement


def test_statements_kept_prepared_are_planned_once_for_any_values_on_postgresql(db, settings):
    """A statement kept prepared on the server runs its generic plan (PostgreSQL planned some of them on every run
    otherwise); with prepared statements off (a pooler in transaction mode) or no SQL kept at all, the connection
    is left as it is."""
    if connection.vendor != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    from django.db import connections

    for on, kept, mode in ((True, True, "force_generic_plan"), (False, True, "auto"), (True, False, "auto")):
        settings.ORDERLOOP_PG_PREPARED_STATEMENTS, settings.ORDERLOOP_PREPARED_SQL = on, kept
        opened = connections.create_connection("default")  # a connection opened under the setting
        try:
            with opened.cursor() as cursor:
                cursor.execute("SHOW plan_cache_mode")
                assert cursor.fetchone()[0] == mode
        finally:
            opened.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_cursor_runs_the_statements_of_a_connection_on_postgresql_and_a_failure_or_reconnection_is_survived(
        orders, settings):
    """Making a cursor costs PostgreSQL's driver about what a short prepared statement costs: the connection's is
    kept for these statements, and neither a statement that failed nor a connection opened again stops the next."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's cursors are cheap: each statement makes its own")
    settings.ORDERLOOP_PREPARED_SQL = True
    order = orders.at("confirmed")
    cursors = []

    def spy(execute, sql, params, many, context):
        cursors.append(context["cursor"])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        with server_prepared():
            assert [line.pk for line in LINES.all(order.pk)] == [line.pk for line in order.lines.all()]
            assert [line.pk for line in LINES.all(order.pk)] == [line.pk for line in order.lines.all()]
        assert cursors[-1] is cursors[-2]
        with pytest.raises(DataError), transaction.atomic():
            LINES.all("不是编号")
        assert [line.pk for line in LINES.all(order.pk)] == [line.pk for line in order.lines.all()]
        connection.close()
        assert [line.pk for line in LINES.all(order.pk)] == [line.pk for line in order.lines.all()]


EVENTS = PreparedQuery(OrderEvent, lambda order_id: OrderEvent.objects.filter(order_id=order_id)
                       .select_related("actor").order_by("occurred_at", "id"))
TIMERS_OF = PreparedQuery(OrderTimer, lambda order_ids: OrderTimer.objects.filter(order_id__in=order_ids).order_by("id"))


@pytest.mark.parametrize("kept", [True, False], ids=["prepared", "orm"])
def test_reads_together_give_what_each_gives_alone_each_a_statement_in_one_round_trip_on_postgresql(orders, settings, kept):
    """read_together answers each read as its .all() would, in the order asked, each read a statement of its own
    (logged and counted) except one that can find nothing; on PostgreSQL with the prepared SQL on, all of them sent
    in one pipeline: the server answers them in order, the process waits for it once."""
    settings.ORDERLOOP_PREPARED_SQL = kept
    first, second = orders.at("shipped"), orders.at("confirmed")
    reads = [(LINES, (first.pk,)), (EVENTS, (second.pk,)), (TIMERS_OF, ([],)), (EVENTS, (first.pk,)),
             (TIMERS_OF, ([first.pk, second.pk],)), (LINES, (10**9,))]
    alone = [[values(row) for row in query.all(*args)] for query, args in reads]
    piped = []

    def spy(execute, sql, params, many, context):
        piped.append(bool(context["connection"].connection.pgconn.pipeline_status)
                     if connection.vendor == "postgresql" else False)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(spy):
        together = read_together(*reads)
    assert [[values(row) for row in rows] for rows in together] == alone
    assert [event.actor for event in together[1]] == [event.actor for event in second.events.order_by("occurred_at", "id")]
    assert len(ctx) == 5  # the empty list of orders asks nothing
    assert piped == [connection.vendor == "postgresql" and kept] * 5


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_read_together_raises_as_the_read_alone_and_the_next_goes_on(orders, settings):
    """A statement that fails inside the pipeline fails as it does alone (Django's DataError), and the reads after it
    run as before: new cursors for the next pipeline."""
    if connection.vendor != "postgresql":
        pytest.skip("a failure inside a pipeline is PostgreSQL's (SQLite runs the reads one by one, as .all() does, and "
                    "takes any text for a key, so this read cannot fail there)")
    settings.ORDERLOOP_PREPARED_SQL = True
    order = orders.at("shipped")
    with pytest.raises(DataError):
        LINES.all("不是编号")
    with pytest.raises(DataError):
        read_together((EVENTS, (order.pk,)), (LINES, ("不是编号",)))
    lines, events = read_together((LINES, (order.pk,)), (EVENTS, (order.pk,)))
    assert [line.pk for line in lines] == [line.pk for line in order.lines.all()]
    assert [event.pk for event in events] == list(order.events.order_by("occurred_at", "id").values_list("pk", flat=True))


# --- a model's own save() -----------------------------------------------------------------------

@pytest.fixture(params=[True, False], ids=["prepared", "orm"])
def prepared_sql(request, settings):
    """Each test below runs with ORDERLOOP_PREPARED_SQL on and off."""
    settings.ORDERLOOP_PREPARED_SQL = request.param
    return request.param


def test_update_refuses_the_audit_whose_save_keeps_it_append_only(orders, prepared_sql):
    """AuditEntry.save() refuses to change a saved entry; update() would write without asking it."""
    orders.received()
    entry = AuditEntry.objects.get(operation="received")
    entry.operation = "rewritten"
    with pytest.raises(TypeError, match=r"core\.AuditEntry overrides save\(\)"):
        update(entry, ["operation"])
    assert AuditEntry.objects.get(pk=entry.pk).operation == "received"


def test_insert_and_update_refuse_a_model_whose_save_they_would_skip(orders, prepared_sql):
    order = orders.received()
    with isolate_apps("orderloop.orders", "orderloop.core"):
        class Stamped:  # a save() that reaches the model through its bases, not its own body
            def save(self, *args, **kwargs):
                self.payload = {**self.payload, "stamped": True}
                super().save(*args, **kwargs)

        class StampedEvent(Stamped, OrderEvent):
            class Meta:
                proxy = True
                app_label = "orders"

        class Reworded(AuditEntry):  # its own save(): what AuditEntry says of its save() does not cover this one
            class Meta:
                proxy = True
                app_label = "core"

            def save(self, *args, **kwargs):
                self.operation = self.operation.upper()
                super().save(*args, **kwargs)

    events = OrderEvent.objects.count()
    event = StampedEvent(order=order, type="noted", occurred_at=order.created_at, from_status="received",
                         to_status="received", payload={})
    with pytest.raises(TypeError, match=r"orders\.StampedEvent overrides save\(\) \(Stamped\.save in "):
        insert(event)
    assert OrderEvent.objects.count() == events
    stored = StampedEvent.objects.filter(order=order).first()
    with pytest.raises(TypeError, match=r"orders\.StampedEvent"):
        update(stored, ["payload"])
    with pytest.raises(TypeError, match=r"core\.Reworded overrides save\(\) \(Reworded\.save "):
        insert(Reworded(occurred_at=order.created_at, object_type="x", object_id="1", operation="y"))


def written(order) -> dict:
    """What the lifecycle wrote for ``order``: the order, its lines, timeline, deadlines and audit, without the
    keys and numbers that differ from one order to the next."""
    volatile = {"id", "order_id", "line_id", "shipment_id", "object_id", "object_repr", "provisional_ref", "number",
                "number_seq", "receipt"}

    def plain(value):
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items() if key not in volatile}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return value

    return plain({
        "order": SalesOrder.objects.filter(pk=order.pk).values().get(),
        "lines": list(OrderLine.objects.filter(order=order).order_by("pk").values()),
        "events": list(OrderEvent.objects.filter(order=order).order_by("pk").values()),
        "timers": list(OrderTimer.objects.filter(order=order).order_by("pk").values()),
        "audit": list(AuditEntry.objects.filter(object_type="orders.salesorder", object_id=str(order.pk))
                      .order_by("pk").values()),
    })


def test_with_prepared_sql_off_the_lifecycle_writes_the_same_rows(orders, settings, monkeypatch):
    moment = datetime(2030, 5, 6, 10, 0)
    settings.ORDERLOOP_PREPARED_SQL = True
    with clock.frozen_at(moment):
        first = orders.at("closed")

    settings.ORDERLOOP_PREPARED_SQL = False

    class Untouched(dict):  # the statements written once are neither written nor read
        def get(self, *args):
            raise AssertionError("prepared SQL used with ORDERLOOP_PREPARED_SQL off")

    def not_compiled(*args):
        raise AssertionError("a query compiled with ORDERLOOP_PREPARED_SQL off")

    monkeypatch.setattr(prepared, "_INSERTS", Untouched())
    monkeypatch.setattr(prepared, "_UPDATES", Untouched())
    monkeypatch.setattr(prepared, "_Compiled", not_compiled)
    with clock.frozen_at(moment):
        second = orders.at("closed")
    assert written(second) == written(first)
    # 12 events: the 50,000-yuan order is approved by the manager and then the director (over 10,000)
    assert len(written(second)["events"]) == 12 and len(written(second)["audit"]) >= 9


def test_with_prepared_sql_off_nothing_is_kept_prepared_on_the_server(db, settings):
    settings.ORDERLOOP_PREPARED_SQL = False
    connection.ensure_connection()
    raw = connection.connection
    kept = (getattr(raw, "cursor_factory", None), getattr(raw, "prepare_threshold", None))
    with server_prepared():
        assert (getattr(raw, "cursor_factory", None), getattr(raw, "prepare_threshold", None)) == kept


BY_IDS = PreparedQuery(OrderLine, lambda ids: OrderLine.objects.filter(pk__in=ids).order_by("pk"))
BY_IDS_OR_ORDERS = PreparedQuery(OrderLine, lambda ids, order_ids: OrderLine.objects.filter(
    Q(pk__in=ids) | Q(order_id__in=order_ids)).order_by("pk"), params=2)


def test_a_list_is_an_in_of_its_items_whatever_its_length(orders, prepared_sql):
    made = [orders.at("confirmed", lines=[{"product_id": orders.product.pk, "quantity": "1", "unit_price": "10"}] * 3)
            for _ in range(2)]
    ids = [line.pk for order in made for line in order.lines.order_by("pk")]
    for wanted in ([], ids[:1], ids[:2], ids[3:6], ids + [10**9], set(ids[1:4]), (ids[-1],)):
        with CaptureQueriesContext(connection) as ctx:
            found = BY_IDS.all(wanted)
        assert [line.pk for line in found] == sorted(pk for pk in wanted if pk in ids)
        assert len(ctx) == (1 if wanted else 0)  # nothing asked of an empty list, as the ORM
    # the longest lists are built by the ORM each time, with the same result
    many = ids * 12
    assert len(many) > prepared.LONGEST_LIST and [line.pk for line in BY_IDS.all(many)] == ids
    # an empty list in one branch of an OR leaves the other
    assert [line.pk for line in BY_IDS_OR_ORDERS.all([], [made[1].pk])] == ids[3:]
    assert [line.pk for line in BY_IDS_OR_ORDERS.all(ids[:1], [made[1].pk])] == ids[:1] + ids[3:]
    assert BY_IDS_OR_ORDERS.all([], []) == []


def test_a_query_of_no_values_reads_what_is_stored_now(db, prepared_sql):
    from orderloop.orders.models import ApprovalPolicy

    assert ApprovalPolicy.current().director_threshold == ApprovalPolicy.objects.get().director_threshold
    ApprovalPolicy.objects.update(director_threshold=123)
    with CaptureQueriesContext(connection) as ctx:
        assert ApprovalPolicy.current().director_threshold == 123
    assert len(ctx) == 1
    ApprovalPolicy.objects.all().delete()
    assert ApprovalPolicy.current().pk is None  # none stored: the defaults


def test_prepared_update_changes_the_rows_its_queryset_names(orders, prepared_sql):
    from orderloop.core.prepared import PreparedUpdate

    late = PreparedUpdate(OrderLine, lambda order_id, from_id: OrderLine.objects.filter(
        order_id=order_id, pk__gte=from_id), ["agreed_date", "short_close_reason"], params=2)
    two = [{"product_id": orders.product.pk, "quantity": "1", "unit_price": "10"}] * 2
    order, other = orders.at("confirmed", lines=two), orders.at("confirmed", lines=two)
    first, second = order.lines.order_by("position")
    day = datetime(2031, 3, 4).date()
    with CaptureQueriesContext(connection) as ctx:
        assert late.run(order.pk, second.pk, agreed_date=day, short_close_reason="客户改期") == 1
    assert len(ctx) == 1
    assert [(line.position, line.agreed_date, line.short_close_reason) for line in order.lines.order_by("position")] == [
        (1, datetime(2030, 5, 25).date(), ""), (2, day, "客户改期")]
    assert {line.agreed_date for line in other.lines.all()} == {datetime(2030, 5, 25).date()}  # not its rows
    assert late.run(order.pk, 10**12, agreed_date=day, short_close_reason="") == 0
    with pytest.raises(TypeError):  # every field it writes, and only those
        late.run(order.pk, second.pk, agreed_date=day)


def test_a_value_compared_to_a_small_integer_is_refused_not_read_as_nothing(orders, settings):
    """The marker that stands for a value is a 64-bit number: compared to a smaller integer column, PostgreSQL's
    range check would make the ORM answer "nothing" for every value. Refused on every database instead."""
    from orderloop.core.prepared import PreparedUpdate

    settings.ORDERLOOP_PREPARED_SQL = True
    by_position = PreparedQuery(OrderLine, lambda order_id, position: OrderLine.objects.filter(
        order_id=order_id, position=position), params=2)
    order = orders.at("confirmed")
    if connection.vendor == "postgresql":
        with pytest.raises(ValueError, match="bigint key or text"):
            by_position.all(order.pk, 1)
        with pytest.raises(ValueError, match="bigint key or text"):
            PreparedUpdate(OrderLine, lambda position: OrderLine.objects.filter(position=position),
                           ["agreed_date"]).run(1, agreed_date=None)
    else:  # SQLite's integers are all 64 bits: the marker is in range
        assert [line.pk for line in by_position.all(order.pk, 1)] == [order.lines.get().pk]
    rows_by_position = PreparedRows(OrderLine, lambda position: OrderLine.objects.filter(position=position)
                                    .values_list("pk"), params=1)
    if connection.vendor == "postgresql":
        with pytest.raises(ValueError, match="bigint key or text"):
            rows_by_position.all(1)
    else:
        assert rows_by_position.all(1) == [(order.lines.get().pk,)]


def test_prepared_rows_that_can_find_nothing_give_nothing_without_a_statement(orders, prepared_sql):
    """A query whose filter finds nothing whatever its values (an empty ``__in``, the visibility of a user no role
    lets see an order) gives no rows, and a count of 0, as the ORM does — with no statement when it is compiled."""
    order = orders.received()
    never = PreparedRows(SalesOrder, lambda pk: SalesOrder.objects.filter(pk=pk).filter(pk__in=[]).values_list("pk"),
                         params=1)
    counted = PreparedRows(SalesOrder, lambda pk: SalesOrder.objects.filter(pk=pk).filter(pk__in=[]).values("pk")[:10],
                           params=1, count_rows=True)
    outer = PreparedRows(SalesOrder, lambda pk: SalesOrder.objects.filter(pk=pk).filter(pk__in=[]).values_list("pk"),
                         params=1, outer='SELECT "pk" FROM ({}) AS "m"')
    with CaptureQueriesContext(connection) as ctx:
        assert never.all(order.pk) == [] and counted.all(order.pk) == [(0,)] and outer.all(order.pk) == []
    assert len(ctx) == 0
    assert PreparedRows(SalesOrder, lambda pk: SalesOrder.objects.filter(pk=pk).values_list("pk"), params=1).all(
        order.pk) == [(order.pk,)]


def test_prepared_update_refuses_a_query_that_joins(orders, settings):
    from orderloop.core.prepared import PreparedUpdate

    settings.ORDERLOOP_PREPARED_SQL = True
    joined = PreparedUpdate(OrderLine, lambda customer_id: OrderLine.objects.filter(order__customer_id=customer_id),
                            ["agreed_date"])
    with pytest.raises(ValueError, match="joins"):
        joined.run(1, agreed_date=None)
    every = PreparedUpdate(OrderLine, lambda _unused: OrderLine.objects.all(), ["agreed_date"])
    with pytest.raises(ValueError):  # no condition: neither the marker's place nor a WHERE to write
        every.run(1, agreed_date=None)


def test_delete_removes_a_row_nothing_refers_to_and_leaves_cascades_to_the_orm(orders, prepared_sql):
    from orderloop.core.prepared import delete
    from orderloop.masterdata.models import StockReservation

    order = orders.at("confirmed")  # its line confirmed as 现货: held in stock
    line = order.lines.get()
    reservation = StockReservation.objects.get(order_line=line)
    with CaptureQueriesContext(connection) as ctx:
        delete(reservation)
    assert (len(ctx) if prepared_sql else 1) == 1 and reservation.pk is None
    assert not StockReservation.objects.filter(order_line=line).exists()
    other = orders.at("confirmed")
    other_line = other.lines.get()
    delete(other_line)  # its reservation goes with it (CASCADE): the ORM's delete
    assert not OrderLine.objects.filter(pk=other_line.pk).exists()
    assert not StockReservation.objects.filter(order_line_id=other_line.pk).exists() and other_line.pk is None
    entry = AuditEntry.objects.filter(object_id=str(order.pk)).first()
    with pytest.raises(TypeError, match=r"core\.AuditEntry overrides delete\(\)"):
        delete(entry)


def test_a_plain_value_is_written_as_djangos_preparation_writes_it(db):
    """insert() and update() shorten Django's preparation for a str, int or bool (or None) of the fields that take
    them: for every such field of every model, what they send is what Django's own preparation sends on this
    database, the same value of the same type (on PostgreSQL an int goes as its column's Int2/Int4/Int8)."""
    from django.apps import apps

    from orderloop.core.prepared import _as_it_is, _writers, _written

    samples = {str: "文本", int: 7, bool: True}
    checked = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            plain = _as_it_is(field)
            if plain is None:
                continue
            for value in (samples[plain], None):
                obj = model(**{field.attname: value})
                ours = _written(obj, _writers([field]), connection, True)[0]
                djangos = field.get_db_prep_save(field.pre_save(obj, True), connection)
                assert ours == djangos and type(ours) is type(djangos), (field, value, ours, djangos)
            checked += 1
    assert checked > 200  # ids, names, flags and keys of every model


def test_prepared_rows_are_the_rows_of_their_values_list_and_read_what_is_stored_now(db, prepared_sql):
    """A picker's options (PreparedRows): the rows its values_list gives, in its order and with its types, one
    statement each time; a product added or switched off is seen on the next read (the SQL is kept, not the rows)."""
    from decimal import Decimal

    from orderloop.core.prepared import PreparedRows
    from orderloop.masterdata.models import Product

    active = PreparedRows(Product, lambda: Product.objects.filter(is_active=True).order_by("model")
                          .values_list("id", "model", "name", "list_price")[:3])
    Product.objects.create(name="服务器B型", model="S-002", unit="台", list_price=Decimal("6000.00"))
    first = Product.objects.create(name="服务器A型", model="S-001", unit="台", list_price=Decimal("5000.00"))
    expected = list(Product.objects.filter(is_active=True).order_by("model").values_list("id", "model", "name", "list_price")[:3])
    with CaptureQueriesContext(connection) as ctx:
        assert active.all() == expected
    assert len(ctx) == 1
    assert isinstance(active.all()[0][3], Decimal)
    Product.objects.filter(pk=first.pk).update(is_active=False)
    Product.objects.create(name="交换机", model="N-100", unit="台", list_price=Decimal("900.00"))
    assert [row[1] for row in active.all()] == ["N-100", "S-002"]


def test_a_term_put_into_a_like_pattern_matches_itself_and_an_outer_statement_wraps_the_query(db, prepared_sql):
    """``like``: a value searched for (``__icontains``, ``__startswith``) goes into its pattern escaped as the ORM
    escapes it — a percent sign, an underscore, a backslash match themselves, not anything — and gives what the
    QuerySet gives; ``outer``: the statement run is the query inside the text given (here its ids, newest first)."""
    from decimal import Decimal

    from orderloop.core.prepared import PreparedRows
    from orderloop.masterdata.models import Product

    named = PreparedRows(Product, lambda term: Product.objects.filter(Q(name__icontains=term) | Q(model__startswith=term))
                         .order_by("pk").values_list("model"), params=1, like=True)
    for model, name in [("P-1", "满50%减"), ("P-2", "满50元减"), ("P_3", "a_b"), ("PX3", "axb"), ("P-4", "反\\斜杠")]:
        Product.objects.create(name=name, model=model, unit="个", list_price=Decimal("1.00"))
    for term in ("50%", "%", "a_b", "_", "\\", "p_", "P", "无"):
        expected = list(Product.objects.filter(Q(name__icontains=term) | Q(model__startswith=term)).order_by("pk")
                        .values_list("model"))
        assert named.all(term) == expected, term
    assert named.all("50%") == [("P-1",)] and named.all("P_") == [("P_3",)] and named.all("\\") == [("P-4",)]
    newest = PreparedRows(Product, lambda term: Product.objects.filter(name__icontains=term).values_list("pk", "model"),
                          params=1, like=True, outer='SELECT "pk" FROM ({}) AS "m" ORDER BY "pk" DESC')
    assert newest.all("b") == [(pk,) for pk in Product.objects.filter(name__icontains="b").order_by("-pk")
                               .values_list("pk", flat=True)]
    assert len(newest.all("b")) == 2 and newest.all("无") == []


def test_prepared_rows_of_a_value_put_it_where_the_query_asks_for_it(orders, users, prepared_sql):
    """The menu's unread count (notifications.services.UNREAD, a PreparedRows of the user's id): each user's own
    count, 0 for none, as the inbox's ORM count gives it."""
    from orderloop.notifications.models import Notification
    from orderloop.notifications.services import inbox, unread_count

    orders.at("pending_approval")  # tells the sales manager
    Notification.objects.filter(recipient=users["sales_director"]).update(read_at=None)
    for user in users.values():
        assert unread_count(user) == inbox(user).filter(read_at__isnull=True).count()
    assert unread_count(users["sales_manager"]) > 0
    inbox(users["sales_manager"]).update(read_at=clock.now())
    assert unread_count(users["sales_manager"]) == 0


# --- a write held for the next INSERT ---------------------------------------------------------------------

def test_a_held_update_goes_out_with_the_next_insert_in_one_statement_on_postgresql(orders, users, prepared_sql):
    """The order's UPDATE held (``update(…, hold=True)``) is written with its event's INSERT: both rows as the two
    statements would write them, in one statement on PostgreSQL (two on SQLite; with prepared SQL off, the ORM's
    save() at once and then the INSERT)."""
    from orderloop.orders.models import EventType

    order = orders.received()
    order.remarks, order.version = "改过的备注", order.version + 1
    event = OrderEvent(order=order, type=EventType.UPDATED, actor=users["sales_assistant"], occurred_at=clock.now(),
                       from_status="received", to_status="received", payload={"fields": ["remarks"]})
    with CaptureQueriesContext(connection) as ctx:
        held = update(order, ["remarks", "version"], hold=True)
        assert (held is None) == (not prepared_sql)  # the ORM path writes at once
        insert(event, after=held)
    one = prepared_sql and connection.vendor == "postgresql"
    assert len(ctx) == (1 if one else 2)
    stored = SalesOrder.objects.get(pk=order.pk)
    assert (stored.remarks, stored.version) == ("改过的备注", order.version)
    assert OrderEvent.objects.get(pk=event.pk).payload == {"fields": ["remarks"]}


def test_a_held_update_that_finds_no_row_fails_its_insert_too(orders, users, prepared_sql):
    from django.db import DatabaseError

    from orderloop.orders.models import EventType

    order = orders.received()
    before = OrderEvent.objects.count()
    gone = SalesOrder.objects.get(pk=order.pk)
    gone.pk, gone.remarks = 10**9, "不存在的订单"
    event = OrderEvent(order=order, type=EventType.UPDATED, actor=None, occurred_at=clock.now(), from_status="received",
                       to_status="received", payload={})
    with pytest.raises(DatabaseError), transaction.atomic():
        insert(event, after=update(gone, ["remarks"], hold=True))
    assert OrderEvent.objects.count() == before  # nothing of it stays
    assert not SalesOrder.objects.filter(remarks="不存在的订单").exists()


def test_a_held_write_that_may_change_nothing_goes_out_alone_or_with_an_insert(orders, prepared_sql):
    """The order's open deadlines stopped (a held write that may find none) and a new one started: the one started
    is not among those stopped, as when the UPDATE ran first."""
    from orderloop.core.prepared import held_run
    from orderloop.orders.timers import _meet_or_stop_open_timers

    order = orders.at("pending_approval")
    running = list(OrderTimer.objects.filter(order=order, met_at__isnull=True, stopped_at__isnull=True))
    assert running
    order.status = "confirmed"  # where the approval deadline does not run
    now = clock.now()
    held = _meet_or_stop_open_timers(order=order, meets=frozenset(), now=now)
    started = insert(OrderTimer(order=order, kind=running[0].kind, started_at=now, due_at=now), after=held)
    assert OrderTimer.objects.get(pk=started.pk).stopped_at is None
    assert all(OrderTimer.objects.get(pk=t.pk).stopped_at == now for t in running)
    held_run(_meet_or_stop_open_timers(order=order, meets=frozenset(), now=now))  # none left to stop: no error
    assert OrderTimer.objects.get(pk=started.pk).stopped_at == now
