from django.db import migrations

ROUTES = [
    ("visit_opened", "customer", "email"),
    ("ticket_resolved", "account_manager", "inapp,email"),
    ("ticket_resolved", "customer", "email"),
]


def create_routes(apps, schema_editor):
    Route = apps.get_model("notifications", "NotificationRoute")
    for event, role, channels in ROUTES:
        Route.objects.get_or_create(event=event, role=role, defaults={"channels": channels})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_shipment_and_delay_routes")]
    operations = [migrations.RunPython(create_routes, migrations.RunPython.noop)]
