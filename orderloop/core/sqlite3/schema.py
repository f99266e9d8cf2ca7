"""Django's SQLite schema editor, keeping the database's triggers through a table's rebuild.

SQLite changes most columns by rebuilding the table (Django's ``_remake_table``: a new table, the rows copied, the
old one dropped, the new one renamed). The triggers on the old table go with it, and a trigger of another table
that names it stops the rename ("error in trigger …: no such table"). The product keeps data with triggers (the
names lines were ordered under, orders migration 0034; a line's copies of its order's people, 0036): they are set
aside before a rebuild and made again after it from their own SQL, so a migration changes a model's fields without
knowing them."""
from django.db.backends.sqlite3 import schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model, create_field=None, delete_field=None, alter_fields=None):
        table = model._meta.db_table
        with self.connection.cursor() as cursor:  # on the table, or naming it (a name that merely contains it too)
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (tbl_name = %s OR sql LIKE %s)",
                           [table, f"%{table}%"])
            triggers = cursor.fetchall()
        for name, _sql in triggers:
            self.execute(f"DROP TRIGGER {self.quote_name(name)}", None)
        super()._remake_table(model, create_field=create_field, delete_field=delete_field, alter_fields=alter_fields)
        for _name, sql in triggers:
            self.execute(sql, None)
