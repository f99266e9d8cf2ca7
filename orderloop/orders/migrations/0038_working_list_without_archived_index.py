from django.db import migrations, models

# The plain index on archived_at drew PostgreSQL away from the working list's own indexes (migration 0033's
# order_working_status_idx and the others, all WHERE archived_at IS NULL, holding what the visibility tests): a
# sales manager's count of 已完成 orders not archived (200,000 of them at 1,000,000 orders) walked it and read 4,000
# rows from the table to find 1,001 visible (0.8–1.6 ms) where the working index alone answers it (0.5 ms). Nothing
# else asks for archived orders by the moment they were archived: the archiving job finds its orders by state on the
# working index. Dropped by its name alone: SQLite would rebuild the table for an AlterField, and with it lose the
# table's triggers (migration 0036's).
INDEX = "orders_salesorder_archived_at_a3539705"  # Django's name for archived_at's db_index, the same on both engines


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0037_working_list_by_customer'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='salesorder',
                    name='archived_at',
                    field=models.DateTimeField(blank=True, null=True, verbose_name='归档时间'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{INDEX}"',
                                  f'CREATE INDEX "{INDEX}" ON "orders_salesorder" ("archived_at")'),
            ],
        ),
    ]
