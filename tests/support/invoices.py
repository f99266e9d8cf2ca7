"""Invoices as finance records them, made straight in the models (an issued 数电发票 with its 20-digit number, and
a red-letter one reversing it), for the reads that list them."""
from decimal import ROUND_HALF_UP, Decimal

from orderloop.core import clock
from orderloop.finance.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus

RATE = Decimal("0.13")


def issued_invoice(order, finance_user, *, number: str, issued_on, amount, red_of=None) -> Invoice:
    """An issued invoice of ``order`` for ``amount`` (tax-inclusive, one line at 13 %); with ``red_of``, the red-letter
    invoice reversing it (its amounts negative) and the blue one marked 已红冲."""
    amount = Decimal(str(amount))
    tax = (amount / (1 + RATE) * RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    now = clock.now()
    invoice = Invoice.objects.create(
        order=order, kind=InvoiceKind.SPECIAL, status=InvoiceStatus.ISSUED, buyer_name=order.customer.name,
        buyer_tax_id=order.customer.uscc, amount=amount, tax=tax, net=amount - tax, requested_by=order.owner,
        requested_at=now, number=number, issued_on=issued_on, issued_by=finance_user, issued_at=now, red_of=red_of,
        reason="开票有误" if red_of else "")
    InvoiceLine.objects.create(invoice=invoice, position=1, description="服务器A型", model="S-001", unit="台",
                               quantity=Decimal("-1" if red_of else "1"), amount=amount, tax_rate=RATE, tax=tax, net=amount - tax)
    if red_of is not None:
        Invoice.objects.filter(pk=red_of.pk).update(status=InvoiceStatus.REVERSED)
    return invoice
