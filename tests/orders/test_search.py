"""Search (搜索) on the order list and the API: number, provisional reference, contact, customer name, a line's
model or product name; only orders the user may see; the same answer whether the matches are few (a list of
ids) or many (a subquery)."""
from decimal import Decimal

import pytest

from orderloop.masterdata.models import Customer, Product, Qualification
from orderloop.orders import selectors
from orderloop.orders.models import LineName, OrderLine
from orderloop.orders.selectors import order_list
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive
from tests.support.orders import order_data
from tests.support.users import make_user


@pytest.fixture
def found(orders, users, customer, product):
    """Four orders, each findable by something of its own, and one of another team's customer."""
    router = Product.objects.create(name="路由器", model="RT-7788", unit="台", list_price=Decimal("900.00"),
                                    cost_price=Decimal("700.00"))
    far_manager = make_user("far_account_manager", "account_manager")
    elsewhere = Customer.objects.create(name="远方贸易公司", uscc="91110000100000000A", owner=far_manager,
                                        qualification=Qualification.QUALIFIED, address="广州市")
    return {
        "formal": orders.at("pending_stock_check"),  # has a formal number
        "contact": orders.received(contact_name="欧阳修远"),
        "router": orders.received(lines=[{"product_id": router.pk, "quantity": "2", "unit_price": "900"}]),
        "renamed": orders.received(lines=[{"product_id": router.pk, "quantity": "1", "unit_price": "900"}]),
        "far": order_receive(actor=far_manager, data=OrderCreate(**order_data(
            elsewhere, product, contact_name="欧阳远方"))),
        "router_product": router,
    }


def refs(user, q):
    return {order.ref for order in order_list(user=user, q=q)}


@pytest.fixture(params=["few", "many"])
def id_list_limit(request, monkeypatch):
    """The search filters by a list of ids up to SEARCH_ID_LIST_MAX matches and by a subquery beyond."""
    if request.param == "many":
        monkeypatch.setattr(selectors, "SEARCH_ID_LIST_MAX", 0)
        monkeypatch.setattr(selectors, "_MATCHES", {})  # its statements hold the limit: made again for it
    return request.param


def test_each_field_finds_its_order_and_nothing_else(found, users, id_list_limit):
    director = users["sales_director"]
    formal = found["formal"]
    formal.refresh_from_db()
    assert formal.number
    assert refs(director, formal.number) == {formal.ref}
    assert refs(director, formal.number[:6]) >= {formal.ref}  # a prefix of the number
    assert refs(director, found["contact"].provisional_ref) == {found["contact"].ref}
    assert refs(director, found["contact"].provisional_ref[2:9].lower()) == {found["contact"].ref}  # any case, any part
    assert refs(director, formal.number[-5:]) >= {formal.ref}  # the number's last five characters
    assert refs(director, "欧阳修") == {found["contact"].ref}
    assert refs(director, "远方贸易") == {found["far"].ref}  # part of the customer's name
    assert refs(director, "rt-77") == {found["router"].ref, found["renamed"].ref}  # a line's model, any case
    assert refs(director, "路由器") == {found["router"].ref, found["renamed"].ref}  # a line's product name
    assert refs(director, "无此订单") == set()


def test_a_line_keeps_the_model_it_was_ordered_under(found, users, id_list_limit):
    router = found["router_product"]
    router.model, router.name = "RT-9000", "新路由器"
    router.save()
    assert refs(users["sales_director"], "RT-7788") == {found["router"].ref, found["renamed"].ref}
    assert refs(users["sales_director"], "RT-9000") == set()


def test_a_short_term_finds_lines_by_the_names_they_were_ordered_under(found, users, id_list_limit):
    router = found["router_product"]
    router.model, router.name = "SW-1", "交换机"  # the catalogue moves on; the lines keep what was ordered
    router.save()
    assert refs(users["sales_director"], "路由") == {found["router"].ref, found["renamed"].ref}
    assert refs(users["sales_director"], "交换") == set()


def test_a_line_is_found_by_the_names_it_has_whoever_wrote_them(found, users, id_list_limit):
    """The names the search matches are kept by the database as lines are written, by any code: a line whose
    model is changed in place is found by its new model, and still by its product name."""
    line = found["router"].lines.get()
    OrderLine.objects.filter(pk=line.pk).update(model="ZX-4242")
    director = users["sales_director"]
    assert refs(director, "zx-42") == {found["router"].ref}
    assert refs(director, "RT-7788") == {found["renamed"].ref}
    assert refs(director, "路由器") == {found["router"].ref, found["renamed"].ref}


def test_each_name_is_kept_once(found, orders):
    before = LineName.objects.count()
    orders.received(lines=[{"product_id": found["router_product"].pk, "quantity": "3", "unit_price": "900"}])
    assert LineName.objects.count() == before
    assert set(LineName.objects.filter(name__in=["RT-7788", "路由器"]).values_list("name", flat=True)) == {"RT-7788", "路由器"}


def test_search_finds_only_what_the_user_may_see(found, users, id_list_limit):
    manager = users["sales_manager"]
    assert refs(manager, "欧阳") == {found["contact"].ref}  # not the other team's customer's order
    assert refs(users["sales_director"], "欧阳") == {found["contact"].ref, found["far"].ref}


def test_search_combines_with_the_filters(found, users, id_list_limit):
    director = users["sales_director"]
    assert refs(director, "rt-77") == {found["router"].ref, found["renamed"].ref}
    assert {o.ref for o in order_list(user=director, q="rt-77", status=["received"])} == {
        found["router"].ref, found["renamed"].ref}
    assert {o.ref for o in order_list(user=director, q="rt-77", status=["closed"])} == set()


@pytest.mark.parametrize("prepared", [True, False])
def test_the_api_and_the_list_page_search_as_order_list_does_with_any_filter(found, orders, users, settings, prepared,
                                                                              id_list_limit):
    """The API and the list page answer a search with statements compiled once for the kind of term and filters
    (selectors.order_search): the same orders, in the same order, as order_list gives — with a state, a
    销售负责人, a customer, a sort, for each sales role (whose matches the lines tell), a department and the
    director; a state or 销售负责人 nobody has finds nothing;
    a term's percent sign and underscore match themselves."""
    from tests.support.api_client import Api

    settings.ORDERLOOP_PREPARED_SQL = prepared
    odd = orders.received(contact_name="张三 100%_满意")
    customer = found["far"].customer_id
    asked = [{"q": "rt-77"}, {"q": "欧阳"}, {"q": "欧阳", "customer_id": customer}, {"q": "rt-77", "status": "received"},
             {"q": "rt-77", "status": "closed"}, {"q": "欧阳", "owner": "far_account_manager"}, {"q": "RT", "sort": "-total_amount"},
             {"q": "欧阳", "owner": "nobody"}, {"q": "rt-77", "status": "bogus"}, {"q": "0%_"}, {"q": "0_%"}, {"q": "%"}]
    from orderloop.accounts.models import User

    for username in ("sales_manager", "sales_assistant", "account_manager", "far_account_manager", "warehouse",
                     "sales_director"):
        user = User.objects.get(username=username)
        api = Api(username)
        client = api.client
        client.force_login(user)
        for params in asked:
            expected = [order.ref for order in order_list(
                user=user, q=params["q"], status=[params["status"]] if "status" in params else None,
                owner=params.get("owner"), customer_id=params.get("customer_id"), sort=params.get("sort", "-created_at"))]
            answer = api.get("/orders", page_size=50, **params).json()
            assert [item["ref"] for item in answer["items"]] == expected and answer["count"] == len(expected), params
            page = client.get("/orders/", {("customer" if k == "customer_id" else k): v for k, v in params.items()})
            shown = [ref for ref in expected if f">{ref}</a>" in page.content.decode()]
            assert shown == expected and sorted(shown, key=page.content.decode().index) == shown, params
    director = users["sales_director"]
    assert [o.ref for o in order_list(user=director, q="0%_")] == [odd.ref]
    assert [o.ref for o in order_list(user=director, q="0_%")] == []


@pytest.mark.parametrize("prepared", [True, False])
def test_a_user_no_role_lets_see_an_order_finds_none_and_lists_none(found, settings, prepared):
    """Someone without a role (an account made before its roles are given) sees an empty order list, searched or
    not, on the page and through the API — not an error."""
    from tests.support.api_client import Api

    settings.ORDERLOOP_PREPARED_SQL = prepared
    make_user("no_role_yet")
    api = Api("no_role_yet")
    client = api.client
    client.login(username="no_role_yet", password="orderloop")
    for params in ({}, {"q": "欧阳"}, {"q": "rt-77", "status": "received"}, {"status": "received"}):
        answer = api.get("/orders", **params)
        assert answer.status_code == 200 and answer.json()["count"] == 0 and answer.json()["items"] == [], params
        page = client.get("/orders/", params)
        assert page.status_code == 200 and "没有符合条件的订单" in page.content.decode(), params


def test_the_list_page_searches(found, users, client):
    client.force_login(users["sales_manager"])
    page = client.get("/orders/", {"q": "欧阳"}).content.decode()
    assert found["contact"].ref in page
    assert found["far"].ref not in page


def test_a_row_of_the_list_shows_the_order_as_a_person_reads_it(found, users, client):
    """The row: the reference linking to the order, the customer, the dates, the amount, the owner by the
    name people know, the status in words."""
    order = found["router"]
    order.owner.display_name = "王经理"
    order.owner.save(update_fields=["display_name"])
    client.force_login(users["sales_director"])
    page = client.get("/orders/", {"q": "RT-7788", "sort": "total_amount"}).content.decode()
    row = page[page.index(f'<a href="/orders/{order.ref}/">{order.ref}</a>'):]
    row = row[:row.index("</tr>")]
    assert f'title="{order.customer.name}">{order.customer.name}</td>' in row
    assert f'class="k-date">{order.order_date.isoformat()}</td>' in row
    assert 'class="k-money">¥1,800.00</td>' in row
    assert 'class="k-text">王经理</td>' in row
    assert '<span class="status status-received">已接收</span>' in row
    order.owner.display_name = ""
    order.owner.save(update_fields=["display_name"])
    page = client.get("/orders/", {"q": "RT-7788"}).content.decode()
    assert f'class="k-text">{order.owner.username}</td>' in page  # no name given: the username
    page = client.get("/orders/", {"q": "无此订单"}).content.decode()
    assert '<td colspan="7" class="empty">没有符合条件的订单</td>' in page


def test_a_number_or_its_start_finds_the_numbers_that_begin_so_and_nothing_else(found, users, id_list_limit):
    """A term of six digits and the dash is looked up by the number's start (its index): the same orders as
    "contains", since a number has its one dash after its six-digit month."""
    from orderloop.orders.models import SalesOrder

    director = users["sales_director"]
    formal = found["formal"]
    formal.refresh_from_db()
    month = formal.number[:6]
    later = found["contact"]  # given the 1,000th number of the month: 202x-1000 begins with 202x-100
    SalesOrder.objects.filter(pk=later.pk).update(number=f"{month}-1000", number_month=month, number_seq=1000)
    SalesOrder.objects.filter(pk=formal.pk).update(number=f"{month}-100", number_seq=100)
    assert refs(director, f"{month}-100") == {f"{month}-100", f"{month}-1000"}
    assert refs(director, f"{month}-1000") == {f"{month}-1000"}
    assert refs(director, f"{month}-") == {f"{month}-100", f"{month}-1000"}
    assert refs(director, f"{month[2:]}-100") == {f"{month}-100", f"{month}-1000"}  # not six digits: contains
    assert refs(director, f"{month}-2") == set()


@pytest.mark.parametrize("sort", ["-created_at", "customer_name", "-total_amount", "number"])
def test_a_search_is_counted_and_paged_in_the_order_of_the_list(found, orders, users, sort, id_list_limit, monkeypatch):
    """A search's matches are read once, as the ids of those the user sees in the list's order (FoundInOrder),
    counted from them and each page read by id: the pages of the API, one after the other, are the whole list in
    its order, the count is theirs, and the list page shows the same first orders; the cap still stops the count."""
    from tests.support.api_client import Api

    more = [orders.received(contact_name="司马光", lines=[{"product_id": found["router_product"].pk, "quantity": str(n),
                                                          "unit_price": "900"}]) for n in range(1, 7)]
    expected = [order.ref for order in order_list(user=users["sales_manager"], q="rt-77", sort=sort)]
    assert len(expected) == 8 and {o.ref for o in more} <= set(expected)
    api = Api("sales_manager")
    pages = [api.get("/orders", q="rt-77", sort=sort, page_size=3, page=n).json() for n in (1, 2, 3, 4)]
    assert [p["count"] for p in pages] == [8] * 4 and not any(p["count_capped"] for p in pages)
    assert [item["ref"] for p in pages for item in p["items"]] == expected
    assert pages[3]["items"] == []

    client = Api("sales_manager").client
    client.force_login(users["sales_manager"])
    page = client.get("/orders/", {"q": "rt-77", "sort": sort}).content.decode()
    positions = [page.index(ref) for ref in expected]
    assert positions == sorted(positions)  # the list page shows them in the same order

    monkeypatch.setattr(selectors, "COUNT_CAP", 5)  # more than the cap: counted up to it, its pages shown
    first = api.get("/orders", q="rt-77", sort=sort, page_size=3, page=1).json()
    assert first["count_capped"] and [item["ref"] for item in first["items"]] == expected[:3]


@pytest.mark.parametrize("username", ["sales_director", "sales_manager"])
def test_a_search_shown_as_found_reads_no_more_matches_than_its_count_needs(found, orders, users, monkeypatch, username):
    """A search nothing else filters, newest first, is its matches as they are: it reads only one more than the
    count's cap of them (the rest would never be shown or counted), and gives the same count and pages as the list;
    a search with another filter still reads them all, the filter applied to them afterwards."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.support.api_client import Api

    for n in range(1, 7):
        orders.received(lines=[{"product_id": found["router_product"].pk, "quantity": str(n), "unit_price": "900"}])
    expected = [order.ref for order in order_list(user=users[username], q="rt-77")]
    assert len(expected) == 8
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    api = Api(username)
    with CaptureQueriesContext(connection) as read:
        pages = [api.get("/orders", q="rt-77", page_size=3, page=n).json() for n in (1, 2)]
    assert [(p["count"], p["count_capped"]) for p in pages] == [(5, True)] * 2
    assert [item["ref"] for p in pages for item in p["items"]] == expected[:6]
    limits = {q["sql"].rsplit("LIMIT", 1)[1].strip() for q in read.captured_queries if 'AS "matches"' in q["sql"]}
    assert limits == {"6"}
    with CaptureQueriesContext(connection) as read:
        filtered = api.get("/orders", q="rt-77", status="received", page_size=3).json()
    assert filtered["count"] == 5 and filtered["count_capped"]
    limits = {q["sql"].rsplit("LIMIT", 1)[1].strip() for q in read.captured_queries if 'AS "matches"' in q["sql"]}
    assert limits == {str(selectors.SEARCH_ID_LIST_MAX + 1)}


@pytest.mark.parametrize("sort", ["-created_at", "customer_name", "-total_amount", "number"])
def test_a_filtered_list_is_paged_in_its_order(found, orders, users, sort):
    """A list of at most the count's cap (FewInOrder) picks each page's ids in the list's order first and reads
    only those orders: the API's pages, one after the other, are the whole list in the order the list's own query
    gives, with its count; the list page shows the same first orders in that order."""
    from tests.support.api_client import Api

    for n in range(1, 6):
        orders.received(lines=[{"product_id": found["router_product"].pk, "quantity": str(n), "unit_price": "900"}])
    manager = users["sales_manager"]
    expected = [order.ref for order in order_list(user=manager, status=["received"], sort=sort)]  # its plain ORDER BY
    assert len(expected) >= 8
    api = Api("sales_manager")
    pages = [api.get("/orders", status="received", sort=sort, page_size=3, page=n).json() for n in range(1, 5)]
    assert {p["count"] for p in pages} == {len(expected)} and not any(p["count_capped"] for p in pages)
    assert [item["ref"] for p in pages for item in p["items"]] == expected[:12]

    client = Api("sales_manager").client
    client.force_login(manager)
    page = client.get("/orders/", {"status": "received", "sort": sort}).content.decode()
    positions = [page.index(ref) for ref in expected]
    assert positions == sorted(positions)
    beyond = client.get("/orders/", {"status": "received", "sort": sort, "page": 99})  # the last page instead
    assert beyond.status_code == 200 and all(ref in beyond.content.decode() for ref in expected)


@pytest.mark.parametrize("sort", ["-created_at", "owner", "-total_amount"])
def test_a_list_longer_than_the_cap_is_counted_up_to_it_and_paged_in_its_order(found, orders, users, monkeypatch,
                                                                                 settings, sort):
    """Past the count's cap the list is read page by page along its order (no ids first): the API's pages are the
    list's own order, its count the cap and count_capped set; the list page says how many it shows and why."""
    from orderloop.orders import selectors
    from tests.support.api_client import Api

    for n in range(1, 6):
        orders.received(lines=[{"product_id": found["router_product"].pk, "quantity": str(n), "unit_price": "900"}])
    manager = users["sales_manager"]
    expected = [order.ref for order in order_list(user=manager, status=["received"], sort=sort)]
    assert len(expected) >= 8
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)
    for prepared in (True, False):  # the statements compiled once, and the ORM building them
        settings.ORDERLOOP_PREPARED_SQL = prepared
        api = Api("sales_manager")
        pages = [api.get("/orders", status="received", sort=sort, page_size=3, page=n).json() for n in (1, 2, 3)]
        assert [(p["count"], p["count_capped"]) for p in pages] == [(4, True)] * 3
        assert [item["ref"] for p in pages for item in p["items"]] == expected[:9]
        client = api.client
        client.force_login(manager)
        page = client.get("/orders/", {"status": "received", "sort": sort}).content.decode()
        assert "第 1 / 1 页，共 4 条" in page and "（超过 4 条，仅显示前 4 条，请筛选或搜索）" in page
        shown = [ref for ref in expected if f">{ref}</a>" in page]
        assert shown == expected[:4] and sorted(shown, key=page.index) == shown


def test_a_search_lists_its_matches_newest_first_whoever_searches(found, orders, users, id_list_limit):
    """The search gives its matches newest first (the orders' created_at, a line's copy of it), whichever branch
    found them: an order entered later but earlier in time comes where its time says. For the director (who sees
    every order) that list is the list itself — the API's pages, one after the other, are it, counted — and it is the
    order a manager's list of the same orders has."""
    from datetime import datetime, timedelta

    from orderloop.core import clock
    from orderloop.orders.models import SalesOrder
    from tests.support.api_client import Api

    router = found["router_product"]
    start = datetime(2031, 3, 2, 9, 0)
    entered = []
    for hours in (5, 1, 9, 3):  # entered in this sequence, created at these hours after the start
        with clock.frozen_at(start + timedelta(hours=hours)):
            entered.append(orders.received(contact_name="RT-77 联系人" if hours == 9 else "司马光",
                                           lines=[{"product_id": router.pk, "quantity": "1", "unit_price": "900"}]))
    for order in entered:
        order.refresh_from_db()
        assert set(order.lines.values_list("order_created_at", flat=True)) == {order.created_at}
    newest_first = [order.ref for order in sorted(entered, key=lambda order: order.created_at, reverse=True)]
    director = users["sales_director"]
    expected = [order.ref for order in order_list(user=director, q="rt-77")]  # the list's own ORDER BY
    assert expected[:4] == newest_first
    assert expected == [order.ref for order in SalesOrder.objects.filter(
        pk__in=[order.pk for order in order_list(user=director, q="rt-77")]).order_by("-created_at", "-id")]

    api = Api("sales_director")
    pages = [api.get("/orders", q="rt-77", page_size=2, page=n).json() for n in range(1, 5)]
    assert {p["count"] for p in pages} == {len(expected)}
    assert [item["ref"] for p in pages for item in p["items"]] == expected
    manager_sees = [item["ref"] for item in Api("sales_manager").get("/orders", q="rt-77", page_size=50).json()["items"]]
    assert manager_sees == [ref for ref in expected if ref in set(manager_sees)] and set(newest_first) <= set(manager_sees)


def test_ids_from_the_database_are_taken_as_they_are(found):
    """``pk__any_of=Ids(…)``: the ids a search read, passed on without preparing each (on PostgreSQL as the array's
    text): the same orders as a plain list names, none for no ids."""
    from orderloop.orders.models import SalesOrder
    from orderloop.orders.selectors import Ids

    chosen = [found["contact"].pk, found["far"].pk]
    assert set(SalesOrder.objects.filter(pk__any_of=Ids(chosen)).values_list("pk", flat=True)) == set(chosen)
    assert set(SalesOrder.objects.filter(pk__any_of=chosen).values_list("pk", flat=True)) == set(chosen)
    assert not SalesOrder.objects.filter(pk__any_of=Ids([])).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upgrading_collects_the_names_of_the_lines_there_are(found, users):
    """Orders migration 0034 fills the names from the lines written before it (and its trigger keeps them after, on
    SQLite also after 0035 rebuilt the table); 0035 gives the lines there are their order's created_at, 0036 their
    order's owner, enterer and customer."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("orders", "0033_working_list_indexes")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    old.get_model("orders", "OrderLine").objects.filter(order_id=found["router"].pk).update(model="旧型号-1")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert {"旧型号-1", "RT-7788", "路由器"} <= set(LineName.objects.values_list("name", flat=True))
    assert refs(users["sales_director"], "旧型号") == {found["router"].ref}
    for line in OrderLine.objects.select_related("order"):  # 0035, 0036: each line has its order's created_at, people
        assert line.order_created_at == line.order.created_at
        assert (line.order_owner_id, line.order_entered_by_id, line.order_customer_id) == (
            line.order.owner_id, line.order.entered_by_id, line.order.customer_id)
    OrderLine.objects.filter(order_id=found["renamed"].pk).update(model="新型号-2")  # the trigger is back
    assert refs(users["sales_director"], "新型号") == {found["renamed"].ref}


def test_lines_keep_their_order_s_people_whatever_changes_them(found, orders, users, id_list_limit):
    """A line keeps its order's owner, enterer and customer, kept by the database: written with the line, given to
    the lines when the order changes hands or customer, taken again if a line's copy is written. A salesperson's
    search, which reads them from the lines, follows: an order handed to another team's account manager leaves the
    manager's matches and enters theirs, as order_list says from the orders."""
    from orderloop.orders.models import SalesOrder

    def copies(order):
        return set(OrderLine.objects.filter(order=order).values_list(
            "order_owner_id", "order_entered_by_id", "order_customer_id"))

    router, far = found["router"], found["far"]
    router.refresh_from_db()
    assert copies(router) == {(router.owner_id, router.entered_by_id, router.customer_id)}
    manager, far_manager = users["sales_manager"], far.owner
    assert router.ref in refs(manager, "rt-77")

    SalesOrder.objects.filter(pk=router.pk).update(owner=far_manager, entered_by=far_manager, customer=far.customer)
    assert copies(router) == {(far_manager.pk, far_manager.pk, far.customer_id)}
    for user in (manager, far_manager, users["account_manager"]):
        searched = [row["number"] or row["provisional_ref"] for row in _searched(user, "rt-77")]
        assert searched == [o.ref for o in order_list(user=user, q="rt-77")], user.username
    assert router.ref in refs(far_manager, "rt-77") and router.ref not in refs(manager, "rt-77")

    OrderLine.objects.filter(order=router).update(order_owner=manager, order_customer=None)  # a stray write
    assert copies(router) == {(far_manager.pk, far_manager.pk, far.customer_id)}
    added = OrderLine.objects.create(order=router, position=9, product=found["router_product"], product_name="路由器",
                                     model="RT-7788", unit="台",
                                     quantity=1, unit_price=900, amount=900, order_created_at=router.created_at)
    assert copies(router) == {(far_manager.pk, far_manager.pk, far.customer_id)} and added.pk


def _searched(user, q):
    """What the list page and the API list for ``user``'s search ``q``: order_search's rows, first page."""
    found = selectors.order_search(user=user, q=q)
    return found[0:50] if isinstance(found, selectors.FoundIds) else list(found.values("number", "provisional_ref")[:50])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rebuilt_table_keeps_the_triggers_that_keep_the_search_s_data(found, users):
    """SQLite changes most columns by rebuilding the table (a migration's AlterField): the triggers on the orders
    and on the lines — which keep the names lines were ordered under and the lines' copies of their order's people —
    go with the old table, and those naming it stopped the rebuild. They are set aside and made again
    (core.sqlite3.schema), and keep doing their work."""
    from django.db import connection

    from orderloop.orders.models import SalesOrder

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL changes a column in place: its triggers stay")

    def triggers():
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            return cursor.fetchall()

    before = triggers()
    assert {"orders_orderline_names_insert", "orders_orderline_order_people_insert",
            "orders_salesorder_line_people"} <= {name for name, _sql in before}
    with connection.schema_editor() as editor:
        editor._remake_table(SalesOrder)  # what an AlterField of most columns does
        editor._remake_table(OrderLine)
    assert triggers() == before
    router, far = found["router"], found["far"]
    SalesOrder.objects.filter(pk=router.pk).update(owner=far.owner)
    assert set(OrderLine.objects.filter(order=router).values_list("order_owner_id", flat=True)) == {far.owner_id}
    OrderLine.objects.filter(order=router).update(model="改后型号-3")
    assert refs(users["sales_director"], "改后型号") == {router.ref}
