"""A bank statement (银行流水) imported as receipts (issue #24, done-when 5): 200 lines in one transaction, a malformed
line reported by row and column with nothing imported, lines already recorded skipped, exact matches suggested and
allocated once finance confirms them; the usual Chinese bank headings, .xlsx and .csv (UTF-8 or GBK)."""
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput
from orderloop.finance import bank_statements
from orderloop.finance.models import Allocation, Instalment, Receipt, StatementImport
from orderloop.finance.receipts import receipt_record
from orderloop.finance.bank_statements import statement_confirm, statement_import, statement_suggestions
from tests.support.customers import make_customer

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HEADER = ["交易日期", "对方户名", "贷方金额", "交易流水号", "摘要"]


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


def workbook(rows, header=HEADER, preamble=()) -> bytes:
    book = Workbook()
    sheet = book.active
    for line in preamble:  # a bank's export: its account first
        sheet.append(line)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def lines(count, payer="科技有限公司", start=0):
    """``count`` statement lines of ``payer``, amounts that match no instalment (100.01, 101.01, …)."""
    return [[date(2026, 2, 1 + n % 28), payer, Decimal("100.01") + n, f"SN{start + n:06d}", f"货款{n}"]
            for n in range(count)]


@pytest.fixture
def deposits(orders):
    """Three confirmed orders of 科技有限公司 whose 30 % deposit (15,000.00 each) is open."""
    return [Instalment.objects.get(order=orders.at("confirmed", deposit_paid=False), number=1) for _n in range(3)]


def test_two_hundred_lines_import_in_one_transaction_with_exact_matches_suggested_and_confirmed(users, deposits):
    rows = lines(197)
    rows[10][2] = rows[50][2] = rows[120][2] = 15000  # three deposits paid, as numbers the way a bank writes them
    rows += [[date(2026, 3, 2), "科技有限公司", "35,000.00", "SN-BAL", "尾款"],  # the balance of one order
             ["2026-03-01 14:22:05", "科技", "¥200.00", "SN-SHORT", ""],  # a short name: the one customer containing it
             ["2026/03/01", "科技有限公司", None, "SN-OUT", "支出"]]  # a payment out (empty credit): skipped
    result = statement_import(actor=users["finance"], content=workbook(rows, preamble=[["账号", "6222****"], []]),
                              filename="招商银行流水.xlsx")
    assert len(result.receipts) == 199 and Receipt.objects.filter(source="statement").count() == 199
    assert result.skipped == [{"row": 203, "bank_reference": "SN-OUT", "reason": "不是收款（金额为空、为零或为支出）"}]
    statement = StatementImport.objects.get()
    assert (statement.lines, statement.filename) == (199, "招商银行流水.xlsx")
    assert Receipt.objects.get(bank_reference="SN-SHORT").payer == "科技"
    assert Receipt.objects.get(bank_reference="SN000000").received_on == date(2026, 2, 1)

    suggestions = {s.receipt.bank_reference: s for s in statement_suggestions(statement)}
    offered = [s for s in suggestions.values() if s.candidates]
    assert sorted(s.receipt.bank_reference for s in offered) == ["SN-BAL", "SN000010", "SN000050", "SN000120"]
    chosen = [suggestions[ref].chosen for ref in ("SN000010", "SN000050", "SN000120")]
    assert sorted(chosen) == sorted(d.pk for d in deposits)  # each deposit offered to one receipt
    assert suggestions["SN-BAL"].candidates[0].instalment.amount == Decimal("35000.00")

    picks = [(s.receipt.pk, s.chosen) for s in offered]
    assert statement_confirm(actor=users["finance"], statement_id=statement.pk, picks=picks) == 4
    for deposit in deposits:
        deposit.refresh_from_db()
        assert deposit.received == Decimal("15000.00") and not deposit.is_open
    assert Allocation.objects.count() == 4
    assert [s for s in statement_suggestions(statement) if s.candidates] == []  # nothing more to suggest


def test_a_malformed_line_150_leaves_zero_receipts(users, customer):
    rows = lines(200)
    rows[149][2] = "12,3a4"
    with pytest.raises(InvalidInput) as refused:
        statement_import(actor=users["finance"], content=workbook(rows), filename="流水.xlsx")
    assert refused.value.errors == {"第151行「贷方金额」": ["第151行「贷方金额」不是数字"]}
    assert "第151行「贷方金额」不是数字" in refused.value.message
    assert Receipt.objects.count() == 0 and StatementImport.objects.count() == 0


def test_a_failure_while_writing_line_150_leaves_zero_receipts(users, customer, monkeypatch):
    recorded = []

    def failing(**kwargs):
        if len(recorded) == 149:
            raise RuntimeError("the database went away")
        recorded.append(receipt_record(**kwargs))
        return recorded[-1]

    monkeypatch.setattr(bank_statements, "receipt_record", failing)
    with pytest.raises(RuntimeError):
        statement_import(actor=users["finance"], content=workbook(lines(200)), filename="流水.xlsx")
    assert len(recorded) == 149
    assert Receipt.objects.count() == 0 and StatementImport.objects.count() == 0


def test_every_malformed_line_is_named_by_row_and_column(users, customer):
    make_customer("华东科技有限公司", owner=users["account_manager"], uscc="91110108MA01A1B2C3")
    rows = [["2026-02-30", "科技有限公司", "1.00", "A1", ""],
            ["2026-03-01", "", "1.005", "A2", ""],
            ["2026-03-01", "不认识的公司", "1.00", "", ""],
            ["2026-03-01", "科技", "1.00", "A1", ""],  # two customers contain 科技
            ["2027-01-01", "科技有限公司", "-", "A5", ""]]
    with pytest.raises(InvalidInput) as refused:
        statement_import(actor=users["finance"], content=workbook(rows, header=["到账日期", "付款方", "金额", "流水号", "备注"]))
    assert refused.value.errors == {
        "第2行「到账日期」": ["第2行「到账日期」不是日期（应为 YYYY-MM-DD）"],
        "第3行「金额」": ["第3行「金额」最多两位小数（到分）"],
        "第3行「付款方」": ["第3行「付款方」为空"],
        "第4行「付款方」": ["第4行付款方「不认识的公司」不是已知客户"],
        "第4行「流水号」": ["第4行「流水号」为空"],
        "第5行「付款方」": ["第5行付款方「科技」对应多个客户（华东科技有限公司、科技有限公司），请在客户资料中使用与银行户名一致的全称"],
        "第5行「流水号」": ["第5行「流水号」与第2行重复"],
        "第6行「金额」": ["第6行「金额」为空"],
        "第6行「到账日期」": ["第6行「到账日期」晚于今天"],
    }
    assert Receipt.objects.count() == 0


def test_a_missing_column_is_named(users, customer):
    with pytest.raises(InvalidInput) as refused:
        statement_import(actor=users["finance"], content=workbook(lines(1), header=["交易日期", "对方户名", "贷方金额", "备注"]))
    assert refused.value.errors == {"表头": ["第1行表头缺少「流水号」列（可用的列名：流水号、交易流水号、银行流水号、交易流水、流水号码、交易参考号）"]}


def test_lines_already_recorded_are_skipped_and_reported(users, customer):
    receipt_record(customer_id=customer.pk, received_on=date(2026, 2, 1), payer="科技有限公司", amount="100.01",
                   bank_reference="SN000000", actor=users["finance"])
    first = statement_import(actor=users["finance"], content=workbook(lines(3)), filename="a.xlsx")
    assert len(first.receipts) == 2
    assert first.skipped == [{"row": 2, "bank_reference": "SN000000", "reason": "流水号已登记过回款"}]
    again = statement_import(actor=users["finance"], content=workbook(lines(3)), filename="a.xlsx")
    assert again.receipts == [] and [s["row"] for s in again.skipped] == [2, 3, 4]
    assert Receipt.objects.count() == 3


def test_a_csv_in_gbk_with_a_signed_amount_column(users, customer):
    text = "交易时间,付款人名称,金额,银行流水号,用途\n2026-03-01 09:00,科技有限公司,\"1,200.50\",=\"00123\",货款\n" \
           "2026-03-01 10:00,科技有限公司,-300.00,00124,退款\n"
    result = statement_import(actor=users["finance"], content=text.encode("gbk"), filename="流水.csv")
    (receipt,) = result.receipts
    assert (receipt.amount, receipt.bank_reference, receipt.remark) == (Decimal("1200.50"), "00123", "货款")
    assert [s["row"] for s in result.skipped] == [3]


def test_full_width_headings_with_units_and_colons_are_the_usual_columns(users, customer):
    header = ["交易日期：", "对方户名\u3000", "贷方金额（元）", "交易流水号", "摘要"]
    result = statement_import(actor=users["finance"], content=workbook(lines(2), header=header), filename="流水.xlsx")
    assert [(r.payer, r.amount, r.bank_reference) for r in result.receipts] == [
        ("科技有限公司", Decimal("100.01"), "SN000000"), ("科技有限公司", Decimal("101.01"), "SN000001")]


def test_files_that_are_no_statement_are_refused(users, customer):
    for content, message in ((b"\xd0\xcf\x11\xe0rest", "不支持 .xls 文件"), (b"", "文件是空的"),
                             (b"PK\x03\x04broken", "不是有效的 .xlsx 文件")):
        with pytest.raises(InvalidInput, match=message):
            statement_import(actor=users["finance"], content=content, filename="x.xlsx")


def test_the_import_pages(client, users, deposits):
    client.force_login(users["finance"])
    assert "交易流水号" in client.get("/finance/statements/import/").content.decode()
    bad = lines(3)
    bad[1][2] = "abc"
    response = client.post("/finance/statements/import/", {"file": SimpleUploadedFile("流水.xlsx", workbook(bad))})
    page = response.content.decode()
    assert response.status_code == 422 and "第3行「贷方金额」不是数字" in page and "文件有误，未导入任何一行" in page
    good = lines(3)
    good[0][2] = "15000.00"
    response = client.post("/finance/statements/import/", {"file": SimpleUploadedFile("流水.xlsx", workbook(good))})
    statement = StatementImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/statements/{statement.pk}/"
    page = client.get(response["Location"]).content.decode()
    receipt = Receipt.objects.get(bank_reference="SN000000")
    assert "已导入 3 笔回款，跳过 0 行" in page
    match = f'name="match" value="{receipt.pk}:{deposits[0].pk}" checked'
    assert match in page and page.count('name="match"') == 3  # three deposits match its 15,000.00; the first ticked
    response = client.post(f"/finance/statements/{statement.pk}/confirm/", {"match": f"{receipt.pk}:{deposits[0].pk}"})
    assert response.status_code == 302
    assert "已确认 1 笔核销" in client.get(response["Location"]).content.decode()
    deposits[0].refresh_from_db()
    assert not deposits[0].is_open
    response = client.post(f"/finance/statements/{statement.pk}/confirm/", {"match": f"{receipt.pk}:{deposits[1].pk}"})
    assert response.status_code == 422  # the receipt has nothing left
    assert "流水号 SN000000：核销有误：核销合计 15,000.00 元超过该笔回款未核销的 0.00 元" in response.content.decode()
    client.force_login(users["sales_manager"])
    assert client.get(f"/finance/statements/{statement.pk}/").status_code == 403
