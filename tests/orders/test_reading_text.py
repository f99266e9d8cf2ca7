"""Understanding an order's text into a draft: a mail's prose, a table read off a page with its boxes, and the
checks that catch what was misread (数量×单价=金额, the lines' sum, 大写 = 小写, unknown models, prices far off)."""
from datetime import date
from decimal import Decimal

import pytest

from orderloop.masterdata.models import Product
from orderloop.orders.reading.understanding import TextLine, capitals_value, number_read, order_understand, text_lines

TODAY = date(2024, 5, 8)


@pytest.fixture
def catalogue(product):
    Product.objects.create(name="交换机", model="N-100", unit="台", list_price=Decimal("1200.00"))
    return product


def test_a_mail_in_prose_becomes_lines_with_quantity_and_price(customer, catalogue):
    read = order_understand(text_lines(
        "您好，科技有限公司采购如下：\n服务器A型 S-001 10台 单价5000；交换机 N-100 数量：4 单价：1,200.00元\n"
        "联系人：李*  电话 138-0000-1111\n请于5月25日前交付到北京市海淀区路1号。\n付款方式：月结30天"), today=TODAY)
    assert read.customer.value == customer
    assert [(line.model.value, line.quantity.value, line.unit_price.value) for line in read.lines] == [
        ("S-001", 10, 5000), ("N-100", 4, Decimal("1200.00"))]
    assert (read.contact_name.value, read.contact_phone.value) == ("李*", "+8613800001111")
    assert read.requested_date.value == date(2024, 5, 25) and read.delivery_address.value == "北京市海淀区路1号"
    assert read.payment_terms.value == "月结30天" and read.flags() == []
    draft = read.draft()
    assert draft["customer_id"] == customer.pk and [line["quantity"] for line in draft["lines"]] == ["10", "4"]


def test_an_unknown_model_and_a_price_far_off_are_flagged(customer, catalogue):
    read = order_understand(text_lines("S-001 × 2 @3000\nX-999 5台 单价100"), today=TODAY, customer=customer)
    assert [line.model.value for line in read.lines] == ["S-001", "X-999"]
    assert any("标准单价 5,000.00" in flag for flag in read.lines[0].unit_price.flags)
    assert read.lines[1].model.flags == ["未知型号「X-999」"] and read.lines[1].model.uncertain
    assert [line["product_id"] for line in read.draft()["lines"]] == [catalogue.pk]  # the unknown one is for a person


def test_a_delivery_date_before_the_order_date_is_flagged_and_left_for_a_person(customer, catalogue):
    read = order_understand(text_lines("科技有限公司\n下单日期：2024年5月10日\n交货日期：2024年5月5日\nS-001 10台 单价5000"),
                            today=TODAY)
    assert read.requested_date.uncertain
    assert read.requested_date.flags == ["交付日期 2024-05-05 早于下单日期 2024-05-10，请与客户核对"]
    assert "requested_date" not in read.draft()


def _box(x, y, width=120, height=30):
    return [[x, y], [x + width, y], [x + width, y + height], [x, y + height]]


def _page(cells, confidence=0.99):
    return [TextLine(text, confidence, _box(x, y)) for text, x, y in cells]


def test_a_table_read_off_a_page_keeps_each_fields_box_and_checks_the_sums(customer, catalogue):
    page = _page([
        ("采购订单", 500, 40), ("采购方：科技有限公司", 80, 120), ("订单日期：2024年5月8日", 700, 120),
        ("序号", 80, 200), ("产品名称", 200, 200), ("规格型号", 380, 200), ("单位", 520, 200), ("数量", 640, 200),
        ("单价（元）", 760, 200), ("金额（元）", 900, 200),
        ("1", 80, 250), ("服务器A型", 200, 250), ("S-001", 380, 250), ("台", 520, 250), ("10", 640, 250),
        ("5,000.00", 760, 250), ("50,000.00", 900, 250),
        ("2", 80, 300), ("交换机", 200, 300), ("N-100", 380, 300), ("台", 520, 300), ("4", 640, 300),
        ("1,200.00", 760, 300), ("4.800.00", 900, 300),
        ("合计", 80, 350), ("54,800.00", 900, 350),
        ("合计金额（大写）：人民币伍万肆仟捌佰元整", 80, 400),
    ])
    read = order_understand(page, today=TODAY)
    assert read.customer.value == customer and read.order_date.value == date(2024, 5, 8)
    assert [(l.model.value, l.quantity.value, l.unit_price.value, l.amount.value) for l in read.lines] == [
        ("S-001", 10, 5000, 50000), ("N-100", 4, 1200, 4800)]
    assert read.lines[0].quantity.box == _box(640, 250) and not read.lines[0].quantity.uncertain
    assert read.lines[1].amount.uncertain  # 4.800.00: two decimal points, read as 4800.00 but shown to a person
    assert (read.total.value, read.total_capitals.value) == (Decimal("54800.00"), Decimal("54800.00"))
    assert not read.total.flags


def test_a_sure_misreading_is_caught_by_the_arithmetic(customer, catalogue):
    page = _page([
        ("采购方：科技有限公司", 80, 120),
        ("产品名称", 200, 200), ("规格型号", 380, 200), ("数量", 640, 200), ("单价", 760, 200), ("金额", 900, 200),
        ("服务器A型", 200, 250), ("S-001", 380, 250), ("10", 640, 250), ("5,000.00", 760, 250), ("50,000.00", 900, 250),
        ("合计：", 80, 350), ("56,000.00", 900, 350), ("大写：人民币伍万元整", 80, 400),
    ], confidence=0.97)
    read = order_understand(page, today=TODAY)
    assert read.total.value == Decimal("56000.00") and read.total.uncertain
    assert any("各行金额合计 50,000.00" in flag for flag in read.total.flags)
    assert any("大写金额 50,000.00 与小写 56,000.00 不符" in flag for flag in read.flags())


def test_a_skewed_page_still_has_its_rows(customer, catalogue):
    slope = 0.07  # 4°
    cells = [("规格型号", 380, 200), ("数量", 640, 200), ("单价", 760, 200),
             ("S-001", 380, 250), ("10", 640, 250), ("5000", 760, 250),
             ("N-100", 380, 300), ("4", 640, 300), ("1200", 760, 300)]
    page = []
    for text, x, y in cells:
        box = [[px, py + px * slope] for px, py in _box(x, y)]
        page.append(TextLine(text, 0.99, box))
    read = order_understand(page, today=TODAY, customer=customer)
    assert [(l.model.value, l.quantity.value, l.unit_price.value) for l in read.lines] == [("S-001", 10, 5000), ("N-100", 4, 1200)]


@pytest.mark.parametrize("text, value", [
    ("人民币伍万元整", "50000.00"), ("壹拾万零叁佰元伍角", "100300.50"), ("捌万叁仟贰佰陆拾元整", "83260.00"),
    ("壹亿贰仟万元整", "120000000.00"), ("零元伍角陆分", "0.56"), ("叁佰元零捌分", "300.08"), ("hello", None)])
def test_amounts_in_capitals_are_read(text, value):
    assert capitals_value(text) == (Decimal(value) if value else None)


def test_capitals_agree_with_how_orderloop_writes_them():
    from orderloop.core.money import rmb_capitals
    for amount in ("0.01", "10.10", "1409.50", "100300.50", "83260.00", "1000000.07", "123456789.12"):
        assert capitals_value(rmb_capitals(Decimal(amount))) == Decimal(amount)


@pytest.mark.parametrize("text, value, doubtful", [
    ("¥5,000.00", "5000.00", False), ("5000", "5000", False), ("83.260.00", "83260.00", True),
    ("5000,00", "5000.00", True), ("50,00,0", "50000", True)])
def test_numbers_as_printed(text, value, doubtful):
    assert number_read(text) == (Decimal(value), doubtful)
