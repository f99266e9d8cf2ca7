from django.db import migrations

ROUTES = [
    ("timer_breached:contact", "sales_manager", "inapp,email,robot"),
    ("timer_breached:approval", "sales_director", "inapp,email"),
    ("timer_breached:stock_check", "sales_manager", "inapp,email,robot"),
    ("timer_breached:tracking", "sales_manager", "inapp,email,robot"),
    ("timer_breached:logistics_notice", "sales_manager", "inapp,email"),
    ("timer_breached:follow_up", "sales_manager", "inapp,email"),
    ("risk_raised", "sales_manager", "inapp,email,robot"),
    ("logistics_notice", "account_manager", "inapp,email"),
    ("logistics_notice", "customer", "email"),
    ("daily_digest", "recipient", "inapp,email"),
    ("daily_rollup", "recipient", "inapp,robot"),
    ("calendar_alert", "admin", "inapp,email"),
    ("ticket_opened", "after_sales", "inapp,email"),
    ("ticket_opened", "sales_manager", "inapp"),
    ("timer_breached:aftersales_response", "sales_manager", "inapp,email,robot"),
    ("timer_breached:aftersales_resolution", "sales_manager", "inapp,email"),
    ("review_overdue", "sales_director", "inapp,email"),
]


def create_routes(apps, schema_editor):
    Route = apps.get_model("notifications", "NotificationRoute")
    for event, role, channels in ROUTES:
        Route.objects.get_or_create(event=event, role=role, defaults={"channels": channels})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]
    operations = [migrations.RunPython(create_routes, migrations.RunPython.noop)]
