"""Hand-off notices (SPEC section 9): whoever an order or a ticket passes to is told at once, in the app, by
e-mail and in the team's chat group. The routes that told of a hand-off already (交期协商, 发货准备, 售后问题)
reach the chat group too, unless an administrator changed them; the account manager's part of a resolved ticket
becomes its own hand-off (请回访客户确认处理结果)."""
from django.db import migrations

ALL = "inapp,email,robot"
ROUTES = [
    ("order_received", "account_manager", ALL),
    ("order_received", "sales_assistant", ALL),
    ("needs_info", "sales_assistant", ALL),
    ("needs_info", "account_manager", ALL),
    ("approval_requested", "sales_manager", ALL),
    ("director_approval_requested", "sales_director", ALL),
    ("stock_check_requested", "warehouse", ALL),
    ("stock_check_requested", "production", ALL),
    ("order_confirmed", "warehouse", ALL),
    ("order_confirmed", "production", ALL),
    ("order_shipped", "account_manager", ALL),
    ("follow_up_due", "account_manager", ALL),
    ("ticket_confirmation_requested", "account_manager", ALL),
]
# (event, role, as created by an earlier migration): now with the chat group
TO_THE_GROUP = [
    ("date_negotiation", "account_manager", "inapp,email"),
    ("shipment_prepared", "logistics", "inapp,email"),
    ("ticket_opened", "after_sales", "inapp,email"),
]


def create_routes(apps, schema_editor):
    Route = apps.get_model("notifications", "NotificationRoute")
    for event, role, channels in ROUTES:
        Route.objects.get_or_create(event=event, role=role, defaults={"channels": channels})
    for event, role, channels in TO_THE_GROUP:
        Route.objects.filter(event=event, role=role, channels=channels).update(channels=channels + ",robot")
    Route.objects.filter(event="ticket_resolved", role="account_manager", channels="inapp,email").delete()


def remove_routes(apps, schema_editor):
    Route = apps.get_model("notifications", "NotificationRoute")
    for event, role, _channels in ROUTES:
        Route.objects.filter(event=event, role=role).delete()
    for event, role, channels in TO_THE_GROUP:
        Route.objects.filter(event=event, role=role, channels=channels + ",robot").update(channels=channels)
    Route.objects.get_or_create(event="ticket_resolved", role="account_manager", defaults={"channels": "inapp,email"})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_follow_up_routes")]
    operations = [migrations.RunPython(create_routes, remove_routes)]
