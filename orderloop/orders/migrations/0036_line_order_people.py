"""Each line keeps its order's owner, enterer and customer — which, unlike its created_at, can change — and the
search's two line indexes carry them (INCLUDE, PostgreSQL): a salesperson's search tells which of a name's lines
they may see from the lines' index alone (access.visible_lines_q), where it read each matching order by primary key
to ask (a sales manager's search for a product model at 1,000,000 orders: 5,000 orders, about 20 ms).

The database keeps the copies, whichever code writes: a line written (inserted, or its copies or order written)
takes them from its order; an order inserted (a restore writes the tables in any order) or whose owner, enterer or
customer changes gives them to its lines. The lines there are take them here (about a minute and a half at
1,000,000 orders; the lines' table is locked meanwhile). On SQLite a table's rebuild (most column changes) keeps
them (the schema editor of core.sqlite3). On PostgreSQL the triggers name the id columns they watch, which ties
those columns' types to them (a change of type must drop and make them again; they are bigint keys).

Two transactions may write at once on PostgreSQL: the copies stay right because the product changes an order's
people only with the order's row locked (``select_for_update``: order_update, the lifecycle engine) and writes
lines with a new order or under that lock; code that did neither while another changed the owner could leave a
line with the old one."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COPIES = "order_owner_id, order_entered_by_id, order_customer_id"
OF_ORDER = "owner_id, entered_by_id, customer_id"

_GIVE = ("UPDATE orders_orderline SET order_owner_id = NEW.owner_id, order_entered_by_id = NEW.entered_by_id, "
         "order_customer_id = NEW.customer_id WHERE order_id = NEW.id")

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION orders_line_takes_order_people() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT {OF_ORDER} INTO NEW.order_owner_id, NEW.order_entered_by_id, NEW.order_customer_id
            FROM orders_salesorder WHERE id = NEW.order_id;
        RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER orders_orderline_order_people BEFORE INSERT OR UPDATE OF order_id, {COPIES}
        ON orders_orderline FOR EACH ROW EXECUTE FUNCTION orders_line_takes_order_people()""",
    f"""CREATE FUNCTION orders_order_gives_lines_people() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_GIVE};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER orders_salesorder_line_people AFTER UPDATE ON orders_salesorder FOR EACH ROW
        WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.entered_by_id IS DISTINCT FROM NEW.entered_by_id
              OR OLD.customer_id IS DISTINCT FROM NEW.customer_id)
        EXECUTE FUNCTION orders_order_gives_lines_people()""",
    """CREATE TRIGGER orders_salesorder_line_people_insert AFTER INSERT ON orders_salesorder FOR EACH ROW
        EXECUTE FUNCTION orders_order_gives_lines_people()""",
]

_TAKE = (f"UPDATE orders_orderline SET ({COPIES}) = (SELECT {OF_ORDER} FROM orders_salesorder AS o "
         "WHERE o.id = NEW.order_id) WHERE id = NEW.id")
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER orders_orderline_order_people_insert AFTER INSERT ON orders_orderline BEGIN {_TAKE}; END",
    f"""CREATE TRIGGER orders_orderline_order_people_update AFTER UPDATE OF order_id, {COPIES} ON orders_orderline
        BEGIN {_TAKE}; END""",
    f"""CREATE TRIGGER orders_salesorder_line_people AFTER UPDATE OF {OF_ORDER} ON orders_salesorder
        WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.entered_by_id IS NOT NEW.entered_by_id
             OR OLD.customer_id IS NOT NEW.customer_id
        BEGIN {_GIVE}; END""",
    f"CREATE TRIGGER orders_salesorder_line_people_insert AFTER INSERT ON orders_salesorder BEGIN {_GIVE}; END",
]
SQLITE_TRIGGER_NAMES = ["orders_orderline_order_people_insert", "orders_orderline_order_people_update",
                        "orders_salesorder_line_people", "orders_salesorder_line_people_insert"]


def copy_people(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL_TRIGGERS:  # first: a line written meanwhile takes them
            execute(statement)
        execute("ALTER TABLE orders_orderline DISABLE TRIGGER orders_orderline_names")
        execute("ALTER TABLE orders_orderline DISABLE TRIGGER orders_orderline_order_people")
        execute(f"UPDATE orders_orderline AS line SET ({COPIES}) = (o.owner_id, o.entered_by_id, o.customer_id) "
                "FROM orders_salesorder AS o WHERE o.id = line.order_id")
        execute("ALTER TABLE orders_orderline ENABLE TRIGGER orders_orderline_order_people")
        execute("ALTER TABLE orders_orderline ENABLE TRIGGER orders_orderline_names")
    else:  # the migration holds SQLite's one write lock: no line is written before the triggers are there
        execute(f"UPDATE orders_orderline SET ({COPIES}) = (SELECT {OF_ORDER} FROM orders_salesorder AS o "
                "WHERE o.id = orders_orderline.order_id)")
        for statement in SQLITE_TRIGGERS:
            execute(statement)


def forget_people(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("DROP TRIGGER IF EXISTS orders_salesorder_line_people ON orders_salesorder")
        execute("DROP TRIGGER IF EXISTS orders_salesorder_line_people_insert ON orders_salesorder")
        execute("DROP TRIGGER IF EXISTS orders_orderline_order_people ON orders_orderline")
        execute("DROP FUNCTION IF EXISTS orders_order_gives_lines_people()")
        execute("DROP FUNCTION IF EXISTS orders_line_takes_order_people()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('masterdata', '0009_customer_name_trigram'),
        ('orders', '0035_line_order_created_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='orderline',
            name='orderline_model_idx',
        ),
        migrations.RemoveIndex(
            model_name='orderline',
            name='orderline_product_name_idx',
        ),
        migrations.AddField(
            model_name='orderline',
            name='order_customer',
            field=models.ForeignKey(db_constraint=False, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='masterdata.customer'),
        ),
        migrations.AddField(
            model_name='orderline',
            name='order_entered_by',
            field=models.ForeignKey(db_constraint=False, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='orderline',
            name='order_owner',
            field=models.ForeignKey(db_constraint=False, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(copy_people, forget_people, elidable=False),
        migrations.AddIndex(
            model_name='orderline',
            index=models.Index(fields=['model', 'order'], include=('order_created_at', 'order_owner', 'order_entered_by', 'order_customer'), name='orderline_model_idx'),
        ),
        migrations.AddIndex(
            model_name='orderline',
            index=models.Index(fields=['product_name', 'order'], include=('order_created_at', 'order_owner', 'order_entered_by', 'order_customer'), name='orderline_product_name_idx'),
        ),
    ]
