from django.db import migrations


def create_finance_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="finance")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_token_ends_and_lockout_by_address")]
    operations = [migrations.RunPython(create_finance_group, migrations.RunPython.noop)]
