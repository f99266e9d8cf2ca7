from decimal import Decimal

import pytest

from orderloop.core.money import money_text, rmb_capitals


@pytest.mark.parametrize("amount, capitals", [
    ("50000.00", "人民币伍万元整"),
    ("55000", "人民币伍万伍仟元整"),
    ("1409.50", "人民币壹仟肆佰零玖元伍角"),
    ("6007.14", "人民币陆仟零柒元壹角肆分"),
    ("1680.32", "人民币壹仟陆佰捌拾元叁角贰分"),
    ("107000.53", "人民币壹拾万柒仟元伍角叁分"),
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
    ("10", "人民币壹拾元整"),
    ("1000010", "人民币壹佰万零壹拾元整"),
    ("100000000", "人民币壹亿元整"),
    ("0.05", "人民币伍分"),
    ("0", "人民币零元整"),
    ("12.345", "人民币壹拾贰元叁角伍分"),  # rounded half up, not cut
])
def test_amounts_in_capitals_follow_the_pboc_examples(amount, capitals):
    assert rmb_capitals(Decimal(amount)) == capitals


def test_amounts_with_thousands_separators():
    assert money_text(Decimal("107000.53")) == "¥107,000.53"
