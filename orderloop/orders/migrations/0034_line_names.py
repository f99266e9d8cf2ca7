"""The names lines were ordered under (LineName), for the order search: filled from the lines there are and kept by
a trigger as lines are inserted or their model or product name changes, whichever code writes them (the intake,
changes, imports, go-live, the benchmark's seeder). The search then matches a term against these few names and
finds the lines by the names it matched, through an index of each column with the order (index-only on
PostgreSQL), instead of the lines' own trigram indexes, which read every line sharing the term's trigrams (a
model's 5,000 lines at 1,000,000 orders: 14 ms against 2 ms); those are dropped. On PostgreSQL the names have a
trigram index of their own (the same expression ``icontains`` uses).

On SQLite a migration that rebuilds orders_orderline (most changes of its columns or constraints) drops the
triggers with the old table: such a migration must create them again (tests/orders/test_search.py fails
otherwise)."""
from django.db import migrations, models

LINE_TRIGRAM_INDEXES = [("orderline_model_trgm_idx", "model"), ("orderline_product_name_trgm_idx", "product_name")]

# Without a column list (UPDATE OF …), which would tie the two columns to the trigger and refuse a later change of
# their type: the function itself passes over an update that left both names as they were.
POSTGRESQL_TRIGGER = [
    """CREATE FUNCTION orders_keep_line_names() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.model = OLD.model AND NEW.product_name = OLD.product_name THEN
            RETURN NULL;
        END IF;
        INSERT INTO orders_linename (name) VALUES (NEW.model), (NEW.product_name) ON CONFLICT (name) DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER orders_orderline_names AFTER INSERT OR UPDATE ON orders_orderline
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
    for statement in POSTGRESQL_TRIGGER if postgresql else SQLITE_TRIGGERS:  # first: a line written meanwhile counts
        execute(statement)
    names = "SELECT model FROM orders_orderline UNION SELECT product_name FROM orders_orderline"
    execute(f"INSERT INTO orders_linename (name) {names} ON CONFLICT (name) DO NOTHING" if postgresql
            else f"INSERT OR IGNORE INTO orders_linename (name) {names}")
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
