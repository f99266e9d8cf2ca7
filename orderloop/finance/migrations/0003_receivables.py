"""Receivables (SPEC section 9). Overdue instalments escalate like every deadline: the routes of their three notices —
the account manager, then the sales manager, then the director (finance.receivables.receivables_escalate). On
PostgreSQL, the open instalments with every column the ageing reads (finance.receivables.ageing), so that its one
aggregate reads them from this small index alone, not from the table of every instalment ever planned
(bench/receivables.py); SQLite has no covering indexes and reads the partial index on the due date."""
from django.db import migrations

ROUTES = [
    ("receivable_overdue", "account_manager", "inapp,email"),
    ("receivable_overdue:manager", "sales_manager", "inapp,email"),
    ("receivable_overdue:director", "sales_director", "inapp,email"),
]


def create_routes(apps, schema_editor):
    Route = apps.get_model("notifications", "NotificationRoute")
    for event, role, channels in ROUTES:
        Route.objects.get_or_create(event=event, role=role, defaults={"channels": channels})


def remove_routes(apps, schema_editor):
    Route = apps.get_model("notifications", "NotificationRoute")
    for event, role, _channels in ROUTES:
        Route.objects.filter(event=event, role=role).delete()


COVERING = ('CREATE INDEX IF NOT EXISTS "instalment_open_order_idx" ON "finance_instalment" ("order_id") '
            'INCLUDE ("due_date", "amount", "received", "written_off") WHERE "is_open"')


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COVERING)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "instalment_open_order_idx"')


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0002_invoices"),
        ("notifications", "0007_outbox_sms"),
    ]

    operations = [migrations.RunPython(create_routes, remove_routes),
                  migrations.RunPython(create_index, drop_index, elidable=False)]
