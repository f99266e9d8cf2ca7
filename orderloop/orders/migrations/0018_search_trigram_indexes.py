"""PostgreSQL-only indexes of the order list. The "-number" sort (newest number first, orders without one
last: DESC NULLS LAST, which SQLite cannot index). Trigram indexes for the order search (``q``: ``icontains`` = ``UPPER(col) LIKE UPPER('%q%')``), on PostgreSQL
only: pg_trgm GIN indexes on the same expressions Django's lookups use. Other databases search without them."""
from django.db import migrations

INDEXES = [
    ("order_number_trgm_idx", "orders_salesorder", "number"),
    ("order_provisional_ref_trgm_idx", "orders_salesorder", "provisional_ref"),
    ("order_contact_name_trgm_idx", "orders_salesorder", "contact_name"),
    ("orderline_model_trgm_idx", "orders_orderline", "model"),
    ("orderline_product_name_trgm_idx", "orders_orderline", "product_name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "order_number_desc_idx" ON "orders_salesorder" '
                          '("number_month" DESC NULLS LAST, "number_seq" DESC NULLS LAST, "id" DESC)')
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in ["order_number_desc_idx"] + [name for name, _table, _column in INDEXES]:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_list_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
