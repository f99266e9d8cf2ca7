from django.db import migrations, models

# An invoice request not yet issued may be withdrawn (撤回) or returned by finance (退回); a returned one is told to
# whoever requested it (the route's role is given its person by the code), in the app and by e-mail.
ROUTES = [("invoice_returned", "account_manager", "inapp,email")]


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
        ("finance", "0005_opening_receipts"),
        ("notifications", "0007_outbox_sms"),
    ]

    operations = [
        migrations.AlterField(
            model_name="invoice",
            name="status",
            field=models.CharField(choices=[("requested", "待开票"), ("issued", "已开票"), ("reversed", "已红冲"),
                                            ("withdrawn", "已撤回")],
                                   db_index=True, default="requested", max_length=20, verbose_name="状态"),
        ),
        migrations.RunPython(create_routes, remove_routes),
    ]
