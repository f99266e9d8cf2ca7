"""The ``orderloop`` command: run, worker, demo, backup, restore, import, export, report, and every Django
management command."""
import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderloop.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(
            "usage: orderloop COMMAND [options]\n\n"
            "  run       migrate, load demo data into an empty embedded database, serve on :8000 with the worker\n"
            "  worker    run the background worker (notifications, deadlines, automatic close)\n"
            "  demo      load the demo data (--force to load into a non-empty or PostgreSQL database)\n"
            "  backup    write the database and every uploaded file to one archive (--output PATH)\n"
            "  restore   restore such an archive into a migrated database, any engine (--force to replace data)\n"
            "  import    go live: customers|products|stock|orders FILE [--user NAME] [--dry-run]; or new orders\n"
            "            from an .xlsx in the layout of register 1 (FILE --user NAME [--dry-run])\n"
            "  export    write a register as .xlsx or .csv (orders|progress|feedback --user NAME [--output PATH])\n"
            "  report    the monthly review's figures (YYYY-MM --user NAME [--json])\n"
            "  migrate, createsuperuser, shell, …   any Django management command\n"
        )
        if not args:
            return
    aliases = {"worker": "run_huey"}
    if args and args[0] in aliases:
        args[0] = aliases[args[0]]
    execute_from_command_line(["orderloop", *args])


if __name__ == "__main__":
    main()
