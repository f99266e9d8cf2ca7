import django.db.models.deletion
from django.db import migrations, models

# An invoice request (开票申请) is handed to finance: told in the app and by e-mail.
ROUTES = [("invoice_requested", "finance", "inapp,email")]


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
        ("notifications", "0002_default_routes"),
        ("orders", "0029_alter_orderevent_type"),
    ]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="order",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="invoices",
                                    to="orders.salesorder", verbose_name="订单"),
        ),
        migrations.RunPython(create_routes, remove_routes),
    ]
