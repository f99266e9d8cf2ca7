from django.conf import settings
from django.db import migrations, models

# PostgreSQL estimates how many orders of a state are in the working list (not archived) as if the two were
# unrelated: a fifth of them, since four orders in five are archived. Yet every order still in 议价, 履约中, …
# is working, so it expected 212 of 1,003 and joined a page's customers by reading all 6,000 (2.5 ms for page 5 of
# a state's list at 1,000,000 orders; 1.3 ms once it knows). The statistics below count the pairs that occur.
STATISTICS = "order_status_archived"


def create_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE STATISTICS IF NOT EXISTS "{STATISTICS}" (mcv) ON "status", "archived_at" FROM "orders_salesorder"')
    schema_editor.execute('ANALYZE "orders_salesorder"')


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP STATISTICS IF EXISTS "{STATISTICS}"')


class Migration(migrations.Migration):

    dependencies = [
        ('masterdata', '0009_customer_name_trigram'),
        ('orders', '0036_line_order_people'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='salesorder',
            index=models.Index(condition=models.Q(('archived_at__isnull', True)), fields=['customer', 'created_at'], include=('id', 'owner', 'entered_by', 'status'), name='order_working_customer_idx'),
        ),
        migrations.RunPython(create_statistics, drop_statistics, elidable=False),
    ]
