"""Each line keeps its order's created_at (which never changes), and the search's two line indexes carry it
(INCLUDE, PostgreSQL): a search reads the orders a name was ordered under, newest first, from the lines' index
alone, and for a user who sees every order its list of matches is the list itself — at 1,000,000 orders a product
model's 5,000 orders were each read by primary key only to be sorted (about 12 ms).

The lines there are take it from their orders; on PostgreSQL LineName's trigger is held while they do (every line
is rewritten; the table is locked for the migration, so no line is written meanwhile) — about a minute at
1,000,000 orders (2,000,000 lines). On SQLite making the column NOT NULL rebuilds the table, which drops LineName's
triggers (migration 0034): they are created again here."""
import importlib

from django.db import migrations, models

LINE_NAMES = importlib.import_module("orderloop.orders.migrations.0034_line_names")


def copy_created_at(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("ALTER TABLE orders_orderline DISABLE TRIGGER orders_orderline_names")
        execute("UPDATE orders_orderline AS line SET order_created_at = o.created_at FROM orders_salesorder AS o "
                "WHERE o.id = line.order_id")
        execute("ALTER TABLE orders_orderline ENABLE TRIGGER orders_orderline_names")
    else:
        execute("UPDATE orders_orderline SET order_created_at = "
                "(SELECT o.created_at FROM orders_salesorder AS o WHERE o.id = orders_orderline.order_id)")


def keep_line_names(apps, schema_editor):
    """SQLite: the table was rebuilt (made NOT NULL, or back), without its triggers."""
    if schema_editor.connection.vendor == "sqlite":
        for name in ("orders_orderline_names_insert", "orders_orderline_names_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in LINE_NAMES.SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0034_line_names'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, keep_line_names, elidable=False),  # (undone: last)
        migrations.AddField(
            model_name='orderline',
            name='order_created_at',
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(copy_created_at, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='orderline',
            name='order_created_at',
            field=models.DateTimeField(editable=False),
        ),
        migrations.RunPython(keep_line_names, migrations.RunPython.noop, elidable=False),
        migrations.RemoveIndex(
            model_name='orderline',
            name='orderline_model_idx',
        ),
        migrations.RemoveIndex(
            model_name='orderline',
            name='orderline_product_name_idx',
        ),
        migrations.AddIndex(
            model_name='orderline',
            index=models.Index(fields=['model', 'order'], include=('order_created_at',), name='orderline_model_idx'),
        ),
        migrations.AddIndex(
            model_name='orderline',
            index=models.Index(fields=['product_name', 'order'], include=('order_created_at',), name='orderline_product_name_idx'),
        ),
    ]
