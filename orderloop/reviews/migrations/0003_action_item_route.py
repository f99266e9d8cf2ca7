from django.db import migrations

ROUTES = [("review_action_assigned", "recipient", "inapp,email")]  # the action item's owner


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
        ("reviews", "0002_figures_and_action_items"),
        ("notifications", "0002_default_routes"),
    ]

    operations = [migrations.RunPython(create_routes, remove_routes)]
