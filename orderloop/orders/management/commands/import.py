"""orderloop import customers|products|stock|orders FILE [--user NAME] [--dry-run]: going live from the company's
sheets (orderloop/golive), as the web's 数据导入 does it: every problem named by row and column, nothing imported
if any. orderloop import FILE --user NAME [--dry-run]: new orders from an .xlsx in the layout of register 1, as
the web's 批量导入 takes them into review (orders/importing.py)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orderloop.accounts.models import User
from orderloop.accounts.permissions import GO_LIVE_IMPORTERS
from orderloop.accounts.services import active_user
from orderloop.core.exceptions import DomainError
from orderloop.golive.kinds import KINDS
from orderloop.golive.models import ImportRun
from orderloop.golive.services import import_file
from orderloop.orders.importing import orders_import


def error_lines(message: str, errors: dict) -> str:
    """A refusal as lines: the message, then each place (第3行 数量(H)) with its messages."""
    return "\n".join([message, *(f"  {place}: {'；'.join(messages)}" for place, messages in errors.items())])


def _administrator(username: str | None) -> User:
    if username:
        return active_user(username)
    admin = next((u for u in User.objects.filter(is_active=True).order_by("pk") if u.has_role(*GO_LIVE_IMPORTERS)), None)
    if admin is None:
        raise CommandError("没有系统管理员账号：请先创建（orderloop createsuperuser），或用 --user 指定")
    return admin


class Command(BaseCommand):
    help = ("Go live: import customers, products, opening stock or orders in flight from an .xlsx or .csv "
            f"({'|'.join(KINDS)} FILE), as USERNAME (an administrator; default: the first one). Or import new orders "
            "from an .xlsx in the layout of 销售订单基本信息表 (FILE --user USERNAME, a sales assistant or account "
            "manager). Any bad cell: every one listed by row and column, nothing imported, exit 1.")

    def add_arguments(self, parser):
        parser.add_argument("what", nargs="+", metavar="[KIND] FILE",
                            help=f"KIND: {', '.join(KINDS)} (go-live); without it, new orders in register 1's layout")
        parser.add_argument("--user", "-u", help="the username the import is done as")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")

    def handle(self, *args, what, user, dry_run, **options):
        if len(what) > 2 or (len(what) == 2 and what[0] not in KINDS):
            raise CommandError(f"用法：orderloop import [{'|'.join(KINDS)}] FILE")
        kind, file = (what[0], what[1]) if len(what) == 2 else (None, what[0])
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        if kind is None:
            self._register_1(path, user, dry_run)
            return
        actor = _administrator(user)
        try:
            outcome = import_file(actor=actor, kind=kind, content=path.read_bytes(), filename=path.name, dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(error_lines(exc.message, exc.errors)) from exc
        summary = outcome.summary() if not isinstance(outcome, ImportRun) else outcome.summary
        if summary["errors"]:
            raise CommandError(error_lines(f"文件有误，未导入任何内容（{len(summary['errors'])} 处）：", summary["errors"]))
        for note in summary["notes"]:
            self.stdout.write(f"请核对：{note}")
        counts = f"新建 {summary['create']}，更新 {summary['update']}，跳过 {summary['skip']}"
        if dry_run:
            self.stdout.write(f"检查通过（试运行，未写入）：将{counts}")
        else:
            self.stdout.write(self.style.SUCCESS(f"已导入（{actor.username}）：{counts}"))

    def _register_1(self, path: Path, user: str | None, dry_run: bool) -> None:
        if not user:
            raise CommandError("导入新订单须用 --user 指定录入人（销售助理或客户经理）")
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
