"""The money API (/api/finance/…): payment plans, receipts and allocations, invoices, receivables."""
from ninja import Router

router = Router(tags=["money"])
