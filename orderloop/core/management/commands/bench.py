"""``orderloop bench SUBCOMMAND``: benchmark tooling. ``seed`` fills the database with realistic data."""
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Benchmark tools. Subcommands: seed (fill the database with N realistic orders)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        seed = sub.add_parser("seed", help="add N orders over several years, with their history (bulk inserts / COPY)")
        seed.add_argument("--orders", type=int, required=True, help="how many orders to add")
        seed.add_argument("--years", type=float, default=4.0, help="spread them over this many years up to now")
        seed.add_argument("--seed", type=int, default=20240501, help="random seed (same seed, same data)")
        seed.add_argument("--batch", type=int, default=10_000, help="orders written per transaction")

    def handle(self, *args, subcommand, **options):
        handler = getattr(self, f"handle_{subcommand}", None)
        if handler is None:
            raise CommandError(f"unknown subcommand {subcommand}")
        return handler(**options)

    def handle_seed(self, *, orders, years, seed, batch, **options):
        from orderloop.core.benchseed import seed as run_seed

        if orders < 1:
            raise CommandError("--orders must be at least 1")
        result = run_seed(orders=orders, years=years, seed=seed, batch=batch,
                          out=lambda line: (self.stdout.write(line), self.stdout.flush()))
        rows = ", ".join(f"{label.split('.')[-1]} {n:,}" for label, n in result["rows"].items())
        self.stdout.write(self.style.SUCCESS(
            f"seeded {result['orders']:,} orders in {result['seconds']:.1f}s ({result['orders_per_second']:.0f} orders/s); "
            f"rows: {rows}"))
