"""Reading a paper order with the OCR engine on this machine: a phone photo (turned on its side by EXIF, skewed,
blurred, noisy, unevenly lit, a red stamp over the prices) and a two-page PDF scan read into the right draft; with
the engine off, nothing is read and the reason is plain."""
from datetime import date
from decimal import Decimal

import pytest

from orderloop.masterdata.models import Product
from orderloop.orders.reading.engine import document_read, engine_available
from orderloop.orders.reading.understanding import order_understand
from tests.support.ci import IN_CI
from tests.support.paper import PaperOrder, Photo, image_bytes, page_drawn, pdf_bytes, photographed, terms_page

pytestmark = pytest.mark.slow
TODAY = date(2024, 5, 8)


@pytest.fixture
def catalogue(product):
    Product.objects.create(name="交换机", model="N-100", unit="台", list_price=Decimal("1200.00"))


def _order(layout):
    return PaperOrder(customer="科技有限公司", phone="13800001111", contact="李*", order_date=date(2024, 5, 8),
                      lines=[("服务器A型", "S-001", "台", 10, "5000.00"), ("交换机", "N-100", "台", 4, "1200.00")],
                      requested_date=date(2024, 5, 25), layout=layout)


def _key_fields(read):
    return (read.customer.value.name if read.customer.found else None, read.contact_phone.value, read.order_date.value,
            [(l.model.value, l.quantity.value, l.unit_price.value) for l in read.lines], read.total.value)


EXPECTED = ("科技有限公司", "+8613800001111", date(2024, 5, 8), [("S-001", 10, 5000), ("N-100", 4, 1200)], Decimal("54800.00"))


def test_a_phone_photo_with_a_stamp_over_the_prices_is_read(settings, customer, catalogue):
    if not engine_available() and not IN_CI:  # in CI a missing engine fails the test
        pytest.skip("the OCR engine (rapidocr, onnxruntime) is not installed: make install brings it")
    photo = photographed(page_drawn(_order("stamped"), dpi=200), Photo(angle=3, blur=1.0, noise=30, shade=True, seed=1))
    progress = []
    pages = document_read(image_bytes(photo, exif_rotated=True), "image/jpeg", progress=lambda done, of: progress.append((done, of)))
    assert progress == [(1, 1)] and pages[0].png.startswith(b"\x89PNG")
    read = order_understand([line for page in pages for line in page.lines], today=TODAY)
    assert _key_fields(read) == EXPECTED
    assert read.total_capitals.value == Decimal("54800.00") and read.flags() == []
    assert read.lines[0].quantity.box is not None  # what the confirming page outlines on the image


def test_a_two_page_pdf_scan_is_read_page_by_page(settings, customer, catalogue):
    if not engine_available() and not IN_CI:  # in CI a missing engine fails the test
        pytest.skip("the OCR engine (rapidocr, onnxruntime) is not installed: make install brings it")
    scan = pdf_bytes([photographed(page_drawn(_order("borderless"), dpi=150), Photo(angle=-2, seed=2)),
                      terms_page(dpi=150)], dpi=150)
    pages = document_read(scan, "application/pdf")
    assert [page.number for page in pages] == [1, 2]
    read = order_understand([line for page in pages for line in page.lines], today=TODAY)
    assert _key_fields(read) == EXPECTED


def test_with_the_engine_off_nothing_is_read(settings):
    settings.ORDERLOOP_OCR = False
    assert engine_available() is False
