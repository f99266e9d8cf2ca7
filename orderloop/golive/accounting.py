"""Exports for the accountant's system (金蝶/用友): the confirmed orders' lines as 销售订单 and the receipts with their
allocations as 收款单, each an .xlsx for a date range, in the column layout docs/accounting-export.md documents so
that a Kingdee or Yonyou user maps it once in their own import tool.

销售订单: one row per line of each order confirmed (a formal number, 已确认 or later, not cancelled: the states in
which the order has a payment plan, ``finance.plans.PLANNED``) whose 下单日期 is in the range; the tax split out per
line as an invoice does it (``finance.invoices.tax_split`` at the line's default rate). 收款单: one row per
allocation of each receipt whose 到账日期 is in the range, and one more for what is left unallocated (预收). Codes,
numbers and the credit code are text, amounts numbers shown #,##0.00, dates Excel dates. Both are written row by
row from ``.iterator()`` (orders/xlsx.py), a fixed number of queries whatever the rows."""
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.finance.invoices import default_rate, tax_split
from orderloop.finance.models import Allocation, Receipt, ReceiptSource
from orderloop.finance.plans import PLANNED
from orderloop.orders.models import OrderLine
from orderloop.orders.registers import CHUNK, _width

TEXT, DATE, MONEY, NUMBER = "text", "date", "money", "number"

# (heading, kind): the layout of docs/accounting-export.md, column for column
ORDER_COLUMNS = [
    (N_("单据日期"), DATE), (N_("单据编号"), TEXT), (N_("客户编码"), TEXT), (N_("客户名称"), TEXT),
    (N_("统一社会信用代码"), TEXT), (N_("存货编码"), TEXT), (N_("存货名称"), TEXT), (N_("单位"), TEXT),
    (N_("数量"), NUMBER), (N_("含税单价"), MONEY), (N_("价税合计"), MONEY), (N_("税率(%)"), NUMBER),
    (N_("不含税金额"), MONEY), (N_("税额"), MONEY), (N_("业务员"), TEXT), (N_("备注"), TEXT),
]
RECEIPT_COLUMNS = [
    (N_("收款日期"), DATE), (N_("收款单号"), TEXT), (N_("客户编码"), TEXT), (N_("客户名称"), TEXT),
    (N_("付款人"), TEXT), (N_("金额"), MONEY), (N_("结算方式/银行流水号"), TEXT), (N_("核销订单号"), TEXT),
    (N_("核销金额"), MONEY),
]
ORDERS_TITLE = N_("销售订单")
RECEIPTS_TITLE = N_("收款单")
RECEIPT_NUMBER = "SK{:08d}"  # 收款单号: the receipt's own id, the same in every export (a re-import finds it again)

LINE_FIELDS = ("order__order_date", "order__number", "order__customer__code", "order__customer__name",
               "order__customer__uscc", "model", "product_name", "unit", "quantity", "unit_price", "amount",
               "order__owner__display_name", "order__owner__username", "order__remarks")


def last_month(today: date) -> tuple[date, date]:
    """The default range: the whole of the month before ``today``'s."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def export_range(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    """The range asked for: none given, last month; only an end, from the first of its month; only a start, to
    today."""
    if date_from is None and date_to is None:
        return last_month(today)
    if date_from is None:
        return date_to.replace(day=1), date_to
    return date_from, date_to or today


def _number(value: Decimal):
    """10.000 → 10, 2.500 → 2.5: a quantity as a number with no trailing zeros."""
    return int(value) if value == value.to_integral_value() else value.normalize()


def _percent(rate: Decimal):
    return _number(rate * 100)


# --- 销售订单 ---------------------------------------------------------------------------------------------------

def order_line_records(date_from: date, date_to: date):
    """The lines of the orders confirmed with 下单日期 in [date_from, date_to], order by order (by date and number),
    as tuples of LINE_FIELDS: one query with the order, customer and owner joined."""
    return (OrderLine.objects.filter(order__number__isnull=False, order__status__in=PLANNED,
                                     order__order_date__gte=date_from, order__order_date__lte=date_to)
            .order_by("order__order_date", "order__number_month", "order__number_seq", "order_id", "position")
            .values_list(*LINE_FIELDS))


def order_line_row(record) -> list:
    (order_date, number, code, customer, uscc, model, name, unit, quantity, unit_price, amount, owner_name,
     owner_username, remarks) = record
    rate = default_rate(name, unit)
    tax, net = tax_split(amount, rate)
    return [order_date, number, code, customer, uscc, model, name, unit, _number(quantity), unit_price, amount,
            _percent(rate), net, tax, owner_name or owner_username, remarks]


def order_rows(date_from: date, date_to: date):
    for record in order_line_records(date_from, date_to).iterator(chunk_size=CHUNK):
        yield order_line_row(record)


# --- 收款单 ------------------------------------------------------------------------------------------------------

def receipt_records(date_from: date, date_to: date):
    """The receipts with 到账日期 in [date_from, date_to], oldest first, each with its customer and its allocations
    (with their orders), fetched a chunk at a time. Money paid before going live (上线期初回款) is left out: it is in
    the accounts already."""
    allocations = Allocation.objects.select_related("instalment__order").order_by("allocated_at", "id")
    return (Receipt.objects.filter(received_on__gte=date_from, received_on__lte=date_to)
            .exclude(source=ReceiptSource.OPENING).select_related("customer")
            .prefetch_related(Prefetch("allocations", queryset=allocations)).order_by("received_on", "id"))


def receipt_number(receipt) -> str:
    return RECEIPT_NUMBER.format(receipt.pk)


def receipt_lines(receipt) -> list[list]:
    """A receipt's rows: one per allocation (the order's number and the amount applied to it), and one for what
    is left unallocated (no order: 预收). 金额 is the receipt's whole amount on each of its rows; the rows' 核销金额
    add up to it."""
    head = [receipt.received_on, receipt_number(receipt), receipt.customer.code, receipt.customer.name,
            receipt.payer, receipt.amount, receipt.bank_reference]
    rows = [head + [allocation.instalment.order.ref, allocation.amount] for allocation in receipt.allocations.all()]
    if receipt.unallocated > 0:
        rows.append(head + ["", receipt.unallocated])
    return rows


def receipt_rows(date_from: date, date_to: date):
    for receipt in receipt_records(date_from, date_to).iterator(chunk_size=CHUNK):
        yield from receipt_lines(receipt)


# --- the files ---------------------------------------------------------------------------------------------------

EXPORTS = {
    # name: (title, columns, rows)
    "orders": (ORDERS_TITLE, ORDER_COLUMNS, order_rows),
    "receipts": (RECEIPTS_TITLE, RECEIPT_COLUMNS, receipt_rows),
}
WIDTH_SAMPLE = 200


def export_file(name: str, date_from: date, date_to: date):
    """The export ``name`` for the range as .xlsx in a temporary file (rewound), and the number of rows written."""
    import tempfile
    from itertools import chain, islice

    from orderloop.orders.xlsx import Sheet, write_workbook

    title, columns, rows = EXPORTS[name]
    headers = [_(heading) for heading, _kind in columns]
    rows = iter(rows(date_from, date_to))
    sample = list(islice(rows, WIDTH_SAMPLE))
    widths = [_width(h) for h in headers]
    for row in sample:
        for index, value in enumerate(row):
            shown = value.isoformat() if isinstance(value, date) else value if value is not None else ""
            widths[index] = min(60, max(widths[index], _width(shown) + (4 if columns[index][1] == MONEY else 0)))
    sheet = Sheet(_(title), headers, chain(sample, rows), widths,
                  text_columns=tuple(i for i, (_h, kind) in enumerate(columns) if kind == TEXT),
                  money_columns=tuple(i for i, (_h, kind) in enumerate(columns) if kind == MONEY))
    out = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    (count,) = write_workbook(out, [sheet])
    out.seek(0)
    return out, count


def export_filename(name: str, date_from: date, date_to: date) -> str:
    """销售订单_2024-05-01_2024-05-31.xlsx"""
    return f"{_(EXPORTS[name][0])}_{date_from.isoformat()}_{date_to.isoformat()}.xlsx"
