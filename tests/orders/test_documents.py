"""Documents: 《订单确认单》 as PDF, its text readable."""
import io

from django.test import Client
from pypdf import PdfReader



def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_confirmation_pdf_holds_number_customer_lines_total_and_capitals(orders, users):
    order = orders.at("pending_stock_check")
    client = Client()
    client.force_login(users["sales_manager"])
    response = client.get(f"/orders/{order.number}/documents/confirmation.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("订单确认单", order.number, "科技有限公司", "服务器A型", "S-001", "¥5,000.00", "¥50,000.00",
                     "人民币伍万元整", "销售经理审批：sales_manager"):
        assert expected in text, expected


def test_no_confirmation_before_review_passes(orders, users):
    order = orders.received()
    client = Client()
    client.force_login(users["sales_assistant"])
    assert client.get(f"/orders/{order.ref}/documents/confirmation.pdf").status_code == 404


def test_the_internal_slip_shows_approvals_stock_and_dates(orders, users):
    from tests.support.orders import act

    order = orders.at("pending_stock_check")
    line = order.lines.get()
    act(order, "confirm_stock", users["warehouse"], lines=[{"line_id": line.pk, "availability": "needs_production",
                                                             "lead_time_days": 5}])
    client = Client()
    client.force_login(users["warehouse"])
    page = client.get(f"/orders/{order.number}/documents/internal/").content.decode()
    assert "订单内部流转单" in page and "审批通过（销售经理）" in page and "sales_manager" in page
    assert "需生产" in page and "确认库存" in page
