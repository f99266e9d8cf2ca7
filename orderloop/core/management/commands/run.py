import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from orderloop.demo import database_is_empty, load_demo


class Command(BaseCommand):
    help = "Migrate, load demo data into an empty embedded database, then serve with the worker."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("ORDERLOOP_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--no-worker", action="store_true", help="serve without the background worker")
        parser.add_argument("--no-demo", action="store_true",
                            help="leave an empty database empty: the first page then creates the administrator")

    def handle(self, *args, bind, web_workers, no_worker, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=1)
        if connection.vendor == "sqlite" and not no_demo and database_is_empty():
            self.stdout.write("Empty embedded database: loading the demo data (password for every user: orderloop)")
            load_demo()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orderloop.config.settings"}
        processes = []
        if not no_worker:
            processes.append(subprocess.Popen([sys.executable, "-m", "orderloop.cli", "worker"], env=env))
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "orderloop.config.wsgi:application", "--bind", bind,
             "--workers", str(web_workers), "--access-logfile", "-"], env=env))
        self.stdout.write(f"orderloop is serving on http://{bind}/ (data in {settings.VAR_DIR}); Ctrl-C stops it")

        def stop(*_):
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(process.poll() is None for process in processes):
                try:
                    processes[-1].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for process in processes:
                process.wait()
