"""A trigram index of the customers' names on PostgreSQL (``name__icontains`` = ``UPPER(name) LIKE UPPER('%q%')``,
the same expression): every order search looks the term up among the customers' names first, and reading every
customer's name cost about 3.5 ms a search with 6,000 customers. Other databases search without it."""
from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "customer_name_trgm_idx" ON "masterdata_customer" '
                          'USING gin ((UPPER("name"::text)) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "customer_name_trgm_idx"')


class Migration(migrations.Migration):
    dependencies = [("masterdata", "0008_payment_terms")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
