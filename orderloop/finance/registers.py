"""《回款登记表》: every receipt (回款) a user may see, with what it was allocated to, on screen and as .xlsx/.csv.

Who sees which receipts: MONEY_READERS only; finance, the director and the admin every receipt, the sales staff
those of the customers they see (``masterdata.services.customers_visible_to``, the customer pages' one rule).
The register is narrowed by a date range on 到账日期 and by customer; it is written row by row from
``.iterator()`` like the seed's registers (orders/registers.py), each receipt's allocations fetched with it."""
from django.db.models import Prefetch
from django.utils.translation import gettext_noop as N_

from orderloop.accounts.permissions import MONEY_READERS, SEE_EVERY_ORDER_READ_ONLY, SEE_EVERYTHING
from orderloop.core.money import amount_text
from orderloop.finance.models import Allocation, Receipt
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.registers import CHUNK, DATE, MONEY, TEXT, RegisterFilters, _date_range, _quoted, csv_file, xlsx_file

TITLE = N_("回款登记表")
FILENAME = _quoted("回款登记表")
DATE_LABEL = N_("到账日期")
# (heading, machine name, kind)
COLUMNS = [
    (N_("到账日期"), "received_on", DATE), (N_("客户名称"), "customer_name", TEXT), (N_("付款方"), "payer", TEXT),
    (N_("金额(元)"), "amount", MONEY), (N_("银行流水号"), "bank_reference", TEXT),
    (N_("已核销金额(元)"), "allocated", MONEY), (N_("未核销金额(元)"), "unallocated", MONEY),
    (N_("核销明细"), "allocations", TEXT), (N_("登记人"), "recorded_by", TEXT), (N_("备注"), "remark", TEXT),
]
HEADERS = [heading for heading, _key, _kind in COLUMNS]
TEXT_COLUMNS = (4,)  # the bank reference is a code: kept as text in Excel
CODES = frozenset({"bank_reference", "payer"})  # data as typed, never translated by a browser


def money_reader(user) -> bool:
    return bool(user is not None and user.roles & MONEY_READERS)


def receipts_visible_to(user, queryset=None):
    """The receipts ``user`` may see (see the module docstring)."""
    queryset = Receipt.objects.all() if queryset is None else queryset
    if not money_reader(user):
        return queryset.none()
    if user.roles & (SEE_EVERYTHING | SEE_EVERY_ORDER_READ_ONLY):
        return queryset
    return queryset.filter(customer_id__in=customers_visible_to(user).values("pk"))


def receipt_records(user, filters: RegisterFilters):
    """The receipts of the register: visible to ``user``, of the filter's customer and 到账日期 range, oldest first,
    each with its customer, recorder and allocations (one query for them per chunk)."""
    allocations = Allocation.objects.select_related("instalment__order").order_by("allocated_at", "id")
    records = receipts_visible_to(user, Receipt.objects.select_related("customer", "recorded_by"))
    if filters.customer_id is not None:
        records = records.filter(customer_id=filters.customer_id)
    if filters.date_from or filters.date_to:
        records = records.filter(**_date_range(Receipt, "received_on", filters.date_from, filters.date_to))
    return records.prefetch_related(Prefetch("allocations", queryset=allocations)).order_by("received_on", "id")


def allocation_text(allocation) -> str:
    """One allocation as the register writes it: 订单编号 第N期 金额, e.g. 202405-001 第1期 15,000.00."""
    return f"{allocation.instalment.order.ref} 第{allocation.instalment.number}期 {amount_text(allocation.amount)}"


def receipt_row(receipt) -> list:
    return [receipt.received_on, receipt.customer.name, receipt.payer, receipt.amount, receipt.bank_reference,
            receipt.allocated, receipt.unallocated, "；".join(allocation_text(a) for a in receipt.allocations.all()),
            str(receipt.recorded_by), receipt.remark]


def receipt_rows(records):
    for receipt in records.iterator(chunk_size=CHUNK):
        yield receipt_row(receipt)


def receipt_register_file(fmt: str, records):
    """The register as .xlsx or .csv in a temporary file (rewound), and the number of rows written."""
    if fmt == "xlsx":
        return xlsx_file(TITLE, HEADERS, receipt_rows(records), text_columns=TEXT_COLUMNS)
    return csv_file(HEADERS, receipt_rows(records))
