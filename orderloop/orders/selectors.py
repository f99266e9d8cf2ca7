"""Reads of orders: lists, one order by its reference, its timeline."""
import re
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Field, ForeignKey, Lookup, Q
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.accounts.permissions import CONTACT_READERS, COST_READERS, SEE_EVERYTHING
from orderloop.accounts.roles import Viewer
from orderloop.core.calendar import date_estimated
from orderloop.core.exceptions import NotFound
from orderloop.core.phones import phone_display, phone_masked
from orderloop.core.prepared import PreparedQuery, PreparedRows, read_together
from orderloop.masterdata.models import Customer
from orderloop.orders.access import (NO_ORDERS, filter_visible, sees_by_people, sees_every_order, visible_lines_q,
                                    visible_orders_q)
from orderloop.orders.services import REF_ALPHABET
from orderloop.orders.models import (
    Attachment, FollowUpVisit, FulfillmentStage, LineName, OrderEvent, OrderLine, OrderStatus, SalesOrder, Shipment,
    ShipmentLine, has_rows, keep_rows, rows_exist, rows_read,
)
from orderloop.orders.labels import Texts, event_details, payload_owners, user_names
from orderloop.orders.events import event_label
from orderloop.orders.lifecycle.engine import available_actions
from orderloop.orders.lifecycle.table import status_label

SORTS = {
    # orders without a formal number yet come last, on every database
    "number": (F("number_month").asc(nulls_last=True), F("number_seq").asc(nulls_last=True), "id"),
    "-number": (F("number_month").desc(nulls_last=True), F("number_seq").desc(nulls_last=True), "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "requested_date": ("requested_date", "id"),
    "-requested_date": ("-requested_date", "-id"),
    "total_amount": ("total_amount", "id"),
    "-total_amount": ("-total_amount", "-id"),
    # the order list's other columns (its headings sort)
    "order_date": ("order_date", "id"),
    "-order_date": ("-order_date", "-id"),
    "customer_name": ("customer__name", "id"),
    "-customer_name": ("-customer__name", "-id"),
    "owner": ("owner__username", "id"),
    "-owner": ("-owner__username", "-id"),
    "status": ("status", "id"),
    "-status": ("-status", "-id"),
}


def order_list(*, user, status: list[str] | None = None, owner: str | None = None, customer_id: int | None = None,
               q: str | None = None, sort: str = "-created_at", archived: bool = False):
    """The orders ``user`` may see, filtered. Archived orders are out of the working list unless asked for
    (``archived``) or searched for (``q``)."""
    owner_id = _owner_id(owner) if owner else None
    if owner and owner_id is None:
        return SalesOrder.objects.none()
    orders = _filtered(user, statuses=_known(status) if status else None, owner_id=owner_id, customer_id=customer_id,
                       archived=archived or bool(q))
    few = False
    if q and q.strip():
        condition = search_q(q.strip())
        few = len(condition.children[0][1]) <= SORT_AFTER_FETCH_MAX if condition.children[0][0] == "pk__any_of" else False
        orders = orders.filter(condition)
    return orders.order_by(*ordering(sort, few_matches=few))


def _filtered(user, *, statuses: list[str] | None, owner_id: int | None, customer_id: int | None, archived: bool):
    """order_list's filters but the search: what ``user`` may see, by state, 销售负责人 (by id), customer, archived or not."""
    orders = filter_visible(SalesOrder.objects.all(), user).select_related("customer", "owner")
    if not archived:
        orders = orders.filter(archived_at__isnull=True)
    if statuses is not None:
        orders = orders.filter(status__in=statuses)
    if owner_id is not None:
        orders = orders.filter(owner_id=owner_id)
    if customer_id:
        orders = orders.filter(customer_id=customer_id)
    return orders


def _known(statuses: list[str]) -> list[str]:
    return [s for s in statuses if s in OrderStatus.values]


def _owner_id(username: str) -> int | None:
    """The 销售负责人's id first: as a subquery, PostgreSQL cannot use the owner's index and walked every order by
    date to find a rare owner's few (0.5 s at 1,000,000 orders)."""
    found = _USER_ID.all(username)
    return found[0][0] if found else None


_USER_ID = PreparedRows(User, lambda username: User.objects.filter(username=username).values_list("pk")[:1], params=1,
                        plan_once=True)


def ordering(sort: str, *, few_matches: bool = False) -> tuple:
    """The ORDER BY of ``sort`` (SORTS). ``few_matches``: a search found at most SORT_AFTER_FETCH_MAX orders,
    read by primary key and then sorted; the sort keys are then written as COALESCE(col, col) — the same order,
    NULLs included — which no index of the column serves, so that PostgreSQL does not walk the sort column's index
    from the newest order filtering every one on the way (its choice when it assumes the matches are spread
    evenly; at 1,000,000 orders a search for an older customer's orders then read hundreds of thousands of rows)."""
    keys = SORTS.get(sort, SORTS["-created_at"])
    if not few_matches:
        return keys
    return tuple(_unindexed(key) for key in keys)


def sorted_after_fetch(orders) -> bool:
    """Whether order_list sorted ``orders`` as a search's few matches (``ordering(…, few_matches=True)``)."""
    from django.db.models import OrderBy
    from django.db.models.functions import Coalesce

    keys = orders.query.order_by
    return bool(keys) and isinstance(keys[0], OrderBy) and isinstance(keys[0].expression, Coalesce)


def _unindexed(key):
    from django.db.models import OrderBy
    from django.db.models.functions import Coalesce

    if isinstance(key, str):
        name = key.lstrip("-")
        if name == "id":  # the tie-breaker: among the matches, cheap
            return key
        expression = Coalesce(F(name), F(name))
        return expression.desc() if key.startswith("-") else expression.asc()
    return OrderBy(Coalesce(key.expression, key.expression), descending=key.descending, nulls_first=key.nulls_first,
                   nulls_last=key.nulls_last)


# Up to this many matches, the search filters by a list of order ids rather than by a subquery.
SEARCH_ID_LIST_MAX = 20_000
SORT_AFTER_FETCH_MAX = 20_000  # a search's matches up to this many are fetched by primary key, then sorted


NUMBER_PREFIX = re.compile(r"\d{6}-\d*")
NUMBER_CHARS = frozenset("0123456789-")  # core.numbering: YYYYMM-NNN
REF_CHARS = frozenset("TMP-" + REF_ALPHABET)  # services.new_provisional_ref


def search_q(q: str) -> Q:
    """Orders whose number, provisional reference, contact, customer name or a line's model or product name
    contains ``q`` (any case): their ids (``search_ids``) or, a term found almost everywhere, the UNION of the
    branches as a subquery."""
    ids, customers, _seen = search_ids(q)
    return Q(pk__any_of=ids) if ids is not None else _matching_subquery(q, customers)


def search_ids(q: str, user=None, first: int | None = None) -> tuple["Ids | None", list[int], bool]:
    """The ids of the orders ``q`` finds (search_q), newest first — None when there are more than
    SEARCH_ID_LIST_MAX; only the ``first`` newest when no more are wanted (never None then) — and of the customers
    whose name holds it: the UNION of what each branch finds through its
    own index (on PostgreSQL the trigram indexes on the orders' columns, the customers' names, the lines' names), so
    the list and its count start from the matches instead of walking every visible order. The customers (a small
    table) are looked up first; the names lines were ordered under (LineName, as small) are a subquery of the UNION,
    whose lines are then read by those names with their order's created_at (the lines' index holds both). The
    customers' statement is compiled once, the UNION once for each kind of term (``_term_kind``), whether
    customers were found and, for a salesperson (``user`` whose orders the lines can tell: access.visible_lines_q),
    the kind of user: then each branch keeps only the orders they see — a line by the copies it keeps of its order's
    owner, enterer and customer, from the same index — and the third value says so (True)."""
    customers = [pk for (pk,) in _CUSTOMERS_NAMED.all(q)]
    values = (q, Ids(customers).param()) if customers else (q,)
    seer = (frozenset(user.roles), user.team_id is not None) if user is not None and sees_by_people(user) else None
    if seer:
        values += (user.pk, user.team_id)
    limit = SEARCH_ID_LIST_MAX + 1 if first is None else first
    ids = [pk for (pk,) in _matches_statement(_term_kind(q), bool(customers), seer, limit).all(*values)]
    if first is None and len(ids) > SEARCH_ID_LIST_MAX:
        return None, customers, seer is not None
    return Ids(ids, newest_first=True), customers, seer is not None


def _term_kind(q: str) -> tuple[str, bool]:
    """Which of the orders' own columns can hold ``q``: (the number: "prefix", "contains" or "", the provisional
    reference: whether). A formal number is YYYYMM-NNN…, with one dash: a term of six digits and the dash (and
    digits) is contained in a number only at its start, which the number's prefix index finds at once (its
    trigrams, digits, are in every number: the trigram index reads most of them). A number holds only digits and a
    dash, a provisional reference only TMP- and its alphabet: a term with anything else (a model, a customer's
    name) is in neither, and their trigram indexes are not read for it (at 1,000,000 orders "R-1093" read 529
    numbers that share its digits' trigrams, 4 ms)."""
    number = ("prefix" if NUMBER_PREFIX.fullmatch(q) else "contains") if set(q) <= NUMBER_CHARS else ""
    return number, set(q.upper()) <= REF_CHARS


def _branches(q, kind: tuple[str, bool], customers, viewer=None) -> list:
    """The (order id, created_at) each branch of the search finds: the orders' own columns, the customers' orders
    (``customers``: their ids, as ``Ids`` or ``IdsParam``; None for none), the lines ordered under a name that
    contains ``q``; with ``viewer``, a salesperson, only those of the orders they see. The first names the UNION's
    columns."""
    number, ref = kind
    own = Q(contact_name__icontains=q)
    if number:
        own |= Q(number__startswith=q) if number == "prefix" else Q(number__icontains=q)
    if ref:
        own |= Q(provisional_ref__icontains=q)
    orders, lines = SalesOrder.objects.all(), OrderLine.objects.all()
    if viewer is not None:
        orders, lines = orders.filter(visible_orders_q(viewer)), lines.filter(visible_lines_q(viewer))
    found = [orders.filter(own).order_by().values_list("pk", "created_at")]
    if customers is not None:
        found.append(orders.filter(customer_id__any_of=customers).order_by().values_list("pk", "created_at"))
    # a line keeps the model and product name it was ordered under: the few names that contain the term, then the
    # lines ordered under them (each column's index with the order, its created_at and people: index-only)
    names = LineName.objects.filter(name__icontains=q).values("name")
    found += [lines.filter(**{f"{column}__in": names}).order_by().values_list("order_id", "order_created_at")
              for column in ("model", "product_name")]
    return found


_CUSTOMERS_NAMED = PreparedRows(Customer, lambda q: Customer.objects.filter(name__icontains=q).order_by().values_list("pk"),
                                params=1, like=True)
_MATCHES: dict[tuple, PreparedRows] = {}


def _matches_statement(kind: tuple[str, bool], customers: bool, seer: tuple | None, limit: int) -> PreparedRows:
    """The search's UNION for a kind of term, with or without customers' orders, for everyone or (``seer``: roles,
    whether in a team) a kind of salesperson, as the ids only, newest first (the list's default order), at most
    ``limit`` of them."""
    statement = _MATCHES.get((kind, customers, seer, limit))
    if statement is None:
        def build(q, *rest):
            customer_ids, rest = (rest[0], rest[1:]) if customers else (None, rest)
            viewer = Viewer(pk=rest[0], team_id=rest[1] if seer[1] else None, roles=seer[0]) if seer else None
            branches = _branches(q, kind, IdsParam(customer_ids) if customers else None, viewer)
            return branches[0].union(*branches[1:])

        statement = _MATCHES[(kind, customers, seer, limit)] = PreparedRows(
            SalesOrder, build, params=1 + customers + 2 * bool(seer), like=True, may_omit=bool(seer),
            outer=f'SELECT "pk" FROM ({{}}) AS "matches" ORDER BY "created_at" DESC, "pk" DESC LIMIT {int(limit)}')
    return statement


def _matching_subquery(q: str, customers: list[int]) -> Q:
    """A term found almost everywhere: the search's UNION as a subquery of the list (its ids only)."""
    branches = _branches(q, _term_kind(q), Ids(customers) if customers else None)
    ids_only = [branch.values_list(branch.query.values_select[0], flat=True) for branch in branches]
    return Q(pk__in=ids_only[0].union(*ids_only[1:]))


class Ids:
    """Integer primary keys as the database gave them, for ``__any_of``: taken as they are, written as one
    parameter (``param``: on PostgreSQL a bigint array's text, on SQLite a JSON array), so integers only. As a list,
    Django resolved and prepared each of a search's thousands of ids one by one and the driver wrote each into the
    array (about 10 ms for 5,000 ids). ``newest_first``: the ids are in the list's default order (created_at, then
    id, descending)."""

    __slots__ = ("values", "newest_first")

    def __init__(self, values: list[int], *, newest_first: bool = False):
        self.values, self.newest_first = values, newest_first

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self):
        return iter(self.values)

    def param(self, vendor: str | None = None) -> str:
        """The ids as ``__any_of``'s one parameter on ``vendor``'s database (the default database's)."""
        text = ",".join(map(str, self.values))
        return "{" + text + "}" if (vendor or connection.vendor) == "postgresql" else "[" + text + "]"


class IdsParam:
    """Ids written as ``__any_of``'s one parameter already (``Ids.param``), or a compiled statement's marker in
    their place (``PreparedRows``): a statement compiled once takes any number of ids as one value."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


@Field.register_lookup
class AnyOf(Lookup):
    """``field__any_of=[…]``: ``field = ANY(%s)`` with the list as one array parameter on PostgreSQL (a list of
    thousands of ids costs one parameter, not thousands); ``IN (…)`` elsewhere. ``Ids`` and ``IdsParam`` are one
    parameter on either database: PostgreSQL's array text, SQLite's JSON array (``IN (SELECT value FROM
    json_each(…))``)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        if isinstance(self.rhs, (Ids, IdsParam)):
            return self.rhs
        return [self.lhs.output_field.get_prep_value(v) for v in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if isinstance(self.rhs, (Ids, IdsParam)):
            param = self.rhs.value if isinstance(self.rhs, IdsParam) else self.rhs.param(connection.vendor)
            if connection.vendor == "postgresql":
                return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, param]
            return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, param]
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


ForeignKey.register_lookup(AnyOf)  # customer_id__any_of: a relation's column is looked up by its own class


NEWEST_FIRST = ordering("-created_at", few_matches=True)
COUNT_CAP = 1000  # 20 pages of 50: beyond, one filters or searches


class FoundInOrder:
    """A search's few matches (``sorted_after_fetch``) as the ids of those the user sees, in the list's order, read
    in one statement: counted from them and sliced into pages, each page its orders read by id (in the same order).
    Counting them and then reading a page would each read every match's row to test it against the visibility.
    When the list is the search's matches and nothing else, newest first (``_newest_first``), they are its ids as the
    search gave them, with no statement."""

    def __init__(self, queryset, cap: int | None = None):
        self.queryset = queryset
        cap = COUNT_CAP if cap is None else cap
        newest_first = _newest_first(queryset)
        if newest_first is not None:  # nothing but the matches, in their order: no statement
            self.ids = newest_first.values[:cap + 1]
        else:
            self.ids = list(queryset.values_list("pk", flat=True)[:cap + 1])  # the count and the pages stop at the cap

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, part: slice):
        ids = self.ids[part]
        if not ids:
            return self.queryset.none()
        # by id alone: the ids are those its filters found, and testing them again against the search's thousands
        # of ids costs 15 times the page
        return _read_by_ids(self.queryset, pk__any_of=Ids(ids))


def _newest_first(queryset) -> Ids | None:
    """The search's ids (``Ids``, newest first) when ``queryset`` is those orders and nothing else, in that order: for
    a user who sees every order, with no other filter, sorted newest first (the default). The order's own created_at
    and the lines' copy of it are the same, so the search's order is the list's."""
    where = queryset.query.where
    if where.negated or len(where.children) != 1 or queryset.query.order_by != NEWEST_FIRST:
        return None
    (lookup,) = where.children
    if isinstance(lookup, AnyOf) and isinstance(lookup.rhs, Ids) and lookup.rhs.newest_first and lookup.lhs.target.primary_key:
        return lookup.rhs
    return None


class FewInOrder:
    """A list of at most the count's cap (``counted``), sorted after it is fetched: each page's ids chosen in the
    list's order by a subquery on the orders alone (for the usual filters and sort, the working list's indexes hold
    every column it reads), then only that page's orders read with their customer and owner. Sorting all of them
    joined to their customers and owners first cost 11 ms at 1,000,000 orders for a status's 900 orders.
    Only slices of pages (the paginator's and the API's)."""

    def __init__(self, queryset, count: int):
        self.queryset, self.count = queryset, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, part: slice):
        if (part.start or 0) >= self.count:  # past the last page: nothing to read
            return self.queryset.none()
        return _read_by_ids(self.queryset, pk__in=self.queryset.select_related(None).values("pk")[part])


def _read_by_ids(queryset, **ids):
    """The orders ``ids`` names (``pk__any_of``: ``Ids``; ``pk__in``: a subquery), read by primary key in
    ``queryset``'s order. The lists read a page as values of their columns (order_rows, order_summaries)."""
    return queryset.model._default_manager.filter(**ids).order_by(*queryset.query.order_by)


def found_orders(queryset, cap: int | None = None):
    """``queryset`` to count and page: a search's few matches as ``FoundInOrder``, any other list as it is."""
    if isinstance(queryset, (PreparedListing, FoundIds)):
        return queryset
    return FoundInOrder(queryset, cap) if sorted_after_fetch(queryset) else queryset


def capped_count(queryset, cap: int | None = None) -> tuple[int, bool]:
    """(how many rows, up to ``cap``; whether there are more). Counting stops at the cap, so a list of a
    million orders costs as little as one of ten thousand (``cap``: COUNT_CAP). A ``FoundInOrder`` is counted
    already."""
    cap = COUNT_CAP if cap is None else cap
    if isinstance(queryset, (FoundInOrder, FoundIds)):
        n = len(queryset)
    elif isinstance(queryset, PreparedListing):
        n = queryset.count(cap)
    else:
        n = queryset.order_by().select_related(None).values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def counted(queryset, count: int, capped: bool):
    """``queryset``, its matches counted (capped_count): none when there are none (no statement at all); when there
    are at most the cap, sorted after they are fetched (``_unindexed``: the same order) and paged by ids
    (``FewInOrder``) — with LIMIT and an index on
    the sort column, PostgreSQL walks that index from the newest order testing each against the filters, every one
    of them when few or none pass (a rare owner's orders: 0.3–0.5 s at 1,000,000 orders); as it is when there are
    more, whose first pages that walk finds at once."""
    if isinstance(queryset, (FoundInOrder, FoundIds, FewInOrder, ListedPages)):  # read by ids already (a paginator asks again for its last page)
        return queryset
    if isinstance(queryset, PreparedListing):
        return ListedPages(queryset, count, capped)
    keys = queryset.query.order_by
    if count == 0:
        return queryset.none()
    if capped or not keys or sorted_after_fetch(queryset):
        return queryset
    return FewInOrder(queryset.order_by(*(_unindexed(key) for key in keys)), count)


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``COUNT_CAP`` (the pages shown stop there too: filter or search to
    narrow a longer list). ``count_capped`` says there are more."""

    @cached_property
    def _capped(self):
        self.object_list = found_orders(self.object_list)
        return capped_count(self.object_list)

    @cached_property
    def count(self):
        return self._capped[0]

    @property
    def count_capped(self) -> bool:
        return self._capped[1]

    @property
    def cap(self) -> int:
        """Where the count stops (the pager says so when it did)."""
        return COUNT_CAP

    def page(self, number):
        count, capped = self._capped  # counted first (cached): a search's few matches become their ids
        self.object_list = counted(self.object_list, count, capped)
        return super().page(number)


# --- the order list without a search: its statements compiled once per shape -------------------------------------

def order_listing(*, user, status: list[str] | None = None, owner: str | None = None, customer_id: int | None = None,
                  sort: str = "-created_at", archived: bool = False) -> "PreparedListing | None":
    """``order_list`` without a search (the order list's usual filters: state, 销售负责人, customer, archived, a
    column's sort), counted and paged by statements compiled once per shape (``PreparedListing``); None where
    order_list answers without a statement (a 销售负责人 nobody is, states none of which exist).
    Building the list's count and page with the ORM cost a list page about as much as the database took to answer."""
    statuses = _known(status) if status else None
    owner_id = _owner_id(owner) if owner else None
    if statuses == [] or (owner and owner_id is None):
        return None
    return PreparedListing(*_listing_shape(user, statuses, owner_id, customer_id, sort, archived))


def _listing_shape(user, statuses: list[str] | None, owner_id: int | None, customer_id: int | None, sort: str,
                   archived: bool) -> tuple[tuple, tuple]:
    """(the shape of a list's statements, the values put into them): the kind of user, how many states, whether a
    销售负责人 and a customer are chosen, the sort, archived or not; the user's id and team, the states, …"""
    shape = (frozenset(user.roles), user.team_id is not None, None if statuses is None else len(statuses),
             owner_id is not None, bool(customer_id), sort if sort in SORTS else "-created_at", archived)
    values = (user.pk, user.team_id, *(statuses or ()), *(() if owner_id is None else (owner_id,)),
              *((customer_id,) if customer_id else ()))
    return shape, values


def order_search(*, user, q: str, status: list[str] | None = None, owner: str | None = None,
                 customer_id: int | None = None, sort: str = "-created_at"):
    """``order_list`` with a search: the matches (``search_ids``) ``user`` sees and the other filters keep, in the
    list's order, read once as their ids and paged by them (``FoundIds``, as ``FoundInOrder``), each statement
    compiled once for its shape (``order_listing``'s); a search finds archived orders too. A term found almost
    everywhere, with no list of ids, is order_list's QuerySet; None when ``q`` is blank (order_list)."""
    term = q.strip()
    if not term:
        return None
    statuses = _known(status) if status else None
    owner_id = _owner_id(owner) if owner else None
    if statuses == [] or (owner and owner_id is None):
        return SalesOrder.objects.none()
    shape, values = _listing_shape(user, statuses, owner_id, customer_id, sort, True)
    # the matches themselves, newest first, are the list when nothing else filters them and the search keeps only
    # what the user sees (or they see every order): its first page and count need only the first of them
    as_found = (statuses is None and owner_id is None and not customer_id and shape[5] == "-created_at"
                and (sees_by_people(user) or sees_every_order(user)))
    ids, customers, _seen = search_ids(term, user, first=COUNT_CAP + 1 if as_found else None)
    if ids is None:
        orders = _filtered(user, statuses=statuses, owner_id=owner_id, customer_id=customer_id, archived=True)
        return orders.filter(_matching_subquery(term, customers)).order_by(*ordering(sort))
    if as_found:
        return FoundIds(ids.values, shape[5])  # the matches as they are, in their order: no statement
    found = _listing_statement(shape, ("found", COUNT_CAP)).all(*values, ids.param())
    return FoundIds([pk for (pk,) in found], shape[5])


class FoundIds:
    """A search's matches ``user`` sees (order_search), as their ids in the list's order, up to one more than the
    count's cap: counted from them (capped_count) and paged by them (counted), a page its rows read by id as dicts of
    LISTED_FIELDS, by a statement compiled once for the sort."""

    def __init__(self, ids: list[int], sort: str):
        self.ids, self.sort = ids, sort

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, part: slice) -> list[dict]:
        ids = self.ids[part]
        if not ids:
            return []
        return [dict(zip(LISTED_FIELDS, row)) for row in _found_page(self.sort).all(Ids(ids).param())]


def _found_page(sort: str) -> PreparedRows:
    """The rows of the orders whose ids are given, in the list's order of ``sort`` (their few, sorted after they
    are read: ``ordering(…, few_matches=True)``)."""
    statement = _FOUND_PAGES.get(sort)
    if statement is None:
        statement = _FOUND_PAGES[sort] = PreparedRows(
            SalesOrder, lambda ids: SalesOrder.objects.filter(pk__any_of=IdsParam(ids))
            .order_by(*ordering(sort, few_matches=True)).values_list(*LISTED_FIELDS), params=1, plan_once=True)
    return statement


_FOUND_PAGES: dict[str, PreparedRows] = {}


class PreparedListing:
    """An order list (``order_listing``): its count up to a cap (``capped_count``) and its pages (``counted``:
    ``ListedPages``), each a statement compiled once for the list's shape — the kind of user, how many states, whether
    a 销售负责人 and a customer are chosen, the sort, archived or not — and the page's place, the values put in."""

    def __init__(self, shape: tuple, values: tuple):
        self.shape, self.values = shape, values

    def count(self, cap: int) -> int:
        """How many orders, counting stops after ``cap`` + 1."""
        ((n,),) = _listing_statement(self.shape, ("count", cap)).all(*self.values)
        return n


class ListedPages:
    """The pages of a ``PreparedListing`` of ``count`` orders (capped_count), as ``counted`` pages a QuerySet: a
    page of a list longer than the cap walks the sort's index; of a shorter one, its ids are chosen in the list's
    order on the orders alone and only those orders read (``FewInOrder``). A page is its rows as dicts of
    ``LISTED_FIELDS``."""

    def __init__(self, listing: PreparedListing, count: int, capped: bool):
        self.listing, self.count, self.capped = listing, count, capped

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, part: slice) -> list[dict]:
        bottom = part.start or 0
        if self.count == 0 or (bottom >= self.count and not self.capped):  # past the last page: nothing to read
            return []
        what = ("capped" if self.capped else "few", bottom, part.stop - bottom)
        rows = _listing_statement(self.listing.shape, what).all(*self.listing.values)
        return [dict(zip(LISTED_FIELDS, row)) for row in rows]


def _listing_statement(shape: tuple, what: tuple) -> PreparedRows:
    """The statement of ``what`` (a count up to a cap; a page's rows at an offset) for lists of ``shape``, compiled
    once; at most LISTINGS_KEPT are kept (a list's shapes and pages are few; a client's own page sizes are not)."""
    key = (shape, what)
    statement = _LISTINGS.get(key)
    if statement is None:
        if len(_LISTINGS) >= LISTINGS_KEPT:
            _LISTINGS.clear()
        n_status, has_owner, has_customer = shape[2] or 0, shape[3], shape[4]
        statement = _LISTINGS[key] = PreparedRows(
            SalesOrder, lambda *values: _listing_query(shape, what, *values),
            params=2 + n_status + has_owner + has_customer + (what[0] == "found"), may_omit=True,
            count_rows=what[0] == "count")
    return statement


_LISTINGS: dict[tuple, PreparedRows] = {}
LISTINGS_KEPT = 512


def _listing_query(shape: tuple, what: tuple, user_id, team_id, *rest):
    """The QuerySet of ``_listing_statement``: order_list's, counted or paged as ``capped_count`` and ``counted`` do."""
    roles, has_team, n_status, has_owner, has_customer, sort, archived = shape
    kind, at = what[0], what[1]
    if kind == "found":  # order_search: the ids of the search's matches, the last value
        *rest, ids = rest
    statuses, rest = (None, rest) if n_status is None else (list(rest[:n_status]), rest[n_status:])
    owner_id, rest = (rest[0], rest[1:]) if has_owner else (None, rest)
    customer_id = rest[0] if has_customer else None
    viewer = Viewer(pk=user_id, team_id=team_id if has_team else None, roles=roles)
    orders = _filtered(viewer, statuses=statuses, owner_id=owner_id, customer_id=customer_id, archived=archived)
    if kind == "found":  # their ids, up to one more than the cap (as FoundInOrder)
        return orders.filter(pk__any_of=IdsParam(ids)).order_by(*(_unindexed(key) for key in SORTS[sort])).values_list("pk")[:at + 1]
    if kind == "count":
        return orders.order_by().select_related(None).values("pk")[:at + 1]
    part = slice(at, at + what[2])
    if kind == "capped" and not at:  # a long list's first page: its sort's index walked, each order joined as read
        return orders.order_by(*SORTS[sort]).values_list(*LISTED_FIELDS)[part]
    # Any other page: its ids chosen on the orders alone, then only those orders read with their customers and
    # owners — a later page of a long list walks the sort's index past the orders before it without joining them
    # (page 5: 250 orders joined for 50 shown otherwise); a short list's ids sorted after they are found.
    few = orders.order_by(*(_unindexed(key) for key in SORTS[sort]))
    chosen = orders.order_by(*SORTS[sort]) if kind == "capped" else few
    return _read_by_ids(few, pk__in=chosen.select_related(None).values("pk")[part]).values_list(*LISTED_FIELDS)


def listed_rows(page) -> list[dict]:
    """A list page's rows as dicts of LISTED_FIELDS: a ``ListedPages`` page is already; a QuerySet's page is read."""
    return page if isinstance(page, list) else list(page.values(*LISTED_FIELDS))


# Relations most orders have none of (or not yet): order_get says in its one statement whether each has rows
# (``has_<name>``), and the order's page and API skip the statement fetching them when it has none.
KNOWN_EMPTY = ("shipments", "visit", "stages", "tickets", "attachments", "invoices", "risks")
# Read with the order for its page, the API and the guards (order.<name>.all()); risks only when it has any.
PREFETCHED = ("lines", "risks", "timers")


def _order_by_ref(field: str, user) -> PreparedQuery | None:
    """The read of one order by ``field`` for users with ``user``'s roles (and a team or none): its customer, the
    people named on it, whether it has rows of each of ``KNOWN_EMPTY``; the statement compiled once per kind of
    user (the visibility filter names the user's id and team; a director's names neither). None for users who may
    see no order (no role): there is nothing to ask."""
    roles, has_team = frozenset(user.roles), user.team_id is not None
    key = (field, roles, has_team)
    if key not in _ORDER_BY_REF:
        def build(ref, user_id, team_id):
            viewer = Viewer(pk=user_id, team_id=team_id if has_team else None, roles=roles)
            return (filter_visible(SalesOrder.objects.filter(**{field: ref}), viewer)
                    .select_related("customer", "customer__payment_term", "owner", "entered_by", "manager_approved_by")
                    .annotate(**{f"has_{name}": rows_exist(name) for name in KNOWN_EMPTY})[:1])

        sees_none = visible_orders_q(user) == NO_ORDERS
        _ORDER_BY_REF[key] = None if sees_none else PreparedQuery(SalesOrder, build, params=3, may_omit=True)
    return _ORDER_BY_REF[key]


_ORDER_BY_REF: dict[tuple, PreparedQuery | None] = {}


def _rows_of_order(name: str) -> PreparedQuery:
    model = SalesOrder._meta.get_field(name).related_model
    return PreparedQuery(model, lambda order_id: model._default_manager.filter(order_id=order_id))


_ROWS_OF_ORDER = {name: _rows_of_order(name) for name in PREFETCHED}


def order_get(*, user, ref: str, for_page: bool = False, timeline_kept=None) -> SalesOrder:
    """One order by its number or provisional reference, if ``user`` may see it; 404 otherwise. Its PREFETCHED
    rows are read with it and, ``for_page``, what its page shows of it (PAGE_ROWS, kept as ``order.page_rows``):
    all of them at once (read_together: on PostgreSQL one round trip). When ``timeline_kept(order_id)`` says its
    drawn timeline is likely kept (work.order_page_timeline), only its events' ids are read (``event_ids``): what
    the kept timeline is known by, without the events and their actors (their full read: order_timeline)."""
    ref = (ref or "").strip()
    field = "number" if re.fullmatch(r"\d{6}-\d{3,}", ref) else "provisional_ref"
    query = _order_by_ref(field, user)
    found = query.all(ref, user.pk, user.team_id) if query is not None else []
    if not found:
        raise NotFound(_("订单不存在：%(ref)s") % {"ref": ref})
    order = found[0]
    reads = {**_ROWS_OF_ORDER, **(_page_reads() if for_page else {})}
    if for_page and timeline_kept is not None and timeline_kept(order.pk):  # the events' ids, not the events
        del reads["events"]
        reads["event_ids"] = _EVENT_IDS
    wanted = [name for name in reads if has_rows(order, _ROWS_OF.get(name, name))]  # known empty: no statement
    rows = dict(zip(wanted, read_together(*((reads[name], (order.pk,)) for name in wanted))))
    for name in PREFETCHED:  # as prefetch_related would
        keep_rows(order, name, rows.get(name, []))
    if for_page:
        order.page_rows = {name: rows.get(name, []) for name in (*PAGE_ROWS, "event_ids") if name in reads}
    order.visible_to_user_id = user.pk  # it passed the visibility filter: order_visible_to need not ask again
    return order


_TIMELINE = PreparedQuery(OrderEvent, lambda order_id: OrderEvent.objects.filter(order_id=order_id)
                          .select_related("actor").order_by("occurred_at", "id"))


_EVENT_IDS = PreparedQuery(OrderEvent, lambda order_id: OrderEvent.objects.filter(order_id=order_id).only("id")
                           .order_by("occurred_at", "id"))


def page_event_ids(order) -> tuple[int, ...] | None:
    """The ids of the order's events, oldest first, when its page read only those (order_get's ``timeline_kept``);
    otherwise None (order_timeline reads the events)."""
    page_rows = getattr(order, "page_rows", None)
    if page_rows is None or "event_ids" not in page_rows:
        return None
    return tuple(event.pk for event in page_rows["event_ids"])


def order_timeline(order) -> list:
    """The order's events, oldest first, each with who took it (a statement compiled once)."""
    events = rows_read(order, "events", _TIMELINE)
    for event in events:
        OrderEvent.order.field.set_cached_value(event, order)
    return events


_SHIPMENTS = PreparedQuery(Shipment, lambda order_id: Shipment.objects.filter(order_id=order_id))
_SHIPMENT_LINES = PreparedQuery(ShipmentLine, lambda shipment_ids: ShipmentLine.objects.filter(shipment_id__in=shipment_ids))
_ORDER_SHIPMENT_LINES = PreparedQuery(ShipmentLine, lambda order_id: ShipmentLine.objects.filter(shipment__order_id=order_id))
_VISIT = PreparedQuery(FollowUpVisit, lambda order_id: FollowUpVisit.objects.filter(order_id=order_id))
_STAGES = PreparedQuery(FulfillmentStage, lambda order_id: FulfillmentStage.objects.filter(
    order_id=order_id, superseded=False).select_related("owner"))

# What the order's page shows of it besides PREFETCHED, read with the order (order_get's ``for_page``); each is
# skipped when the order is known to have none of the relation named in _ROWS_OF (or of its own name).
PAGE_ROWS = ("events", "shipments", "shipment_lines", "visit", "stages", "instalments")
_ROWS_OF = {"shipment_lines": "shipments", "event_ids": "events"}


def _page_reads() -> dict[str, PreparedQuery]:
    from orderloop.finance.plans import INSTALMENTS  # finance builds on orders

    return {"events": _TIMELINE, "shipments": _SHIPMENTS, "shipment_lines": _ORDER_SHIPMENT_LINES, "visit": _VISIT,
            "stages": _STAGES, "instalments": INSTALMENTS}


def order_shipments(order) -> list:
    """The order's consignments in their order, each with its lines (``shipment.lines.all()``), each line with
    its order line taken from the order's (``order.lines``): two statements compiled once (none when read for the
    order's page), none for the order lines; the lines are those of the consignments read (one added in between is
    not half there). An order known to have none (has_rows): no statement."""
    shipments = rows_read(order, "shipments", _SHIPMENTS)
    if not shipments:
        return []
    order_lines = {line.pk: line for line in order.lines.all()}
    items: dict[int, list] = {shipment.pk: [] for shipment in shipments}
    page_rows = getattr(order, "page_rows", None)
    lines = page_rows["shipment_lines"] if page_rows is not None else _SHIPMENT_LINES.all(list(items))
    for item in lines:  # of these consignments, as prefetch would
        if item.shipment_id not in items:
            continue
        if item.order_line_id in order_lines:
            ShipmentLine.order_line.field.set_cached_value(item, order_lines[item.order_line_id])
        items[item.shipment_id].append(item)
    for shipment in shipments:
        Shipment.order.field.set_cached_value(shipment, order)
        keep_rows(shipment, "lines", items[shipment.pk])
    return shipments


def order_visit(order):
    """The order's 客户满意度回访 (one at most), or None; no statement for an order known to have none."""
    found = rows_read(order, "visit", _VISIT)
    for visit in found:
        FollowUpVisit.order.field.set_cached_value(visit, order)
    return found[0] if found else None


def order_stages(order) -> list:
    """The order's 备货/生产 stages in force (not superseded by a later plan), each with its owner."""
    stages = rows_read(order, "stages", _STAGES)
    for stage in stages:
        FulfillmentStage.order.field.set_cached_value(stage, order)
    return stages


# The field rules (SPEC section 6, fields), one definition for the pages, the API and every document and PDF.
# ``user`` None (a reader nobody named) gets the strictest: no cost, the phone masked.

def sees_cost(user) -> bool:
    """Cost prices and margins (成本、利润率), and whatever names them (the approval's reasons)."""
    return user is not None and bool(user.roles & COST_READERS)


def sees_contact(user) -> bool:
    """The customer's phone number in full; everyone else reads it masked (138****5678)."""
    return user is not None and bool(user.roles & CONTACT_READERS)


def shown_phone(order, user) -> str:
    return phone_display(order.contact_phone) if sees_contact(user) else phone_masked(order.contact_phone)


# Event payload keys only cost readers see: the reasons for the director's approval may name the margin
# (利润率 … 低于 …), and the order page shows them to cost readers only.
COST_PAYLOAD_KEYS = frozenset({"director_reasons"})


def shown_payload(payload: dict, user) -> dict:
    """An event's payload as ``user`` may read it, under the same field rules as the order itself."""
    shown = payload if sees_cost(user) else {k: v for k, v in payload.items() if k not in COST_PAYLOAD_KEYS}
    phone = shown.get("contact_phone")
    if phone and isinstance(phone, str) and not sees_contact(user):
        shown = {**shown, "contact_phone": phone_masked(phone)}
    return shown


def payment_plan_data(order) -> dict | None:
    """The order's payment plan as the API returns it (None: its 付款方式 names no known term)."""
    from orderloop.finance.plans import payment_hold, plan_of

    plan = plan_of(order)
    if plan is None:
        return None
    return {"term": plan.term, "stored": plan.stored, "held_by": payment_hold(order), "instalments": [
        {"id": i.id, "number": i.number, "trigger": i.trigger, "condition": i.condition, "share": i.share,
         "amount": i.amount, "due_date": i.due, "received": i.received, "written_off": i.written_off,
         "outstanding": i.outstanding, "waived": i.waived} for i in plan.instalments]}


def order_detail(order, user) -> dict:
    """The order as the API returns it to ``user``."""
    cost = sees_cost(user)
    data = {
        "ref": order.ref,
        "number": order.number,
        "provisional_ref": order.provisional_ref,
        "status": order.status,
        "status_label": order.get_status_display(),
        "customer_id": order.customer_id,
        "customer_name": order.customer.name,
        "contact_name": order.contact_name,
        "contact_phone": order.contact_phone if sees_contact(user) else phone_masked(order.contact_phone),
        "order_date": order.order_date,
        "channel": order.channel,
        "payment_terms": order.payment_terms,
        "delivery_address": order.delivery_address,
        "requested_date": order.requested_date,
        "promised_date": order.promised_date,
        "owner": order.owner.username,
        "entered_by": order.entered_by.username if order.entered_by else None,
        "special_requirements": order.special_requirements,
        "special_terms": order.special_terms,
        "remarks": order.remarks,
        "total_amount": order.total_amount,
        "payment_plan": payment_plan_data(order),
        "version": order.version,
        "created_at": order.created_at,
        "archived": order.archived_at is not None,
        "updated_at": order.updated_at,
        "available_actions": available_actions(order, user),
        "timers": [timer_data(t) for t in order.timers.all()],
        "lines": [
            {
                "id": line.pk, "position": line.position, "product_id": line.product_id, "product_name": line.product_name,
                "model": line.model, "unit": line.unit, "quantity": line.quantity, "unit_price": line.unit_price,
                "amount": line.amount, "requested_date": line.requested_date, "availability": line.availability,
                "feasible_date": line.feasible_date, "feasible_date_estimated": date_estimated(line.feasible_date),
                "agreed_date": line.agreed_date,
            }
            for line in order.lines.all()
        ],
    }
    if cost:  # for everyone else the keys are absent, not blank
        data["cost_amount"] = order.cost_amount
        data["margin"] = order.margin.quantize(Decimal("0.0001")) if order.margin is not None else None
    return data


# What a list row shows (the order list's columns, order_summaries): a list reads only these, not the whole order,
# its customer and its owner — three wide rows per order otherwise, most of a list page's model building.
LISTED_FIELDS = ("number", "provisional_ref", "status", "customer_id", "customer__name", "order_date",
                 "requested_date", "owner_id", "owner__username", "owner__display_name", "total_amount", "version",
                 "created_at", "archived_at")


def order_summaries(orders) -> list[dict]:
    """The API's list rows of ``orders`` (a list's query, sliced to its page), read as values of the listed columns:
    no model instances (three a row otherwise: the order, its customer, its owner). Each state's label is
    translated once a list, not once a row (gettext of each row's: about 7 % of the list API's time)."""
    labels: dict[str, str] = {}
    return [{
        "ref": row["number"] or row["provisional_ref"], "number": row["number"], "status": row["status"],
        "status_label": labels.get(row["status"]) or labels.setdefault(row["status"], force_str(status_label(row["status"]))),
        "customer_id": row["customer_id"],
        "customer_name": row["customer__name"], "order_date": row["order_date"], "requested_date": row["requested_date"],
        "owner": row["owner__username"], "total_amount": row["total_amount"], "version": row["version"],
        "created_at": row["created_at"], "archived": row["archived_at"] is not None,
    } for row in listed_rows(orders)]


def timeline_data(events, user=None, known_users=()) -> list[dict]:
    """event_data of each of ``events``, each label translated once for them all (labels.Texts). The owners their
    payloads name are named as the users already read name them (the events' actors, ``known_users``: e.g. the
    order's stage owners), any other in one statement for them all."""
    events = list(events)
    names = user_names((owner for event in events for owner in payload_owners(event.payload)),
                       known_users=(*known_users, *(event.actor for event in events)))
    texts = Texts()
    return [event_data(event, user, names, texts) for event in events]


def event_data(event, user=None, names: dict[str, str] | None = None, texts: Texts | None = None) -> dict:
    """An event of the timeline as ``user`` may read it (shown_payload); without a user, the strictest rules.
    Its labels are text (``texts``: shared by the events of one timeline)."""
    payload = shown_payload(event.payload, user)
    texts = texts or Texts()
    return {
        "id": event.pk, "type": event.type, "label": event_label(event.type, texts),
        "from_label": texts(status_label(event.from_status)) if event.from_status else "",
        "to_label": texts(status_label(event.to_status)) if event.to_status else "",
        "details": event_details(payload, names, texts),
        "actor": event.actor.username if event.actor else None, "actor_name": str(event.actor) if event.actor else "",
        "occurred_at": event.occurred_at,
        "from_status": event.from_status, "to_status": event.to_status, "payload": payload,
    }


def timer_data(timer) -> dict:
    return {
        "kind": timer.kind, "label": timer.get_kind_display(), "started_at": timer.started_at, "due_at": timer.due_at,
        "state": timer.state, "met_at": timer.met_at, "breached_at": timer.breached_at, "estimated": timer.estimated,
    }


def customer_history(order, *, limit: int = 10):
    """The customer's other orders, newest first, for the approver."""
    return (SalesOrder.objects.filter(customer_id=order.customer_id).exclude(pk=order.pk)
            .order_by("-created_at")[:limit])


def audit_entries(*, user, actor: str | None = None, object_type: str | None = None, object_id: str | None = None,
                  since=None, until=None, operation: str | None = None):
    """The audit log as ``user`` may read it: the director and admins all of it; a sales manager what their
    team did and what happened to the orders they see. Newest first."""
    from orderloop.core.models import AuditEntry

    entries = AuditEntry.objects.select_related("actor").order_by("-occurred_at", "-id")
    if not user.has_role(*SEE_EVERYTHING):
        orders = SalesOrder.objects.filter(visible_orders_q(user) or Q()).values_list("pk", flat=True)
        team = Q(actor=user) | (Q(actor__team_id=user.team_id) if user.team_id else Q(pk__in=[]))
        entries = entries.filter(team | Q(object_type="orders.salesorder", object_id__in=[str(pk) for pk in orders]))
    if actor:
        entries = entries.filter(Q(actor__username=actor) | Q(actor__display_name=actor))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(Q(object_id=object_id) | Q(object_repr__startswith=object_id))
    if operation:
        entries = entries.filter(operation=operation)
    if since:
        entries = entries.filter(occurred_at__gte=since)
    if until:
        entries = entries.filter(occurred_at__lt=until)
    return entries


def acceptance_items(shipment) -> list:
    """The acceptance (验收) of a consignment as recorded: 数量, 规格 and 外观 in the order asked, each 合格 or
    不合格 with its note, and its photos (``.photos``, the ticket's) — what the receipt shows the customer."""
    items = list(shipment.acceptance_items.all())
    photos: dict = {}
    for photo in Attachment.objects.filter(shipment=shipment, kind=Attachment.Kind.PHOTO, ticket__isnull=False):
        photos.setdefault(photo.ticket_id, []).append(photo)
    for item in items:
        item.photos = photos.get(item.ticket_id, []) if item.ticket_id else []
    return items
