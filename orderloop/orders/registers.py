"""The seed's registers: their exact headers (表1 销售订单基本信息表 …), their rows, and their files.

Each register is a queryset of records (order lines, progress records, tickets, consignments) of the orders a
user may see, and a function that makes one row of a record. Pages show them 100 at a time; the .xlsx and .csv
files are written row by row from ``.iterator()`` into a temporary file (orders/xlsx.py for .xlsx), so an
export of 100,000 rows takes a fixed number of queries and bounded memory (bench/register.py).
"""
import csv
import io
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Callable

from django.utils.translation import gettext_noop as N_

REGISTER_1 = ["订单编号", "客户名称", "联系人", "联系方式", "下单日期", "产品/服务名称", "规格型号", "数量", "单价(元)",
              "总金额(元)", "付款方式", "交付地址", "交付日期", "销售负责人", "备注"]
REGISTER_2 = ["订单编号", "当前阶段", "负责人", "计划完成时间", "实际完成时间", "跟进记录", "存在问题", "解决措施", "下一步计划"]
REGISTER_3 = ["订单编号", "客户名称", "反馈类型", "反馈内容", "反馈时间", "处理负责人", "处理措施", "处理结果",
              "客户满意度评分(1-5分)", "跟进日期"]
LOGISTICS_TABLE = ["订单编号", "客户名称", "发货批次", "货物", "物流方式", "承运商", "物流单号", "发货时间", "预计送达时间",
                   "物流预告时间", "签收时间", "签收人"]
CHUNK = 2000  # rows fetched at a time by an export


def _number(value: Decimal):
    """10.000 → 10, 2.500 → 2.5: as the seed writes quantities and prices (a number in Excel)."""
    return int(value) if value == value.to_integral_value() else value.normalize()


# --- register 1 (销售订单基本信息表): one row per order line ----------------------------------------------

LINE_FIELDS = ("order__number", "order__provisional_ref", "order__customer__name", "order__contact_name",
               "order__contact_phone", "order__order_date", "product_name", "model", "quantity", "unit_price", "order__total_amount",
               "order__payment_terms", "order__delivery_address", "order__requested_date", "order__owner__display_name",
               "order__owner__username", "order__remarks")


def order_line_records(orders_queryset):
    """The lines of the given orders, order by order (oldest first), as tuples of LINE_FIELDS: one query with
    the order, customer and owner joined, no model instances (an export reads 100,000 of them)."""
    from orderloop.orders.models import OrderLine

    return (OrderLine.objects.filter(order__in=orders_queryset.values("pk"))
            .order_by("order__created_at", "order_id", "position").values_list(*LINE_FIELDS))


@lru_cache(maxsize=8192)
def _phone(phone: str, full: bool) -> str:
    from orderloop.core.phones import phone_display, phone_masked

    return phone_display(phone) if full else phone_masked(phone)


def order_line_row(line, user=None) -> list:
    """A row of register 1 from a tuple of LINE_FIELDS, in the layout orders/importing.py reads back (the phone
    masked as on the order page for those who do not see contacts). 总金额(元) is the order's total, on each of
    its lines, as the seed's sheet keeps it (数量 × 单价 gives the line's amount)."""
    from orderloop.accounts.permissions import CONTACT_READERS

    (number, provisional_ref, customer, contact, phone, order_date, product_name, model, quantity, unit_price,
     total, payment_terms, address, requested_date, owner_name, owner_username, remarks) = line
    full = user is None or bool(user.roles & CONTACT_READERS)
    return [
        number or provisional_ref, customer, contact, _phone(phone, full) if phone else "", order_date,
        product_name, model, _number(quantity), _number(unit_price), _number(total),
        payment_terms, address, requested_date, owner_name or owner_username, remarks,
    ]


def order_line_rows(orders_queryset, user=None):
    """Register 1 (销售订单基本信息表): one row per order line of the given orders."""
    for line in order_line_records(orders_queryset).iterator(chunk_size=CHUNK):
        yield order_line_row(line, user)


# --- register 2 (订单跟进进度表): one row per progress record ----------------------------------------------

def progress_records(orders_queryset):
    from orderloop.orders.models import OrderEvent

    return (OrderEvent.objects.filter(type="progress_tracked", order__in=orders_queryset.values("pk"))
            .select_related("order", "actor").order_by("occurred_at", "id"))


def progress_row(event, user=None) -> list:
    payload = event.payload
    return [
        event.order.ref, payload.get("stage", ""), str(event.actor) if event.actor else payload.get("owner", ""),
        payload.get("planned_date") or "", payload.get("actual_date") or "", payload.get("record", ""),
        payload.get("problem", ""), payload.get("measure", ""), payload.get("next_step", ""),
    ]


def progress_rows(orders_queryset):
    """Register 2 (订单跟进进度表): one row per progress record of the given orders."""
    for event in progress_records(orders_queryset).iterator(chunk_size=CHUNK):
        yield progress_row(event)


# --- register 3 (客户反馈与售后记录表): one row per feedback or after-sales ticket ----------------------------

def _day(moment):
    from orderloop.core.calendar import SHANGHAI

    return moment.astimezone(SHANGHAI).date().isoformat() if moment else ""


def feedback_records(orders_queryset, user=None):
    """The tickets of the given orders and, with ``user``, the feedback without an order that ``user`` may see
    (pre-sales questions, complaints, suggestions recorded against a customer), oldest first."""
    from django.db.models import Q

    from orderloop.aftersales.models import Ticket

    q = Q(order__in=orders_queryset.values("pk"))
    if user is not None:
        from orderloop.aftersales.lifecycle import tickets_visible_q

        visible = tickets_visible_q(user)
        q |= Q(order__isnull=True) if visible is None else Q(order__isnull=True) & visible
    return (Ticket.objects.filter(q).select_related("order", "customer", "assignee").order_by("opened_at", "id"))


def feedback_row(ticket, user=None) -> list:
    """A row of register 3; 订单编号 empty for feedback without an order."""
    return [
        ticket.order.ref if ticket.order_id else "", ticket.customer.name, ticket.get_ticket_type_display(),
        ticket.description, _day(ticket.opened_at), str(ticket.assignee) if ticket.assignee else "", ticket.solution,
        ticket.result, ticket.customer_satisfaction or "", _day(ticket.followed_up_at),
    ]


def feedback_rows(orders_queryset, user=None):
    """Register 3 (客户反馈与售后记录表): one row per feedback of the given orders, oldest first; with ``user``
    also the feedback without an order ``user`` may see."""
    for ticket in feedback_records(orders_queryset, user).iterator(chunk_size=CHUNK):
        yield feedback_row(ticket, user)


# --- 《物流跟踪表》: one row per consignment ------------------------------------------------------------------

def logistics_records(orders_queryset):
    from django.db.models import Prefetch

    from orderloop.orders.models import Shipment, ShipmentLine

    return (Shipment.objects.filter(order__in=orders_queryset.values("pk"))
            .select_related("order", "order__customer")
            .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line")))
            .order_by("shipped_at", "id"))


def logistics_row(shipment, user=None) -> list:
    from orderloop.core.calendar import local_text as when

    goods = "；".join(f"{item.order_line.product_name} {item.order_line.model} × {item.quantity.normalize():f}"
                     for item in shipment.lines.all())
    return [
        shipment.order.ref, shipment.order.customer.name, shipment.position, goods, shipment.get_method_display(),
        shipment.carrier, shipment.tracking_number, when(shipment.shipped_at), shipment.eta.isoformat(),
        when(shipment.notice_sent_at), when(shipment.received_at), shipment.received_by_name,
    ]


def logistics_rows(orders_queryset):
    """《物流跟踪表》: one row per consignment of the given orders."""
    for shipment in logistics_records(orders_queryset).iterator(chunk_size=CHUNK):
        yield logistics_row(shipment)


@dataclass(frozen=True)
class Register:
    title: str                       # marked for translation where the register is declared
    headers: list
    records: Callable                # visible orders → queryset of records
    row: Callable                    # (record, user) → list of cells
    filename: str                    # quoted for Content-Disposition
    text_columns: tuple = (0,)       # codes kept as text in Excel (order numbers, phones, tracking numbers)
    records_for_user: bool = False   # records(visible orders, user): also records of no order the user may see
    date_field: str = ""             # the record's date the date range filters on (a date or a moment)
    date_label: str = ""             # that date's name in the filter form and its messages
    sorts: dict = None               # column machine name → the record's fields it sorts by (the sort whitelist)
    default_order: tuple = ("id",)   # ties broken, and the order without a sort
    product_field: str = ""          # the record's product, where a record is of one line (register 1)

    def records_of(self, orders_queryset, user=None):
        """The register's records of the visible orders, and with ``user`` those of no order that ``user`` may see
        (register 3: feedback without an order)."""
        if self.records_for_user:
            return self.records(orders_queryset, user)
        return self.records(orders_queryset)

    def rows(self, orders_queryset, user=None):
        for record in self.records_of(orders_queryset, user).iterator(chunk_size=CHUNK):
            yield self.row(record, user)

    @property
    def columns(self) -> list[tuple[str, str, str]]:
        """(machine name, seed heading, kind) of each column, in the register's order (see COLUMNS)."""
        return [(COLUMNS.get(header, (header, TEXT))[0], header, COLUMNS.get(header, (header, TEXT))[1])
                for header in self.headers]

    def records_filtered(self, user, filters: "RegisterFilters"):
        """The records of the orders ``user`` may see, as the register's page and /api/registers/… filter them."""
        # Records of no order (feedback recorded against a customer) have no status or owner: a filter on those
        # leaves them out; the customer filter narrows them to that customer.
        order_filters = bool(filters.status or filters.owner or filters.q or filters.product_id)
        records = self.records_of(filters.orders(user), None if order_filters else user)
        if self.records_for_user and filters.customer_id is not None:
            records = records.filter(customer_id=filters.customer_id)
        if self.date_field and (filters.date_from or filters.date_to):
            records = records.filter(**_date_range(records.model, self.date_field, filters.date_from, filters.date_to))
        if self.product_field and filters.product_id is not None:
            records = records.filter(**{self.product_field: filters.product_id})
        return records.order_by(*self.ordering(filters.sort))

    def ordering(self, sort: str | None) -> tuple:
        """The records' order for ``?sort=key`` or ``?sort=-key`` (a column's machine name); a key not in the
        whitelist keeps the register's own order (oldest first)."""
        key, descending = (sort[1:], True) if sort and sort.startswith("-") else (sort, False)
        fields = (self.sorts or {}).get(key or "")
        if not fields:
            return self.default_order
        return tuple(_directed(field, descending) for field in fields) + self.default_order

    def sort_key(self, sort: str | None) -> str:
        """``sort`` if the register sorts by it, else "" (the default order)."""
        key = sort[1:] if sort and sort.startswith("-") else sort
        return sort if key and key in (self.sorts or {}) else ""


def _directed(field: str, descending: bool):
    """A field in ascending or descending order, empty values last either way (on every database)."""
    from django.db.models import F

    return F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)


# --- the registers' columns by machine name (SPEC section 7: JSON and exports' machine names follow the registers) -

TEXT, DATE, MONEY, QUANTITY, SCORE, NUMBER = "text", "date", "money", "quantity", "score", "number"
COLUMNS = {
    # seed heading: (machine name, kind). The JSON of /api/registers/… is keyed by the machine names, which are the
    # order's and line's field names of the API where there is one; the files keep the seed's headings.
    "订单编号": ("ref", TEXT), "客户名称": ("customer_name", TEXT), "联系人": ("contact_name", TEXT),
    "联系方式": ("contact_phone", TEXT), "下单日期": ("order_date", DATE), "产品/服务名称": ("product_name", TEXT),
    "规格型号": ("model", TEXT), "数量": ("quantity", QUANTITY), "单价(元)": ("unit_price", MONEY),
    "总金额(元)": ("amount", MONEY), "付款方式": ("payment_terms", TEXT), "交付地址": ("delivery_address", TEXT),
    "交付日期": ("requested_date", DATE), "销售负责人": ("owner", TEXT), "备注": ("remarks", TEXT),
    # register 2
    "当前阶段": ("stage", TEXT), "负责人": ("owner", TEXT), "计划完成时间": ("planned_date", DATE),
    "实际完成时间": ("actual_date", DATE), "跟进记录": ("record", TEXT), "存在问题": ("problem", TEXT),
    "解决措施": ("measure", TEXT), "下一步计划": ("next_step", TEXT),
    # register 3
    "反馈类型": ("feedback_type", TEXT), "反馈内容": ("content", TEXT), "反馈时间": ("feedback_date", DATE),
    "处理负责人": ("assignee", TEXT), "处理措施": ("solution", TEXT), "处理结果": ("result", TEXT),
    "客户满意度评分(1-5分)": ("satisfaction", SCORE), "跟进日期": ("follow_up_date", DATE),
    # 《物流跟踪表》
    "发货批次": ("batch", NUMBER), "货物": ("goods", TEXT), "物流方式": ("method", TEXT), "承运商": ("carrier", TEXT),
    "物流单号": ("tracking_number", TEXT), "发货时间": ("shipped_at", DATE), "预计送达时间": ("eta", DATE),
    "物流预告时间": ("notice_sent_at", DATE), "签收时间": ("received_at", DATE), "签收人": ("received_by", TEXT),
}
# Free text that may run long: on screen cut to a width with the whole text in its title (docs/decisions.md).
LONG_TEXT = frozenset({"customer_name", "product_name", "payment_terms", "delivery_address", "remarks", "record",
                       "problem", "measure", "next_step", "content", "solution", "result", "goods"})


# --- files -------------------------------------------------------------------------------------------------

def _width(value) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(value)) + 2


WIDTH_SAMPLE = 200  # the columns are as wide as the header and the first rows need (write-only sets them first)


def xlsx_file(title: str, headers: list[str], rows, *, text_columns=(0,)):
    """A register as .xlsx in a temporary file (rewound), and the number of rows written: bold frozen header,
    filter, widths for Chinese text, codes kept as text, dates as dates (orders/xlsx.py streams the rows into
    the zipped sheet, so memory does not grow with them)."""
    from itertools import chain, islice

    from orderloop.orders.xlsx import write_xlsx

    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE))
    widths = [_width(h) for h in headers]
    for row in sample:
        for index, value in enumerate(row):
            if isinstance(value, date):
                value = value.isoformat()
            widths[index] = min(60, max(widths[index], _width(value if value is not None else "")))
    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    count = write_xlsx(out, title, headers, chain(sample, rows), widths=widths, text_columns=text_columns)
    out.seek(0)
    return out, count


def xlsx_bytes(title: str, headers: list[str], rows, *, text_columns=(0,)) -> bytes:
    out, _count = xlsx_file(title, headers, rows, text_columns=text_columns)
    with out:
        return out.read()


def csv_file(headers: list[str], rows):
    """CSV for Excel and WPS: UTF-8 with a byte order mark, or Chinese turns to 乱码. In a temporary file
    (rewound), written a chunk at a time; and the number of rows written. Every cell through core/exports.py
    ``csv_cell``: text that begins with a formula trigger (=, +, -, @, tab, CR) gets a quote in front."""
    from orderloop.core.exports import csv_row

    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_row(headers))
    out.write(buffer.getvalue().encode("utf-8-sig"))
    count = 0
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(csv_row(row))
        out.write(buffer.getvalue().encode("utf-8"))
        count += 1
    out.seek(0)
    return out, count


def csv_bytes(headers: list[str], rows) -> bytes:
    out, _count = csv_file(headers, rows)
    with out:
        return out.read()


def json_cell(kind: str, value):
    """A register's cell in JSON (SPEC section 7): money a decimal string with two places ("5000.00"), a quantity a
    decimal string ("10", "2.5"), dates ISO 8601, a score a number; an empty date, number or score is null."""
    if value is None or value == "":
        return "" if kind == TEXT else None
    if kind == DATE:
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == MONEY:
        return f"{Decimal(str(value)):.2f}"
    if kind == QUANTITY:
        return f"{Decimal(str(value)).normalize():f}"
    if kind in (SCORE, NUMBER):
        return int(value)
    return str(value)


def json_row(register: Register, cells: list) -> dict:
    """One row of a register as JSON, keyed by the columns' machine names."""
    return {key: json_cell(kind, value) for (key, _heading, kind), value in zip(register.columns, cells)}


# --- which records: the filters of the register's page and of /api/registers/… -----------------------------

@dataclass(frozen=True)
class RegisterFilters:
    """What a register is narrowed to: the orders (search, status, customer, 销售负责人 by username, as the order
    list filters them) and a date range (from, to, both included) on the register's own date: 下单日期 in register
    1, the progress record's time in register 2, 反馈时间 in register 3, the shipping time in 《物流跟踪表》."""
    q: str | None = None
    status: tuple = ()
    customer_id: int | None = None
    owner: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    product_id: int | None = None    # orders with a line of this product (register 1: those lines)
    sort: str = ""                   # a column's machine name, "-" in front for descending (whitelisted per list)
    archived: bool = True            # registers keep everything, archived too; the order list asks for them

    def orders(self, user):
        from orderloop.orders.models import OrderLine
        from orderloop.orders.selectors import order_list

        orders = order_list(user=user, q=self.q or None, status=list(self.status) or None, owner=self.owner or None,
                            customer_id=self.customer_id, archived=self.archived)
        if self.product_id is not None:
            orders = orders.filter(pk__in=OrderLine.objects.filter(product_id=self.product_id).values("order_id"))
        return orders

    def query(self) -> dict:
        """The filters as a query string's parameters (for the download links of a filtered page)."""
        values = {"q": self.q, "status": list(self.status), "customer": self.customer_id, "owner": self.owner,
                  "product": self.product_id, "date_from": self.date_from, "date_to": self.date_to,
                  "sort": self.sort}
        return {key: value for key, value in values.items() if value not in (None, "", [])}


FILTER_KEYS = ("q", "status", "customer", "owner", "product", "date_from", "date_to", "sort", "archived")


def parse_filters(get, *, date_label: str = "下单日期", archived: bool = True) -> tuple[RegisterFilters, list[str]]:
    """The filters of the order list and of a register's page (and of their files) from a query string, and
    what was wrong with it: a date that is not one, or a range that ends before it starts, is named in the
    message and left out of the filter; an unknown id is no filter. ``get``: the query string (request.GET);
    ``date_label``: the date the range is on."""
    from django.utils.translation import gettext as _

    errors = []

    def day(value, bound):
        value = (value or "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            errors.append(_("%(field)s（%(bound)s）：“%(value)s”不是有效日期，请按 年-月-日 填写，例如 2024-05-10") % {
                "field": _(date_label), "bound": bound, "value": value})
            return None

    date_from, date_to = day(get.get("date_from"), _("从")), day(get.get("date_to"), _("至"))
    if date_from and date_to and date_to < date_from:
        errors.append(_("%(field)s：结束日期 %(to)s 早于开始日期 %(from)s，请调整日期范围") % {
            "field": _(date_label), "to": date_to.isoformat(), "from": date_from.isoformat()})
        date_from = date_to = None
    filters = RegisterFilters(
        q=(get.get("q") or "").strip() or None, status=tuple(s for s in get.getlist("status") if s),
        customer_id=_id(get.get("customer")), owner=(get.get("owner") or "").strip() or None,
        product_id=_id(get.get("product")), date_from=date_from, date_to=date_to,
        sort=(get.get("sort") or "").strip()[:40],
        archived=archived or get.get("archived") == "1")
    return filters, errors


def _id(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def listed_orders(user, filters: RegisterFilters):
    """The order list (订单列表): the orders ``user`` may see, filtered, the date range on 下单日期, sorted by a
    column of the list (selectors.SORTS; newest first without one). Without a product or dates, its statements
    are compiled once (selectors.order_listing, a search's selectors.order_search)."""
    from orderloop.orders.selectors import order_listing, order_search, ordering, sorted_after_fetch

    if not (filters.product_id is not None or filters.date_from or filters.date_to):
        status = list(filters.status) or None
        listing = order_search(user=user, q=filters.q, status=status, owner=filters.owner,
                               customer_id=filters.customer_id, sort=filters.sort) if filters.q else \
            order_listing(user=user, status=status, owner=filters.owner, customer_id=filters.customer_id,
                          sort=filters.sort, archived=filters.archived)
        if listing is not None:
            return listing
    orders = filters.orders(user)
    if filters.date_from or filters.date_to:
        orders = orders.filter(**_date_range(orders.model, "order_date", filters.date_from, filters.date_to))
    return orders.order_by(*ordering(filters.sort, few_matches=sorted_after_fetch(orders)))


def _date_range(model, field: str, start: date | None, end: date | None) -> dict:
    """Conditions for ``field`` (a date, or a moment read as its Shanghai date) within [start, end]."""
    from datetime import datetime, time, timedelta

    from django.db.models import DateTimeField

    from orderloop.core.calendar import SHANGHAI

    target = model
    for part in field.split("__")[:-1]:
        target = target._meta.get_field(part).related_model
    moment = isinstance(target._meta.get_field(field.split("__")[-1]), DateTimeField)
    conditions = {}
    if start and start > date.min + timedelta(days=1):  # the first days of the calendar: every record is after them
        conditions[f"{field}__gte"] = datetime.combine(start, time.min, tzinfo=SHANGHAI) if moment else start
    if end and end < date.max - timedelta(days=1):  # and before the last ones
        conditions[f"{field}__lt" if moment else f"{field}__lte"] = (
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=SHANGHAI) if moment else end)
    return conditions


# --- the registers by name: their pages (/registers/<name>/), files, /api/registers/<name> and `orderloop export` --

def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


ORDER_REF = ("order__number_month", "order__number_seq", "order__provisional_ref")  # 订单编号 in its own order
REGISTERS = {
    # name: the register of the orders a user may see
    "orders": Register(N_("销售订单基本信息表"), REGISTER_1, order_line_records, order_line_row,
                       _quoted("销售订单基本信息表"), text_columns=(0, 3), date_field="order__order_date",
                       date_label=N_("下单日期"), product_field="product_id",
                       default_order=("order__created_at", "order_id", "position"),
                       sorts={"ref": ORDER_REF, "customer_name": ("order__customer__name",),
                              "order_date": ("order__order_date",), "product_name": ("product_name",),
                              "model": ("model",), "quantity": ("quantity",), "unit_price": ("unit_price",),
                              "amount": ("order__total_amount",), "requested_date": ("order__requested_date",),
                              "owner": ("order__owner__username",)}),
    "progress": Register(N_("订单跟进进度表"), REGISTER_2, progress_records, progress_row,
                         _quoted("订单跟进进度表"), date_field="occurred_at", date_label=N_("记录日期"),
                         default_order=("occurred_at", "id"),
                         sorts={"ref": ORDER_REF, "owner": ("actor__username",)}),
    "feedback": Register(N_("客户反馈与售后记录表"), REGISTER_3, feedback_records, feedback_row,
                         _quoted("客户反馈与售后记录表"), date_field="opened_at", records_for_user=True,
                         date_label=N_("反馈时间"), default_order=("opened_at", "id"),
                         sorts={"ref": ORDER_REF, "customer_name": ("customer__name",),
                                "feedback_type": ("ticket_type",), "feedback_date": ("opened_at",),
                                "assignee": ("assignee__username",), "satisfaction": ("customer_satisfaction",),
                                "follow_up_date": ("followed_up_at",)}),
    "logistics": Register(N_("物流跟踪表"), LOGISTICS_TABLE, logistics_records, logistics_row,
                          _quoted("物流跟踪表"), text_columns=(0, 6), date_field="shipped_at", date_label=N_("发货时间"),
                          default_order=("shipped_at", "id"),
                          sorts={"ref": ORDER_REF, "customer_name": ("order__customer__name",),
                                 "shipped_at": ("shipped_at",), "eta": ("eta",), "received_at": ("received_at",)}),
}
SEED_REGISTERS = ("orders", "progress", "feedback")  # the seed's three registers (SPEC section 4), also in the API
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8"}


def register_export(register: Register, fmt: str, records, user):
    """The register's ``records`` as an .xlsx or .csv file in a temporary file (rewound), and its number of rows:
    streamed from the database a chunk at a time (bench/register.py)."""
    rows = (register.row(record, user) for record in records.iterator(chunk_size=CHUNK))
    if fmt == "xlsx":
        return xlsx_file(str(register.title), register.headers, rows, text_columns=register.text_columns)
    return csv_file(register.headers, rows)
