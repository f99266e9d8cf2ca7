from django.core.management.base import BaseCommand, CommandError

from orderloop.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = ("Restore an archive written by `orderloop backup` into a migrated database (SQLite or PostgreSQL): "
            "all rows in one transaction, keys as they were, then the uploaded files.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive (orderloop-backup-….tar.gz)")
        parser.add_argument("--force", action="store_true",
                            help="replace the data of a non-empty database (its rows, audit log included, are deleted)")

    def handle(self, *args, path, force, **options):
        try:
            manifest = restore_backup(path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"恢复完成：{manifest['restored_rows']} 行，{len(manifest['files'])} 个文件"
            f"（备份于 {manifest['created_at']}，来自 {manifest.get('database_vendor', '?')}）。"
            "所有用户需重新登录。"))
