"""Formal order numbers: ``YYYYMM-NNN``, per month of formal entry in
Asia/Shanghai time, without gaps or duplicates.

The counter row is locked and bumped inside the caller's transaction, so a
rolled-back entry gives its number back and concurrent entries queue on the
row lock (PostgreSQL) or on the write lock (SQLite, IMMEDIATE transactions).
"""
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orderloop.core.models import OrderNumberCounter


def format_order_number(month: str, serial: int) -> str:
    return f"{month}-{serial:03d}"


def next_order_number(*, at: datetime) -> tuple[str, str, int]:
    """Return (number, month, serial). Must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_order_number must run inside the entry's transaction")
    month = timezone.localtime(at).strftime("%Y%m")
    OrderNumberCounter.objects.bulk_create([OrderNumberCounter(month=month, last=0)], ignore_conflicts=True)
    OrderNumberCounter.objects.filter(month=month).update(last=F("last") + 1)
    serial = OrderNumberCounter.objects.select_for_update().values_list("last", flat=True).get(month=month)
    return format_order_number(month, serial), month, serial
