"""《对账单》: a customer's statement of account for a date range, and its PDF.

The balance is what the customer owes on its payment plans (应收余额), the product's receivables: an instalment
adds its amount on its due date (an instalment not yet due — its trigger not reached — is not owed yet), a receipt
takes its amount off on its 到账日期 whether or not it is allocated yet (what is not allocated is the customer's
预收余额, so a negative balance is money paid in advance), and a manager's write-off (尾款核销) takes off what it
wrote off on its day (or on the instalment's due date, if written off before it fell due). Invoices issued are
listed in their own column for the customer to tick off against its books; they do not move the balance (a
red-letter invoice shows negative). The opening balance is the balance at the end of the day before ``date_from``,
the closing balance at the end of ``date_to``. Amounts are exact to the fen (Decimal)."""
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from django.db.models import Sum
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from orderloop.core.calendar import local
from orderloop.core.money import amount_text, rmb_capitals
from orderloop.core.pdf import CELL, SMALL, TABLE_FONT, TEXT, TITLE, document_template
from orderloop.finance.models import Instalment, Invoice, InvoiceStatus, Receipt
from orderloop.masterdata.models import Trigger

ZERO = Decimal("0.00")
# Lines of one day: what was invoiced, then what fell due, then what came in, then what was written off.
INVOICE, DUE, RECEIPT, WRITE_OFF = range(4)


@dataclass
class StatementLine:
    day: date
    kind: int
    text: str                       # 摘要
    reference: str = ""             # 单据号: the invoice number, the bank reference, the order and instalment
    invoiced: Decimal | None = None
    due: Decimal | None = None      # 应收 (a write-off negative)
    received: Decimal | None = None
    balance: Decimal | None = None  # after this line (none on an invoice's line: it does not move it)


@dataclass
class Statement:
    customer: object
    date_from: date
    date_to: date
    opening: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def invoiced(self) -> Decimal:
        return sum((line.invoiced for line in self.lines if line.invoiced is not None), ZERO)

    @property
    def due(self) -> Decimal:
        return sum((line.due for line in self.lines if line.kind == DUE), ZERO)

    @property
    def written_off(self) -> Decimal:
        return -sum((line.due for line in self.lines if line.kind == WRITE_OFF), ZERO)

    @property
    def received(self) -> Decimal:
        return sum((line.received for line in self.lines if line.received is not None), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.due - self.written_off - self.received


def _trigger_label(trigger: str) -> str:
    return str(Trigger(trigger).label) if trigger in Trigger.values else trigger


def _write_off_day(row: Instalment) -> date:
    return max(local(row.written_off_at).date(), row.due_date)


def customer_statement(customer, date_from: date, date_to: date) -> Statement:
    """The statement of ``customer`` from ``date_from`` to ``date_to`` (both included): four queries."""
    instalments = list(Instalment.objects.filter(order__customer=customer, due_date__isnull=False, due_date__lte=date_to)
                       .select_related("order").order_by("due_date", "order_id", "number"))
    received_before = Receipt.objects.filter(customer=customer, received_on__lt=date_from).aggregate(
        total=Sum("amount"))["total"] or ZERO
    opening = -received_before
    lines = []
    for row in instalments:
        written_off = row.written_off if row.written_off and row.written_off_at else ZERO
        if row.due_date < date_from:
            opening += row.amount
        else:
            lines.append(StatementLine(row.due_date, DUE, f"应收：{row.order.ref} 第{row.number}期（{_trigger_label(row.trigger)}）",
                                       f"{row.order.ref}-{row.number}", due=row.amount))
        if written_off:
            day = _write_off_day(row)
            if day < date_from:
                opening -= written_off
            elif day <= date_to:
                lines.append(StatementLine(day, WRITE_OFF, f"尾款核销：{row.order.ref} 第{row.number}期",
                                           f"{row.order.ref}-{row.number}", due=-written_off))
    for receipt in Receipt.objects.filter(customer=customer, received_on__gte=date_from, received_on__lte=date_to) \
            .order_by("received_on", "id"):
        lines.append(StatementLine(receipt.received_on, RECEIPT, f"回款：{receipt.payer}", receipt.bank_reference,
                                   received=receipt.amount))
    invoices = (Invoice.objects.filter(order__customer=customer, number__isnull=False, issued_on__gte=date_from,
                                       issued_on__lte=date_to, status__in=[InvoiceStatus.ISSUED, InvoiceStatus.REVERSED])
                .select_related("order").order_by("issued_on", "id"))
    for invoice in invoices:
        red = invoice.red_of_id is not None
        amount = -abs(invoice.amount) if red else invoice.amount
        text = f"{'红字发票' if red else '开具发票'}：{invoice.order.ref} {invoice.get_kind_display()}"
        lines.append(StatementLine(invoice.issued_on, INVOICE, text, invoice.number, invoiced=amount))
    lines.sort(key=lambda line: (line.day, line.kind))
    balance = opening
    for line in lines:
        if line.kind != INVOICE:
            balance += (line.due or ZERO) - (line.received or ZERO)
            line.balance = balance
    return Statement(customer=customer, date_from=date_from, date_to=date_to, opening=opening, lines=lines)


# --- the PDF ---------------------------------------------------------------------------------------------------

def _amount(value: Decimal | None) -> str:
    return "" if value is None else amount_text(value)


def _parties(customer, seller) -> Table:
    """供方 (the company of 系统设置) and 需方 (the customer), side by side, as on 《订单确认单》."""
    seller_rows = [(label, value) for label, value in (
        ("统一社会信用代码", seller.uscc), ("地址", seller.address), ("电话", seller.phone),
        ("开户银行", seller.bank_name), ("银行账号", seller.bank_account)) if value] if seller else []
    contact = customer.contacts.filter(is_primary=True).first() or customer.contacts.first()
    buyer_rows = [(label, value) for label, value in (
        ("统一社会信用代码", customer.uscc), ("客户编码", customer.code), ("地址", customer.address),
        ("联系人", contact.name if contact else "")) if value]

    def column(party, name, rows):
        lines = [f"<b>{party}：{escape(name)}</b>"] + [f"{escape(label)}：{escape(str(value))}" for label, value in rows]
        return Paragraph("<br/>".join(lines), CELL)

    table = Table([[column("供方", seller.name if seller else "—", seller_rows), column("需方", customer.name, buyer_rows)]],
                  colWidths=[87 * mm, 87 * mm])
    table.setStyle(TableStyle([TABLE_FONT, ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("LINEAFTER", (0, 0), (0, 0), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return table


HEADERS = ["日期", "摘要", "单据号", "开票金额", "应收金额", "回款金额", "应收余额"]
# A 20-digit 数电 number and amounts up to 1,234,567.89 each on one line.
WIDTHS = [19 * mm, 39 * mm, 36 * mm, 20 * mm, 20 * mm, 20 * mm, 20 * mm]
LINE = CELL.clone("statement-cell", fontSize=8.5, leading=11)
AMOUNT = LINE.clone("statement-amount", alignment=2)


def _lines_table(statement: Statement) -> Table:
    rows = [[Paragraph(h, LINE) for h in HEADERS]]

    def row(day, text, reference="", invoiced=None, due=None, received=None, balance=None):
        return [Paragraph(escape(day), LINE), Paragraph(escape(text), LINE), Paragraph(escape(reference), LINE)] + [
            Paragraph(_amount(value), AMOUNT) for value in (invoiced, due, received, balance)]

    rows.append(row(statement.date_from.isoformat(), "期初余额", balance=statement.opening))
    for line in statement.lines:
        rows.append(row(line.day.isoformat(), line.text, line.reference, line.invoiced, line.due, line.received, line.balance))
    rows.append(row(statement.date_to.isoformat(), "本期合计", invoiced=statement.invoiced,
                    due=statement.due - statement.written_off, received=statement.received))
    rows.append(row(statement.date_to.isoformat(), "期末余额", balance=statement.closing))
    table = Table(rows, colWidths=WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([TABLE_FONT, ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 3),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 3), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                               ("BACKGROUND", (0, -2), (-1, -1), colors.HexColor("#F3F7FC"))]))
    return table


def _signatures(customer, seller) -> KeepTogether:
    def block(title, name):
        return Paragraph("<br/>".join([f"<b>{title}（盖章）</b>", f"单位名称：{escape(name)}", "经办人（签字）：________________",
                                       "<br/>", "日期：______年____月____日"]), TEXT)

    table = Table([[block("供方", seller.name if seller else "________________"), block("需方", customer.name)]],
                  colWidths=[87 * mm, 87 * mm])
    table.setStyle(TableStyle([TABLE_FONT, ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("LINEAFTER", (0, 0), (0, 0), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                               ("LEFTPADDING", (0, 0), (-1, -1), 8)]))
    return KeepTogether([Paragraph("以上往来款项请核对。如有不符，请于收到本对账单后7日内告知，逾期视为无误；核对无误请签字盖章后回传。",
                                   TEXT), Spacer(1, 3 * mm), table])


def statement_pdf(statement: Statement, *, seller=None) -> bytes:
    """《对账单》 as PDF: 供方 and 需方, the period, the opening balance, every line in date order with the balance
    after it, the period's totals and the closing balance in figures and in capitals, and both parties' seals."""
    customer = statement.customer
    buffer = io.BytesIO()
    document = document_template(buffer, title=f"对账单 {customer.name} {statement.date_from}—{statement.date_to}",
                                 author=seller.name if seller else "orderloop")
    closing = statement.closing
    owed = (f"截至 {statement.date_to.isoformat()}，贵司尚欠我司货款 ¥{amount_text(closing)}（大写：{rmb_capitals(closing)}）。"
            if closing >= 0 else
            f"截至 {statement.date_to.isoformat()}，贵司预付款余额 ¥{amount_text(-closing)}（大写：{rmb_capitals(-closing)}）。")
    story = [
        Paragraph("对账单", TITLE),
        _parties(customer, seller),
        Spacer(1, 4 * mm),
        Paragraph(escape(f"对账期间：{statement.date_from.isoformat()} 至 {statement.date_to.isoformat()}　　币种：人民币（元）"),
                  TEXT),
        Spacer(1, 2 * mm),
        _lines_table(statement),
        Spacer(1, 4 * mm),
        Paragraph(escape(f"期初余额：{amount_text(statement.opening)}　本期开票：{amount_text(statement.invoiced)}　"
                         f"本期应收：{amount_text(statement.due)}　本期核销：{amount_text(statement.written_off)}　"
                         f"本期回款：{amount_text(statement.received)}"), TEXT),
        Paragraph(escape(f"期末余额（小写）：¥{amount_text(closing)}　　期末余额（大写）：{rmb_capitals(closing)}"), TEXT),
        Paragraph(escape(owed), TEXT),
        Paragraph("应收余额 = 期初余额 + 到期应收 − 尾款核销 − 回款；开票金额供核对，不计入余额；余额为负数表示预付款。", SMALL),
        Spacer(1, 8 * mm),
        _signatures(customer, seller),
    ]
    document.build(story)
    return buffer.getvalue()


def default_range(today: date) -> tuple[date, date]:
    """The statement's range when none is asked for: the month so far."""
    return today.replace(day=1), today
