import os
import socket
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orderloop.setup.demo import PASSWORD as DEMO_PASSWORD, USERS as DEMO_USERS, database_is_empty, load_demo


class Command(BaseCommand):
    help = "Migrate, load demo data into an empty embedded database, then serve with the worker."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("ORDERLOOP_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--no-worker", action="store_true", help="serve without the background worker")
        parser.add_argument("--no-demo", action="store_true",
                            help="leave an empty database empty: the first page then creates the administrator")

    def handle(self, *args, bind, web_workers, no_worker, no_demo, **options):
        # What it and the processes it starts create (the database, uploads, mail, the queue) is this user's alone.
        os.umask(0o077)
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        settings.VAR_DIR.chmod(0o700)
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        call_command("migrate", interactive=False, verbosity=0)
        if pending:
            self.stdout.write(f"Database migrated ({len(pending)} migrations applied)")
        if connection.vendor == "sqlite" and not no_demo and database_is_empty():
            load_demo()
            logins = ", ".join(username for username, *_ in DEMO_USERS)
            self.stdout.write(f"Empty embedded database: demo data loaded. Log in as {logins}; password {DEMO_PASSWORD}")
        if settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
            self.stdout.write(f"E-mails the app sends are written to {settings.EMAIL_FILE_PATH} until a mail server is set "
                              "(EMAIL_BACKEND)")
        # the address it serves at: links sent before anyone signs in (the worker's first e-mails) open there
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "orderloop.config.settings", "ORDERLOOP_SERVED_AT": served_at(bind)}
        processes = []
        if not no_worker:  # the worker's warnings and errors; each task it runs only with ORDERLOOP_WORKER_LOG_LEVEL=INFO
            worker_env = {"ORDERLOOP_WORKER_LOG_LEVEL": "WARNING", **env}
            processes.append(subprocess.Popen([sys.executable, "-m", "orderloop.cli", "worker"], env=worker_env))
        processes.append(subprocess.Popen(  # one line per request; the address is told below
            [sys.executable, "-m", "gunicorn", "orderloop.config.wsgi:application", "--bind", bind,
             "--workers", str(web_workers), "--access-logfile", "-", "--log-level", "warning"], env=env))
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


def served_at(bind: str) -> str:
    """``http://host:port`` of a gunicorn ``--bind``; every address (0.0.0.0) is this machine's name."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = socket.getfqdn()
    return f"http://{host}:{port}" if port else f"http://{bind}"
