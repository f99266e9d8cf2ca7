"""Every PDF the product makes carries its font (a subset of Noto Sans SC), so each viewer shows the same text and
copy-paste works: checked on the files themselves, for a closed order — its number, the model "S-001" intact and the
total in capitals where the document shows them, and both parties' 签章 blocks on 《订单确认单》."""
import shutil
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from orderloop.core import clock
from orderloop.setup.models import CompanyProfile
from tests.support.pdf import page_fonts, pdf_text

MOMENT = datetime(2025, 6, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# Every PDF address of the product (urls ending in .pdf), with what its text must hold beyond the fonts.
PDFS = {
    "orders:confirmation_pdf": ("number", "model", "capitals", "parties", "signatures"),
    "orders:receipt_pdf": ("number", "model"),
    "reviews:pdf": ("company",),
    "finance:customer_statement_pdf": ("parties", "statement"),
}


def _pdf_routes(resolver=None, namespace="") -> set[str]:
    found = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= _pdf_routes(entry, inner)
        elif isinstance(entry, URLPattern) and ".pdf" in str(entry.pattern) and entry.name:
            found.add(f"{namespace}{entry.name}")
    return found


def test_the_list_of_pdfs_is_every_pdf_the_product_serves():
    assert _pdf_routes() == set(PDFS)


@pytest.fixture
def company(db):
    return CompanyProfile.objects.create(name="华东智能装备有限公司", uscc="91310000MA1FL5C15C", address="上海市浦东新区张江路88号",
                                         phone="021-5080 1234", bank_name="招商银行上海张江支行", bank_account="1219 0887 6610 001")


@pytest.fixture
def closed(orders, company):
    with clock.frozen_at(MOMENT):
        return orders.at("closed", special_requirements="")


def _documents(order, users) -> dict[str, bytes]:
    client = Client()
    client.force_login(users["sales_director"])
    paths = {"orders:confirmation_pdf": f"/orders/{order.ref}/documents/confirmation.pdf",
             "orders:receipt_pdf": f"/orders/{order.ref}/documents/receipt-1.pdf",
             "reviews:pdf": f"/reviews/{MOMENT:%Y-%m}.pdf",
             "finance:customer_statement_pdf": f"/finance/customers/{order.customer_id}/statement.pdf?from=2024-05-01&to={MOMENT:%Y-%m-%d}"}
    documents = {}
    with clock.frozen_at(MOMENT):
        for name, path in paths.items():
            response = client.get(path)
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf", name
            documents[name] = response.content
    return documents


def test_every_pdf_embeds_its_fonts_and_its_text_reads_back_intact(closed, company, users, tmp_path):
    documents = _documents(closed, users)
    assert set(documents) == set(PDFS)
    line = closed.lines.get()
    assert line.model == "S-001"
    for name, content in documents.items():
        fonts = page_fonts(content)
        assert fonts, name
        assert [font for font in fonts if not font[2]] == [], name  # every font on every page carries its file
        assert all("+NotoSansSC" in font for _, font, _ in fonts), (name, fonts)  # a subset of the vendored font
        text = pdf_text(content)
        wanted = PDFS[name]
        if "number" in wanted:
            assert closed.number in text, name
        if "model" in wanted:
            assert "S-001" in text, name
        if "capitals" in wanted:
            assert "人民币伍万元整" in text and "¥50,000.00" in text, name
        if "company" in wanted:
            assert company.name in text and "2025年6月" in text, name
        if "parties" in wanted:
            for expected in (f"供方：{company.name}", f"需方：{closed.customer.name}", company.uscc, company.address,
                             company.bank_account, closed.customer.uscc):
                assert expected in text, (name, expected)
        if "statement" in wanted:  # the order's 50,000.00 due and received: nothing owed at the end
            assert "50,000.00" in text and "期末余额（大写）：人民币零元整" in text, name
        if "signatures" in wanted:
            assert "供方签章" in text and "需方签章" in text
            for expected, times in (("单位名称：", 2), ("授权代表（签字）", 2), ("签章：", 2), ("日期：", 2)):
                assert text.count(expected) >= times, (expected, text)  # a line of each for each party
        if shutil.which("pdffonts"):  # poppler's view of the same file: every font embedded
            path = tmp_path / f"{name.replace(':', '-')}.pdf"
            path.write_bytes(content)
            rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
            assert rows and all(row.split()[-5] == "yes" for row in rows), (name, rows)
