"""Overdue receivables escalate like every deadline (SPEC section 9): the routes of their three notices — the
account manager, then the sales manager, then the director (finance.receivables.receivables_escalate)."""
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


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0001_initial"),
        ("notifications", "0007_outbox_sms"),
    ]

    operations = [migrations.RunPython(create_routes, remove_routes)]
