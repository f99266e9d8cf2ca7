"""Formal order numbers: ``YYYYMM-NNN``, per month of formal entry in
Asia/Shanghai time, without gaps or duplicates.

The counter row is locked and bumped inside the caller's transaction, so a
rolled-back entry gives its number back and concurrent entries queue on the
row lock (PostgreSQL) or on the write lock (SQLite, IMMEDIATE transactions).
"""
from datetime import datetime

from django.db import connections, router, transaction
from django.utils import timezone

from orderloop.core.models import OrderNumberCounter


def format_order_number(month: str, serial: int) -> str:
    return f"{month}-{serial:03d}"


def next_order_number(*, at: datetime) -> tuple[str, str, int]:
    """Return (number, month, serial). Must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_order_number must run inside the entry's transaction")
    month = timezone.localtime(at).strftime("%Y%m")
    connection = connections[router.db_for_write(OrderNumberCounter)]
    table, qn = connection.ops.quote_name(OrderNumberCounter._meta.db_table), connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({qn('month')}, {qn('last')}) VALUES (%s, %s) "
            f"ON CONFLICT ({qn('month')}) DO UPDATE SET {qn('last')} = {table}.{qn('last')} + 1 RETURNING {qn('last')}",
            [month, 1])
        serial = cursor.fetchone()[0]
    return format_order_number(month, serial), month, serial


def counter_raise(month: str, serial: int) -> None:
    """The month's counter at least ``serial`` (numbers brought in from elsewhere, e.g. a go-live import): the next
    number of the month follows them. One upsert, so an entry taking the month's first number at the same moment
    queues on it instead of colliding."""
    connection = connections[router.db_for_write(OrderNumberCounter)]
    table, qn = connection.ops.quote_name(OrderNumberCounter._meta.db_table), connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({qn('month')}, {qn('last')}) VALUES (%s, %s) ON CONFLICT ({qn('month')}) DO UPDATE "
            f"SET {qn('last')} = CASE WHEN {table}.{qn('last')} < excluded.{qn('last')} THEN excluded.{qn('last')} "
            f"ELSE {table}.{qn('last')} END", [month, serial])
