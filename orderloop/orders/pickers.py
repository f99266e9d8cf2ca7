"""The order filters' pickers (orders/_filters.html): 销售负责人 (the people who may own an order), 客户名称 (the
customers the user may see) and 产品 (the active products), each listed only when there are at most ``most`` of
them (the search box finds a customer or product by name) — read together in one statement (a UNION ALL of the
three, each as (kind, key, text, more text, sort key), in each list's order), compiled once per kind of user
(roles, a team or none). With them, one customer the user may see, if any: a customer list left empty has more
than ``most`` to list (the page points to the search box) unless there is none at all. The list and search pages
and the registers drew them with a statement each, and a fourth to tell an empty list from a long one.

What the statement reads changes only with the master data, so its rows are kept per process under the master
data's stamp (core.models.MasterDataStamp, read with the session), for the user and ``most``: the user's next list,
search or register page reads none of them (a tenth of an order list page's time), and each list's <option>s are
drawn once for the rows kept (a sales manager's few hundred customers: 400 values escaped a page). A customer list
left empty offers only the customer chosen, whose name is kept the same way (``chosen_customer``)."""
from html import escape

from django.db.models import CharField, F, IntegerField, Subquery, Value
from django.db.models.functions import Cast
from django.utils.safestring import SafeString, mark_safe

from orderloop.accounts.models import User
from orderloop.accounts.permissions import ORDER_OWNERS
from orderloop.accounts.roles import Viewer
from orderloop.core.html import rows_html
from orderloop.core.prepared import PreparedRows
from orderloop.core.process_cache import StampedCache
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
OPTIONS = {OWNER: '<option value="{}">{}</option>', CUSTOMER: '<option value="{}">{}</option>',
           PRODUCT: '<option value="{}">{} {}</option>'}


class PickerLists(dict):
    """{OWNER: ((username, name or username), …), CUSTOMER: ((id, name), …), PRODUCT: ((id, model, name), …),
    SOME_CUSTOMER: ((id,),) or ()}, each in its order; a list with more than the picker's ``most`` rows is empty."""

    def options(self, kind: int, selected=None) -> SafeString:
        """List ``kind``'s <option>s, the one whose value is ``selected`` (if any) selected; drawn once."""
        drawn = self.__dict__.setdefault("drawn", {})
        if kind not in drawn:
            drawn[kind] = rows_html(OPTIONS[kind], self[kind])
        if selected is None or selected == "":
            return drawn[kind]
        value = f'<option value="{escape(str(selected))}">'
        return mark_safe(drawn[kind].replace(value, value[:-1] + " selected>", 1))


_KEPT = StampedCache(size=256)  # users × pickers' sizes; a list of a few hundred rows each at most


def picker_lists(user, most: int, stamp: int | None = None) -> PickerLists:
    """The pickers' lists for ``user``, at most ``most`` rows each; with the master data's ``stamp`` read in this
    request (``User.master_data_stamp``), kept under it (no stamp: read each time)."""
    return _KEPT.get((user.pk, user.team_id, frozenset(user.roles), most), stamp, lambda: _read(user, most))


def _read(user, most: int) -> PickerLists:
    sees_customers = visible_customers_q(user) != NO_CUSTOMERS
    key = (frozenset(user.roles), user.team_id is not None, most, sees_customers)
    query = _LISTS.get(key)
    if query is None:
        query = _LISTS[key] = _lists(*key)
    lists: dict[int, list[tuple]] = {OWNER: [], CUSTOMER: [], PRODUCT: [], SOME_CUSTOMER: []}
    for kind, picked, text, more, _sort in query.all(user.pk, user.team_id):
        if kind == OWNER:
            lists[OWNER].append((picked, text or picked))
        elif kind == CUSTOMER:
            lists[CUSTOMER].append((int(picked), text))
        elif kind == SOME_CUSTOMER:
            lists[SOME_CUSTOMER].append((int(picked),))
        else:
            lists[PRODUCT].append((int(picked), text, more))
    return PickerLists((kind, tuple(rows)) for kind, rows in lists.items())


def chosen_customer(user, customer_id: int, stamp: int | None = None) -> tuple[tuple[int, str], ...]:
    """((id, name),) of the customer ``customer_id`` if ``user`` may see it, else (): the one option of a customer
    picker with more customers than it lists, kept under the master data's ``stamp`` as the lists are (the
    customer's name and owner and the user's team are master data)."""
    def read():
        return tuple(customers_visible_to(user, Customer.objects.filter(pk=customer_id)).values_list("id", "name"))
    return _KEPT.get(("chosen", user.pk, user.team_id, frozenset(user.roles), customer_id), stamp, read)
