"""orderloop report YYYY-MM --user USERNAME [--json]: the month's 《订单复盘报告》 figures as the review's page shows
them to USERNAME (a sales manager: their teams'; the director, the admin: the company's)."""
from django.core.management.base import BaseCommand, CommandError

from orderloop.accounts.permissions import REVIEW_READERS
from orderloop.accounts.services import active_user
from orderloop.core.exceptions import DomainError
from orderloop.reviews.api import MonthlyReportOut
from orderloop.reviews.services import monthly_report, report_month
from orderloop.reviews.documents import review_text


class Command(BaseCommand):
    help = ("The monthly review's figures for a month (YYYY-MM) as text, or as the JSON of "
            "GET /api/reports/monthly/YYYY-MM with --json, in the scope of USERNAME's review.")

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--user", "-u", required=True,
                            help="whose review: a sales manager's teams, or the company for the director or the admin")
        parser.add_argument("--json", action="store_true", help="the figures as JSON")

    def handle(self, *args, month, user, json: bool, **options):
        try:
            reader = active_user(user)
            if not reader.has_role(*REVIEW_READERS):
                raise CommandError(f"{user} 不能查看订单复盘（销售经理、销售总监和管理员可以）")
            first = report_month(month)
            data, review = monthly_report(month=first, reader=reader)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if json:
            self.stdout.write(MonthlyReportOut.model_validate(data).model_dump_json(indent=2))
        else:
            self.stdout.write(review_text(first, review, data["figures"]), ending="")
