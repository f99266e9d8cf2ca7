"""orderloop export REGISTER --user USERNAME [--format xlsx|csv] [--output PATH] [filters]: one of the seed's
registers as on its page (/registers/REGISTER/), with the orders USERNAME may see and the page's filters."""
import shlex
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orderloop.accounts.services import active_user
from orderloop.core.audit import download_record
from orderloop.core.dates import parse_date
from orderloop.core.exceptions import DomainError
from orderloop.orders.registers import REGISTERS, SEED_REGISTERS, RegisterFilters, register_export


def _date(value: str):
    try:
        return parse_date(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = ("Export a register (orders: 销售订单基本信息表, progress: 订单跟进进度表, feedback: 客户反馈与售后记录表) "
            "as .xlsx or .csv, with the rows USERNAME sees on the register's page; to a file, or to standard output "
            "with --output - (the default for .csv).")

    def add_arguments(self, parser):
        parser.add_argument("register", choices=SEED_REGISTERS)
        parser.add_argument("--user", "-u", required=True, help="whose rows: the orders this user may see")
        parser.add_argument("--format", "-f", choices=("xlsx", "csv"), help="default: from the output's suffix, else csv")
        parser.add_argument("--output", "-o", default="-", help="the file to write; - for standard output (default)")
        parser.add_argument("--q", help="search, as the page's 搜索")
        parser.add_argument("--status", action="append", default=[], help="an order state (code); may repeat")
        parser.add_argument("--customer-id", type=int, help="the customer's id")
        parser.add_argument("--owner", help="the orders' 销售负责人, by username")
        parser.add_argument("--from", dest="date_from", type=_date, help="from this date (included)")
        parser.add_argument("--to", dest="date_to", type=_date, help="to this date (included)")

    def handle(self, *args, register, user, format, output, q, status, customer_id, owner, date_from, date_to, **options):
        fmt = format or (Path(output).suffix.lstrip(".").lower() if output != "-" else "") or "csv"
        if fmt not in ("xlsx", "csv"):
            raise CommandError(f"无法从文件名判断格式，请用 --format xlsx 或 csv：{output}")
        try:
            actor = active_user(user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        reg = REGISTERS[register]
        filters = RegisterFilters(q=q, status=tuple(status), customer_id=customer_id, owner=owner,
                                  date_from=date_from, date_to=date_to)
        out, count = register_export(reg, fmt, reg.records_filtered(actor, filters), actor)
        with out:
            content = out.read()
        if output == "-":
            stream = getattr(self.stdout._out, "buffer", None)
            if stream is not None:
                stream.write(content)
                stream.flush()
            elif fmt == "csv":  # a text stream (call_command's): the text itself
                self.stdout.write(content.decode("utf-8-sig"), ending="")
            else:
                raise CommandError("标准输出不能写入 .xlsx，请用 --output 指定文件")
        else:
            Path(output).write_bytes(content)
        download_record(None, what=f"{reg.title}.{fmt}", rows=count, actor=actor,
                        path=shlex.join(["orderloop", "export", *sys.argv[2:]]) if sys.argv[1:2] == ["export"]
                        else f"orderloop export {register}")
        if output != "-":
            self.stderr.write(f"已导出 {count} 行到 {output}")
