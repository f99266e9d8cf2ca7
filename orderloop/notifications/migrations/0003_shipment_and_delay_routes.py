from django.db import migrations

ROUTES = [
    ("shipment_prepared", "logistics", "inapp,email"),
    ("shipment_prepared", "sales_assistant", "inapp"),
    ("date_negotiation", "account_manager", "inapp,email"),
]


def create_routes(apps, schema_editor):
    Route = apps.get_model("notifications", "NotificationRoute")
    for event, role, channels in ROUTES:
        Route.objects.get_or_create(event=event, role=role, defaults={"channels": channels})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_default_routes")]
    operations = [migrations.RunPython(create_routes, migrations.RunPython.noop)]
