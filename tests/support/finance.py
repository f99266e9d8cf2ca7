"""Money in, as finance records it (finance.receipts): the order's open instalments of some triggers paid in full."""
from orderloop.core import clock
from orderloop.finance.models import Instalment
from orderloop.finance.receipts import Share, receipt_record


def pay(order, finance_user, *triggers):
    """Finance records one receipt paying the order's open instalments (those of ``triggers``; all when none)."""
    rows = Instalment.objects.filter(order=order, is_open=True)
    if triggers:
        rows = rows.filter(trigger__in=triggers)
    rows = list(rows)
    if not rows:
        return None
    total = sum(row.outstanding for row in rows)
    return receipt_record(customer_id=order.customer_id, received_on=clock.today(), payer=order.customer.name,
                          amount=total, bank_reference="", actor=finance_user,
                          allocations=[Share(row.pk, row.outstanding) for row in rows])
