"""The permission matrix of docs/security.md, read: its rows per section, what the placeholders of its paths
stand for in the demo data, and the moment the demo is asked for (``CRAWL_AT``). The matrix's test and the
crawls (help, languages, accessibility) share it; the ``crawl_demo`` fixture (conftest.py) loads the demo."""
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from orderloop.accounts.models import ApiToken, User
from orderloop.accounts.services import api_token_issue
from orderloop.aftersales.models import Ticket
from orderloop.masterdata.models import Customer, Product
from orderloop.orders.links import rating_token, receipt_token
from orderloop.orders.models import Attachment, SalesOrder
from tests.support.users import ROLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
# A working day in December: the admin's pages show the alert for next year's holidays (2027 is not shipped).
CRAWL_AT = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def matrix(section: str) -> list[tuple[str, str, dict[str, int]]]:
    """(method, path, {role: status}) of the table under the heading ``section``."""
    text = DOC.read_text()
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(ROLES) and cells[0] in {"GET", "POST", "PATCH"}:
            rows.append((cells[0], cells[1].strip("`"), dict(zip(ROLES, (int(c) for c in cells[2:]), strict=True))))
    return rows


def subjects() -> dict[str, str]:
    """What the placeholders of the matrix's paths stand for, in the demo data."""
    first = SalesOrder.objects.get(number="202405-001")
    second = SalesOrder.objects.get(number="202405-002")
    fresh = SalesOrder.objects.filter(status="received").order_by("created_at").first()
    return {
        "{receipt}": str(Attachment.objects.filter(order=first, kind="receipt").first().pk),
        "{ticket}": str(Ticket.objects.get(order__number="202405-003").pk),
        "{customer}": str(Customer.objects.get(name="科技有限公司").pk),
        "{product}": str(Product.objects.get(model="S-001").pk),
        "{received}": fresh.ref,
        "{receipt_token}": receipt_token(second.shipments.get(position=1)),
        "{rating_token}": rating_token(first.visit),
        "{item}": str(_action_item().pk),
        "{token}": str(_spare_token().pk),
        "{invoice}": str(_invoice(first).pk),
        "{payment}": str(_payment().pk),
        "{statement}": str(_statement().pk),
    }


def _invoice(order):
    """An invoice requested for ``order`` by its account manager (finance has yet to issue it)."""
    from orderloop.finance.invoices import invoice_request

    return invoice_request(order_id=order.pk, actor=User.objects.get(username="account_manager"), data={"kind": "special"})


def _spare_token():
    """An API token of the warehouse, besides the one each role uses for the matrix."""
    api_token_issue(username="warehouse", password="orderloop")
    return ApiToken.objects.filter(user__username="warehouse").latest("id")


def _action_item():
    from datetime import date

    from orderloop.reviews.services import action_item_add

    manager = User.objects.get(username="sales_manager")
    return action_item_add(month=date(2024, 5, 1), actor=manager, description="缩短发货准备时间",
                           owner_id=str(User.objects.get(username="warehouse").pk), due_date="2099-01-31")


def _payment():
    """A receipt (回款) of 科技有限公司 that finance recorded and has not allocated: its page offers the rest."""
    from orderloop.finance.receipts import receipt_record

    return receipt_record(customer_id=Customer.objects.get(name="科技有限公司").pk, received_on=CRAWL_AT.date(),
                          payer="科技有限公司", amount="1000.00", bank_reference="2026120200001", remark="预收款",
                          actor=User.objects.get(username="finance"))


def _statement():
    """A bank statement finance imported (one line of 科技有限公司)."""
    from orderloop.finance.bank_statements import statement_import

    content = "交易日期,对方户名,贷方金额,交易流水号,摘要\n2026-12-01,科技有限公司,500.00,2026120100002,货款\n".encode()
    return statement_import(actor=User.objects.get(username="finance"), content=content, filename="流水.csv").statement


def concrete(path: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        path = path.replace(placeholder, value)
    return path
