from django.core.management.base import BaseCommand, CommandError

from orderloop.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = ("Back up the database (every row, any engine) and every uploaded file into one archive, "
            "by default VAR_DIR/backups/orderloop-backup-YYYYMMDD-HHMMSS.tar.gz.")

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", metavar="PATH",
                            help="the archive to write (a directory: a dated archive inside it)")

    def handle(self, *args, output=None, **options):
        try:
            path, manifest = create_backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(entry["rows"] for entry in manifest["models"])
        self.stdout.write(self.style.SUCCESS(
            f"备份完成：{path}（{len(manifest['models'])} 张表，{rows} 行，{len(manifest['files'])} 个文件）"))
