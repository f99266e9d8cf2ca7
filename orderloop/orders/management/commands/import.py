"""orderloop import FILE --user USERNAME [--dry-run]: orders from an .xlsx in the layout of register 1, as the
web's 批量导入 takes them (orders/importing.py): every bad cell named by row and column, nothing imported if any."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orderloop.accounts.services import active_user
from orderloop.core.exceptions import DomainError
from orderloop.orders.importing import orders_import


def error_lines(message: str, errors: dict) -> str:
    """A refusal as lines: the message, then each place (第3行 数量(H)) with its messages."""
    return "\n".join([message, *(f"  {place}: {'；'.join(messages)}" for place, messages in errors.items())])


class Command(BaseCommand):
    help = ("Import orders from an .xlsx in the layout of 销售订单基本信息表 (register 1), as USERNAME (a sales "
            "assistant or account manager). Any bad cell: every one listed by row and column, nothing imported, exit 1.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument("--user", "-u", required=True, help="the username the orders are taken in by")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")

    def handle(self, *args, file, user, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        try:
            result = orders_import(actor=active_user(user), content=path.read_bytes(), dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(error_lines(exc.message, exc.errors)) from exc
        if result.errors:
            raise CommandError(error_lines(f"文件有误，未导入任何订单（{len(result.errors)} 处）：", result.errors))
        refs = "、".join(order.ref for order in result.created)
        if dry_run:
            self.stdout.write(f"检查通过（试运行，未写入）：可导入 {len(result.created)} 个订单")
        else:
            self.stdout.write(self.style.SUCCESS(f"已导入 {len(result.created)} 个订单：{refs}"))
