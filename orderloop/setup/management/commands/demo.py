from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from orderloop.setup.demo import database_is_empty, load_demo


class Command(BaseCommand):
    help = "Load the demo data: one user per role (password orderloop), the seed's customers, products and orders."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="load even into PostgreSQL or a database that has data")

    def handle(self, *args, force, **options):
        if not force and (connection.vendor != "sqlite" or not database_is_empty()):
            raise CommandError("The database is not an empty embedded one; use --force to load the demo data anyway.")
        load_demo()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Users: sales_assistant, sales_manager, … password orderloop"))
