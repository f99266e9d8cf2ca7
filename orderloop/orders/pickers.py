"""The order filters' pickers (orders/_filters.html): 销售负责人 (the people who may own an order), 客户名称 (the
customers the user may see) and 产品 (the active products), each listed only when there are at most ``most`` of
them (the search box finds a customer or product by name) — read together in one statement (a UNION ALL of the
three, each as (kind, key, text, more text, sort key), in each list's order), compiled once per kind of user
(roles, a team or none). With them, one customer the user may see, if any: a customer list left empty has more
than ``most`` to list (the page points to the search box) unless there is none at all. The list and search pages
and the registers drew them with a statement each, and a fourth to tell an empty list from a long one."""
from django.db.models import CharField, F, IntegerField, Subquery, Value
from django.db.models.functions import Cast

from orderloop.accounts.models import User
from orderloop.accounts.permissions import ORDER_OWNERS
from orderloop.accounts.roles import Viewer
from orderloop.core.prepared import PreparedRows
from orderloop.masterdata.models import Customer, Product
from orderloop.masterdata.services import NO_CUSTOMERS, at_most, customers_visible_to, visible_customers_q

OWNER, CUSTOMER, PRODUCT, SOME_CUSTOMER = 1, 2, 3, 4
COLUMNS = ("picker_kind", "picker_key", "picker_text", "picker_more", "picker_sort")


def _listed(kind: int, queryset, key, text, more, sort):
    return queryset.order_by().annotate(
        picker_kind=Value(kind, output_field=IntegerField()), picker_key=key, picker_text=text, picker_more=more,
        picker_sort=sort).values_list(*COLUMNS)


def _lists(roles: frozenset, has_team: bool, most: int, sees_customers: bool):
    def build(user_id, team_id):
        owners = _listed(OWNER, User.objects.filter(is_active=True, groups__name__in=ORDER_OWNERS).distinct(),
                         F("username"), F("display_name"), Value(""), F("username"))
        products = _listed(PRODUCT, at_most(Product.objects.filter(is_active=True), most),
                           Cast("id", CharField()), F("model"), F("name"), F("model"))
        parts = [products]
        if sees_customers:
            viewer = Viewer(pk=user_id, team_id=team_id if has_team else None, roles=roles)
            parts.insert(0, _listed(CUSTOMER, at_most(customers_visible_to(viewer), most),
                                    Cast("id", CharField()), F("name"), Value(""), F("name")))
            first = customers_visible_to(viewer).order_by().values("pk")[:1]
            parts.append(_listed(SOME_CUSTOMER, Customer.objects.filter(pk=Subquery(first)),
                                 Cast("id", CharField()), Value(""), Value(""), Value("")))
        return owners.union(*parts, all=True).order_by("picker_kind", "picker_sort")

    return PreparedRows(User, build, params=2, may_omit=True, plan_once=True)


_LISTS: dict[tuple, PreparedRows] = {}


def picker_lists(user, most: int) -> dict[int, list[tuple]]:
    """{OWNER: [(username, name)], CUSTOMER: [(id, name)], PRODUCT: [(id, model, name)], SOME_CUSTOMER: [(id,)]
    or []}, each in its order; a list with more than ``most`` rows is empty."""
    sees_customers = visible_customers_q(user) != NO_CUSTOMERS
    key = (frozenset(user.roles), user.team_id is not None, most, sees_customers)
    query = _LISTS.get(key)
    if query is None:
        query = _LISTS[key] = _lists(*key)
    lists: dict[int, list[tuple]] = {OWNER: [], CUSTOMER: [], PRODUCT: [], SOME_CUSTOMER: []}
    for kind, picked, text, more, _sort in query.all(user.pk, user.team_id):
        if kind == OWNER:
            lists[OWNER].append((picked, text))
        elif kind == CUSTOMER:
            lists[CUSTOMER].append((int(picked), text))
        elif kind == SOME_CUSTOMER:
            lists[SOME_CUSTOMER].append((int(picked),))
        else:
            lists[PRODUCT].append((int(picked), text, more))
    return lists
