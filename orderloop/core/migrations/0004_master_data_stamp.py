"""The master data's stamp (MasterDataStamp): one row, renewed by triggers in every transaction that changes what
the order filters' pickers list — a customer or product inserted, changed or deleted; a user inserted or deleted,
or their username, name, team or activity changed (not their last sign-in); their roles (groups); a team's manager.

Each change gives a stamp never given before, so a value kept under a stamp that a rolled-back change (or savepoint)
wrote is never found again. PostgreSQL: the next number of a sequence of its own (sequences are not rolled back),
by statement (an import of thousands of customers in a few statements renews it a few times). SQLite: a random
64-bit number, by row. Without a column list (UPDATE OF …), which would tie the columns to
the trigger (see orders 0034), except for the users' row trigger, which passes over an update that leaves the
listed columns as they were.

On SQLite a table's rebuild keeps them (core/sqlite3/schema.py); tests/orders/test_pickers_kept.py fails if a
change stops showing."""
from django.db import migrations, models

# Every change of these tables renews the stamp.
TABLES = ["masterdata_customer", "masterdata_product", "accounts_team", "accounts_user_groups", "auth_group"]
USER_COLUMNS = ["username", "display_name", "team_id", "is_active"]  # a user's columns the pickers show or filter by

RENEW_POSTGRESQL = "UPDATE core_masterdatastamp SET stamp = nextval('core_master_data_stamps') WHERE id = 1"
RENEW_SQLITE = "UPDATE core_masterdatastamp SET stamp = random() WHERE id = 1"


def postgresql_statements() -> list[str]:
    unchanged = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in USER_COLUMNS)
    statements = [
        "CREATE SEQUENCE core_master_data_stamps",
        f"""CREATE FUNCTION core_master_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {RENEW_POSTGRESQL};
            RETURN NULL;
        END $$""",
        f"""CREATE FUNCTION core_master_data_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {unchanged} THEN
                RETURN NULL;
            END IF;
            {RENEW_POSTGRESQL};
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER core_master_data_stamp AFTER INSERT OR DELETE ON accounts_user
            FOR EACH STATEMENT EXECUTE FUNCTION core_master_data_changed()""",
        """CREATE TRIGGER core_master_data_stamp_update AFTER UPDATE ON accounts_user
            FOR EACH ROW EXECUTE FUNCTION core_master_data_user_changed()""",
    ]
    return statements + [f"""CREATE TRIGGER core_master_data_stamp AFTER INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION core_master_data_changed()""" for table in TABLES]


def sqlite_statements() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in USER_COLUMNS)
    statements = [f"CREATE TRIGGER core_master_data_stamp_{table}_{op.lower()} AFTER {op} ON {table} "
                  f"BEGIN {RENEW_SQLITE}; END" for table in TABLES for op in ("INSERT", "UPDATE", "DELETE")]
    return statements + [
        f"CREATE TRIGGER core_master_data_stamp_accounts_user_{op.lower()} AFTER {op} ON accounts_user "
        f"BEGIN {RENEW_SQLITE}; END" for op in ("INSERT", "DELETE")] + [
        f"CREATE TRIGGER core_master_data_stamp_accounts_user_update AFTER UPDATE ON accounts_user "
        f"WHEN {changed} BEGIN {RENEW_SQLITE}; END"]


def stamp_on_change(apps, schema_editor):
    apps.get_model("core", "MasterDataStamp").objects.create(id=1, stamp=0)  # the sequence starts at 1
    for statement in (postgresql_statements() if schema_editor.connection.vendor == "postgresql"
                      else sqlite_statements()):
        schema_editor.execute(statement)


def stamp_no_more(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES + ["accounts_user"]:
            execute(f"DROP TRIGGER IF EXISTS core_master_data_stamp ON {table}")
        execute("DROP TRIGGER IF EXISTS core_master_data_stamp_update ON accounts_user")
        execute("DROP FUNCTION IF EXISTS core_master_data_changed()")
        execute("DROP FUNCTION IF EXISTS core_master_data_user_changed()")
        execute("DROP SEQUENCE IF EXISTS core_master_data_stamps")
    else:
        for table in TABLES + ["accounts_user"]:
            for op in ("insert", "update", "delete"):
                execute(f"DROP TRIGGER IF EXISTS core_master_data_stamp_{table}_{op}")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_calendar_year'),
        ('accounts', '0006_session_with_its_user'),
        ('masterdata', '0009_customer_name_trigram'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='MasterDataStamp',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stamp', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name': '基础数据版本',
                'verbose_name_plural': '基础数据版本',
            },
        ),
        migrations.RunPython(stamp_on_change, stamp_no_more, elidable=False),
    ]
