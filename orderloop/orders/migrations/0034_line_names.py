"""The names lines were ordered under (LineName), for the order search: filled from the lines there are and kept by
a trigger as lines are inserted or their model or product name changes, whichever code writes them (the intake,
changes, imports, go-live, the benchmark's seeder). The search then matches a term against these few names and
finds the lines by the names it matched, through an index of each column with the order (index-only on
PostgreSQL), instead of the lines' own trigram indexes, which read every line sharing the term's trigrams (a
model's 5,000 lines at 1,000,000 orders: 14 ms against 2 ms); those are dropped. On PostgreSQL the names have a
trigram index of their own (the same expression ``icontains`` uses)."""
from django.db import migrations, models

LINE_TRIGRAM_INDEXES = [("orderline_model_trgm_idx", "model"), ("orderline_product_name_trgm_idx", "product_name")]

POSTGRESQL_TRIGGER = [
    """CREATE FUNCTION orders_keep_line_names() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO orders_linename (name) VALUES (NEW.model), (NEW.product_name) ON CONFLICT (name) DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER orders_orderline_names AFTER INSERT OR UPDATE OF model, product_name ON orders_orderline
        FOR EACH ROW EXECUTE FUNCTION orders_keep_line_names()""",
]

SQLITE_TRIGGERS = [
    """CREATE TRIGGER orders_orderline_names_insert AFTER INSERT ON orders_orderline BEGIN
        INSERT OR IGNORE INTO orders_linename (name) VALUES (NEW.model), (NEW.product_name); END""",
    """CREATE TRIGGER orders_orderline_names_update AFTER UPDATE OF model, product_name ON orders_orderline BEGIN
        INSERT OR IGNORE INTO orders_linename (name) VALUES (NEW.model), (NEW.product_name); END""",
]


def keep_names(apps, schema_editor):
    execute, postgresql = schema_editor.execute, schema_editor.connection.vendor == "postgresql"
    execute("INSERT INTO orders_linename (name) SELECT model FROM orders_orderline "
            "UNION SELECT product_name FROM orders_orderline")
    for statement in POSTGRESQL_TRIGGER if postgresql else SQLITE_TRIGGERS:
        execute(statement)
    if postgresql:
        for name, _column in LINE_TRIGRAM_INDEXES:
            execute(f'DROP INDEX IF EXISTS "{name}"')
        execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        execute('CREATE INDEX "linename_trgm_idx" ON "orders_linename" USING gin ((UPPER("name"::text)) gin_trgm_ops)')


def forget_names(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("DROP TRIGGER IF EXISTS orders_orderline_names ON orders_orderline")
        execute("DROP FUNCTION IF EXISTS orders_keep_line_names()")
        for name, column in LINE_TRIGRAM_INDEXES:
            execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "orders_orderline" '
                    f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')
    else:
        execute("DROP TRIGGER IF EXISTS orders_orderline_names_insert")
        execute("DROP TRIGGER IF EXISTS orders_orderline_names_update")


class Migration(migrations.Migration):

    dependencies = [
        ('masterdata', '0009_customer_name_trigram'),
        ('orders', '0033_working_list_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='LineName',
            fields=[
                ('name', models.CharField(max_length=200, primary_key=True, serialize=False)),
            ],
        ),
        migrations.AddIndex(
            model_name='orderline',
            index=models.Index(fields=['model', 'order'], name='orderline_model_idx'),
        ),
        migrations.AddIndex(
            model_name='orderline',
            index=models.Index(fields=['product_name', 'order'], name='orderline_product_name_idx'),
        ),
        migrations.RunPython(keep_names, forget_names, elidable=False),
    ]
