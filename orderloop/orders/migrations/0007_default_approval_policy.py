from decimal import Decimal

from django.db import migrations


def create_policy(apps, schema_editor):
    ApprovalPolicy = apps.get_model("orders", "ApprovalPolicy")
    if not ApprovalPolicy.objects.exists():
        ApprovalPolicy.objects.create(director_threshold=Decimal("100000.00"), margin_floor=Decimal("0.1000"))


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_approval_policy")]
    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
