"""The order page's 产品/服务 rows ({% order_lines %}, orders/templatetags/order_page.py) are what the template's loop
drew: the same bytes for every kind of line, in both languages."""
from datetime import date
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from orderloop.orders.models import OrderLine

# The rows as orders/order_detail.html drew them before the tag, node by node.
LOOP = """{% load i18n calendar_marks money %}{% for line in lines %}
      <tr{% if line.part > 1 %} data-part="{{ line.part }}"{% endif %}><td>{{ line.position }}</td><td>{{ line.product_name }}{% if line.part > 1 %} <span class="part-mark">{% blocktranslate with n=line.part %}第 {{ n }} 部分（追加）{% endblocktranslate %}</span>{% endif %}</td><td>{{ line.model }}</td>
        <td class="num">{{ line.quantity.normalize }} {{ line.unit }}{% if line.short_closed_quantity %}<br><span class="hint">{% translate "短交关闭" %} {{ line.short_closed_quantity.normalize }}：{{ line.short_close_reason }}</span>{% endif %}</td><td class="num">{{ line.unit_price|amount }}</td><td class="num">{{ line.amount|amount }}</td>
        <td>{{ line.get_availability_display|default:"—" }}</td><td>{{ line.feasible_date|date:"Y-m-d"|default:"—" }}{{ line.feasible_date|estimated_mark }}</td><td>{{ line.agreed_date|date:"Y-m-d"|default:"—" }}</td></tr>
    {% endfor %}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_lines_are_drawn_as_the_template_s_loop_drew_them(db, language):
    lines = [
        OrderLine(position=1, product_name="服务器A型", model="S-001", unit="台", quantity=Decimal("10.000"),
                  unit_price=Decimal("12500.00"), amount=Decimal("125000.00"), availability="in_stock",
                  feasible_date=date(2030, 5, 20), agreed_date=date(2030, 5, 22)),
        OrderLine(position=2, product_name='<b>"配件" & \'线缆\'</b>', model="C-<2>", unit="根", quantity=Decimal("0.500"),
                  unit_price=Decimal("0.10"), amount=Decimal("0.05"), availability="", part=2,
                  short_closed_quantity=Decimal("2.000"), short_close_reason="客户同意少交<2>台"),
        OrderLine(position=3, product_name="定制机柜", model="", unit="套", quantity=Decimal("1E+1"),
                  unit_price=Decimal("1234567.89"), amount=Decimal("12345678.90"), availability="needs_production",
                  feasible_date=date(2099, 1, 5), part=3),
    ]
    with translation.override(language):
        before = engines["django"].from_string(LOOP).render({"lines": lines})
        after = engines["django"].from_string("{% load order_page %}{% order_lines lines %}").render({"lines": lines})
    assert after == before
    assert 'data-part="2"' in after and "&lt;b&gt;&quot;配件&quot; &amp; &#x27;线缆&#x27;&lt;/b&gt;" in after
    assert 'class="hint estimated"' in after  # 2099 is not on the published calendar
