"""Bank statements (银行流水) imported as receipts, and the allocations they suggest.

A statement is an .xlsx (its first sheet, read by ``orders.sheets`` within its limits) or a .csv (UTF-8 or GB18030,
as Chinese banks export it) with a header row among its first lines: 交易日期/到账日期, 付款方/对方户名, 金额/贷方金额,
流水号/交易流水号 and, if present, 摘要/备注 (the usual headings of Chinese banks are accepted; a missing one is
named). Every line is checked first; one malformed line (a date, an amount, an empty payer or 流水号, a payer that is
no known customer) is reported by row number and column and nothing is imported. Otherwise each line becomes a
receipt (source: statement) in one transaction; a line whose 流水号 is recorded already is skipped and reported,
as is a line that is no money in (an empty 贷方金额, a negative amount: a payment out).

A receipt needs its customer: the payer is the customer whose name equals it, or the one customer whose name
contains it (names compared without spaces and with full-width brackets; docs/decisions.md). The confirmation page
then suggests, per receipt, the customer's open instalments whose outstanding amount equals what is left of the
receipt (an exact match); finance ticks the ones to allocate and ``statement_confirm`` allocates them."""
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.accounts.permissions import MONEY_RECORDERS
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.dates import parse_date
from orderloop.core.exceptions import DomainError, InvalidInput, NotAllowed, NotFound
from orderloop.finance.models import Instalment, Receipt, ReceiptSource, StatementImport
from orderloop.finance.queue import OpenItem, condition_of
from orderloop.finance.receipts import FEN, MAX_PAYER, MAX_REFERENCE, MAX_REMARK, Share, receipt_allocate, receipt_record
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.sheets import cell_text, header_key, table_rows

MAX_BYTES = 5 * 1024 * 1024
HEADER_SEARCH = 20  # a bank's export starts with its account's details: the header is among the first rows

# The columns, each with the headings Chinese banks give it (compared without spaces, brackets and a (元) suffix).
COLUMNS = {
    "received_on": ["交易日期", "到账日期", "入账日期", "记账日期", "交易时间", "日期"],
    "payer": ["付款方", "对方户名", "付款人", "付款方名称", "付款人名称", "对方账户名称", "对方账户名", "对方名称", "对方单位"],
    "amount": ["金额", "贷方金额", "收入金额", "贷方发生额", "收入", "入账金额", "交易金额"],
    "bank_reference": ["流水号", "交易流水号", "银行流水号", "交易流水", "流水号码", "交易参考号"],
    "remark": ["摘要", "备注", "用途", "附言", "交易摘要"],
}
REQUIRED = ("received_on", "payer", "amount", "bank_reference")
# Amount headings of a credit column: a line with it empty is a payment out (its debit column has the figure).
CREDIT_HEADINGS = {"贷方金额", "收入金额", "贷方发生额", "收入"}
NAMES = {"received_on": N_("交易日期"), "payer": N_("付款方"), "amount": N_("金额"), "bank_reference": N_("流水号"),
         "remark": N_("摘要")}


def statement_columns() -> list[tuple[str, str, bool]]:
    """The columns as the import page states them: what each is, the headings accepted, whether it is required."""
    return [(_(NAMES[key]), "、".join(names), key in REQUIRED) for key, names in COLUMNS.items()]


def _heading(value) -> str:
    text = header_key(cell_text(value))
    for unit in ("(元)", "(人民币)"):
        text = text.replace(unit, "")
    return text


def name_key(name: str) -> str:
    """A company name as the payer and the customer are compared: no spaces, full-width brackets."""
    return (name or "").replace(" ", "").replace("\u3000", "").replace("(", "（").replace(")", "）").strip()


# --- reading the file ------------------------------------------------------------------------------------------

def _refusal(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"file": [message]})


def statement_rows(content: bytes, filename: str = "") -> list[tuple]:
    """The statement's rows as values: an .xlsx's first sheet, or a .csv's lines (the account's details above
    the header allowed)."""
    return table_rows(content, filename, max_bytes=MAX_BYTES, lines_above=HEADER_SEARCH)


def _find_header(rows: list[tuple]) -> tuple[int, dict[str, int], list[str]]:
    """The header row's index, the column of each field found in it and the headings as written; the row with the
    most known headings among the first ones. Missing required columns are refused, naming them."""
    best = (-1, {}, [])
    for index, row in enumerate(rows[:HEADER_SEARCH]):
        headings = [_heading(value) for value in row]
        found = {}
        for key, names in COLUMNS.items():
            for name in names:  # the first heading of the list present wins (金额 before 交易金额)
                if name in headings:
                    found[key] = headings.index(name)
                    break
        if len(found) > len(best[1]):
            best = (index, found, [cell_text(value) for value in row])
        if all(key in found for key in REQUIRED):
            break
    index, found, headings = best
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        where = _("第%(row)s行表头") % {"row": index + 1} if index >= 0 else _("表头")
        problems = [_("%(where)s缺少「%(name)s」列（可用的列名：%(names)s）") % {
            "where": where, "name": _(NAMES[key]), "names": "、".join(COLUMNS[key])} for key in missing]
        raise InvalidInput(_("银行流水的表头不完整：%(problems)s") % {"problems": "；".join(problems)},
                           errors={_("表头"): problems})
    return index, found, headings


# --- checking the lines ----------------------------------------------------------------------------------------

@dataclass
class Line:
    row: int  # the row's number in the file (as a spreadsheet numbers it)
    received_on: date
    payer: str
    amount: Decimal
    bank_reference: str
    remark: str
    customer: object


@dataclass
class StatementResult:
    statement: StatementImport | None = None
    receipts: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # [{"row", "bank_reference", "reason"}]


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for separator in (" ", "T"):  # 2024-05-10 10:23:11
        if separator in text and len(text) > 10:
            text = text.split(separator, 1)[0]
    return parse_date(text)


def _amount(value) -> Decimal | None:
    """The cell's amount; None when it is empty."""
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise InvalidOperation
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    text = cell_text(value)
    for mark in (",", "，", "¥", "￥", "元", " ", "\u3000"):
        text = text.replace(mark, "")
    if text in ("", "-", "--"):
        return None
    amount = Decimal(text)
    if not amount.is_finite():
        raise InvalidOperation
    return amount


class _Customers:
    """The payer's customer: the one named exactly so, or the one customer whose name contains the payer."""

    def __init__(self, actor):
        self.by_key = {}
        for customer in customers_visible_to(actor).only("pk", "name"):
            self.by_key.setdefault(name_key(customer.name), []).append(customer)

    def find(self, payer: str) -> tuple[object | None, list]:
        key = name_key(payer)
        exact = self.by_key.get(key, [])
        if len(exact) == 1:
            return exact[0], exact
        if exact:
            return None, exact
        containing = sorted((c for name, customers in self.by_key.items() if key in name for c in customers),
                            key=lambda c: c.name)
        return (containing[0] if len(containing) == 1 else None), containing


def _check(rows: list[tuple], actor) -> tuple[list[Line], list[dict], dict[str, list[str]]]:
    header_index, columns, headings = _find_header(rows)
    errors: dict[str, list[str]] = {}
    credit_only = _heading(headings[columns["amount"]]) in CREDIT_HEADINGS

    def bad(row: int, key: str, message: str) -> None:
        heading = headings[columns[key]] if key in columns else _(NAMES[key])
        errors.setdefault(_("第%(row)s行「%(col)s」") % {"row": row, "col": heading}, []).append(
            _("第%(row)s行「%(col)s」%(problem)s") % {"row": row, "col": heading, "problem": message})

    customers = _Customers(actor)
    lines, skipped, seen = [], [], {}
    today = clock.today()
    for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
        cells = {key: (row[index] if index < len(row) else None) for key, index in columns.items()}
        if not any(cell_text(value) for value in row):
            continue
        raw_amount = cells["amount"]
        try:
            amount = _amount(raw_amount)
        except (InvalidOperation, ValueError):
            bad(offset, "amount", _("不是数字"))
            amount = None
        else:
            if amount is None and not credit_only:
                bad(offset, "amount", _("为空"))
            elif amount is None or amount <= 0:  # a payment out, or nothing in: no receipt
                skipped.append({"row": offset, "bank_reference": cell_text(cells["bank_reference"]),
                                "reason": _("不是收款（金额为空、为零或为支出）")})
                continue
            elif amount != amount.quantize(FEN):
                bad(offset, "amount", _("最多两位小数（到分）"))
            elif amount >= Decimal("1e12"):
                bad(offset, "amount", _("金额过大"))
        try:
            received_on = _date(cells["received_on"]) if cell_text(cells["received_on"]) else None
        except (ValueError, TypeError):
            bad(offset, "received_on", _("不是日期（应为 YYYY-MM-DD）"))
            received_on = None
        else:
            if received_on is None:
                bad(offset, "received_on", _("为空"))
            elif received_on > today:
                bad(offset, "received_on", _("晚于今天"))
        payer = cell_text(cells["payer"])
        customer = None
        if not payer:
            bad(offset, "payer", _("为空"))
        elif len(payer) > MAX_PAYER:
            bad(offset, "payer", _("超过 %(n)s 个字") % {"n": MAX_PAYER})
        else:
            customer, candidates = customers.find(payer)
            if customer is None:
                key = _("第%(row)s行「%(col)s」") % {"row": offset, "col": headings[columns["payer"]]}
                if candidates:
                    message = _("第%(row)s行付款方「%(payer)s」对应多个客户（%(names)s），请在客户资料中使用与银行户名一致的全称") % {
                        "row": offset, "payer": payer, "names": "、".join(c.name for c in candidates[:5])}
                else:
                    message = _("第%(row)s行付款方「%(payer)s」不是已知客户") % {"row": offset, "payer": payer}
                errors.setdefault(key, []).append(message)
        reference = cell_text(cells["bank_reference"])
        if not reference:
            bad(offset, "bank_reference", _("为空"))
        elif len(reference) > MAX_REFERENCE:
            bad(offset, "bank_reference", _("超过 %(n)s 个字符") % {"n": MAX_REFERENCE})
        elif reference in seen:
            bad(offset, "bank_reference", _("与第%(row)s行重复") % {"row": seen[reference]})
        else:
            seen[reference] = offset
        remark = cell_text(cells.get("remark"))[:MAX_REMARK]
        if amount is not None and received_on is not None and customer is not None and reference:
            lines.append(Line(offset, received_on, payer, amount, reference, remark, customer))
    if not lines and not skipped and not errors:
        errors[_("文件")] = [_("没有可导入的行")]
    return lines, skipped, errors


def _recorded(references: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(references), 500):
        found.update(Receipt.objects.filter(bank_reference__in=references[start:start + 500])
                     .values_list("bank_reference", flat=True))
    return found


def statement_import(*, actor, content: bytes, filename: str = "") -> StatementResult:
    """Import a bank statement's lines as receipts, all or none, in one transaction (the module's docstring)."""
    if actor is None or not actor.roles & MONEY_RECORDERS:
        raise NotAllowed(_("只有财务可以导入银行流水"))
    rows = statement_rows(content, filename)
    lines, skipped, errors = _check(rows, actor)
    if errors:
        problems = [m for ms in errors.values() for m in ms]
        more = _("等 %(n)s 处") % {"n": len(problems)} if len(problems) > 3 else ""
        raise InvalidInput(_("银行流水有误，未导入任何一行：%(problems)s%(more)s") % {
            "problems": "；".join(problems[:3]), "more": more}, errors=errors)
    taken = _recorded([line.bank_reference for line in lines])
    result = StatementResult(skipped=skipped)
    with transaction.atomic():
        statement = StatementImport.objects.create(filename=(filename or "")[:200] or _("银行流水"), imported_by=actor,
                                                   imported_at=clock.now())
        for line in lines:
            if line.bank_reference in taken:
                result.skipped.append({"row": line.row, "bank_reference": line.bank_reference,
                                       "reason": _("流水号已登记过回款")})
                continue
            try:
                result.receipts.append(receipt_record(
                    customer_id=line.customer.pk, received_on=line.received_on, payer=line.payer, amount=line.amount,
                    bank_reference=line.bank_reference, remark=line.remark, actor=actor,
                    source=ReceiptSource.STATEMENT, statement=statement))
            except DomainError as exc:  # recorded meanwhile by someone else: nothing of this import stays
                key = _("第%(row)s行") % {"row": line.row}
                message = _("第%(row)s行：%(problem)s") % {"row": line.row, "problem": exc.message}
                raise InvalidInput(_("银行流水有误，未导入任何一行：%(problems)s") % {"problems": message},
                                   errors={key: [message]}) from exc
        result.skipped.sort(key=lambda item: item["row"])
        statement.lines = len(result.receipts)
        statement.skipped = result.skipped
        statement.save(update_fields=["lines", "skipped"])
        audit_record(actor=actor, obj=statement, operation="statement_imported", object_type="finance.statementimport",
                     changes={"what": [None, statement.filename], "rows": [None, statement.lines],
                              "skipped": [None, len(result.skipped)]})
    result.statement = statement
    return result


# --- suggestions and their confirmation ------------------------------------------------------------------------

@dataclass
class Suggestion:
    receipt: Receipt
    candidates: list[OpenItem]  # exact matches: open instalments of its customer owing what is left of it
    chosen: int | None  # the candidate ticked at first: each instalment offered to one receipt only


def statement_get(statement_id, user) -> StatementImport:
    if user is None or not user.roles & MONEY_RECORDERS:
        raise NotAllowed(_("只有财务可以导入银行流水并确认核销"))
    statement = StatementImport.objects.filter(pk=statement_id).first()
    if statement is None:
        raise NotFound(_("银行流水导入记录不存在"))
    return statement


def statement_suggestions(statement: StatementImport) -> list[Suggestion]:
    """Per receipt of the import (in the file's order), the exact matches among its customer's open instalments."""
    receipts = list(statement.receipts.select_related("customer").order_by("id"))
    customers = {receipt.customer_id for receipt in receipts if receipt.unallocated > 0}
    open_rows: dict[tuple[int, Decimal], list[Instalment]] = {}
    for row in (Instalment.objects.filter(is_open=True, order__customer_id__in=customers)
                .select_related("order", "order__customer").order_by("due_date", "order__number", "number")):
        open_rows.setdefault((row.order.customer_id, row.outstanding), []).append(row)
    used: set[int] = set()
    suggestions = []
    for receipt in receipts:
        rows = open_rows.get((receipt.customer_id, receipt.unallocated), []) if receipt.unallocated > 0 else []
        chosen = next((row.pk for row in rows if row.pk not in used), None)
        if chosen is not None:
            used.add(chosen)
        suggestions.append(Suggestion(receipt, [OpenItem(row, condition_of(row), False) for row in rows], chosen))
    return suggestions


def statement_confirm(*, actor, statement_id, picks: list[tuple[int, int]]) -> int:
    """Allocate each ticked (receipt, instalment) of the import: what is left of the receipt to the instalment,
    one ``receipt_allocate`` per receipt, all in one transaction. Returns how many allocations were made."""
    statement = statement_get(statement_id, actor)
    wanted: dict[int, list[int]] = {}
    for receipt_id, instalment_id in picks:
        wanted.setdefault(receipt_id, [])
        if instalment_id not in wanted[receipt_id]:
            wanted[receipt_id].append(instalment_id)
    if not wanted:
        message = _("请勾选要核销的建议")
        raise InvalidInput(message, errors={"__all__": [message]})
    receipts = {r.pk: r for r in statement.receipts.filter(pk__in=list(wanted))}
    errors: dict[str, list[str]] = {}
    made = 0
    with transaction.atomic():
        for receipt_id, instalments in wanted.items():
            receipt = receipts.get(receipt_id)
            if receipt is None:
                errors.setdefault(f"receipt.{receipt_id}", []).append(_("不是本次导入的回款"))
                continue
            label = _("流水号 %(ref)s") % {"ref": receipt.bank_reference}
            rows = {row.pk: row for row in Instalment.objects.filter(pk__in=instalments).select_related("order")}
            settled = [rows[pk] for pk in instalments if pk in rows and rows[pk].outstanding <= 0]
            if settled:
                errors.setdefault(f"receipt.{receipt_id}", []).extend(
                    _("%(label)s：订单 %(ref)s 第%(n)d期已结清") % {"label": label, "ref": row.order.ref, "n": row.number}
                    for row in settled)
                continue
            shares = [Share(pk, rows[pk].outstanding if pk in rows else receipt.unallocated) for pk in instalments]
            try:
                made += len(receipt_allocate(receipt_id=receipt_id, allocations=shares, actor=actor))
            except DomainError as exc:
                errors.setdefault(f"receipt.{receipt_id}", []).append(f"{label}：{exc.message}")
        if errors:  # raised inside: what was allocated before the problem is undone with the rest
            problems = [m for ms in errors.values() for m in ms]
            raise InvalidInput(_("核销未完成，未做任何核销：%(problems)s") % {"problems": "；".join(problems[:3])},
                               errors=errors)
    return made
