"""Products from the company's product list: 规格型号 is the key — a model not yet in orderloop is created, one
that is there is updated where the sheet says otherwise, and skipped where it says the same. A blank optional cell
(单位, 成本价, 在售) keeps an existing product's value and gives a new one the default (台, 0, 在售)."""
from decimal import Decimal

from django.utils.translation import gettext as _

from orderloop.core.audit import audit_entry, audit_record, diff, snapshot
from orderloop.core.models import AuditEntry
from orderloop.core.pinyin import pinyin_initials
from orderloop.golive.tables import Preview, cell_decimal, template_workbook
from orderloop.masterdata.models import Product

COLUMNS = ["产品/服务名称", "规格型号", "单位", "单价(元)", "成本价(元)", "在售"]
REQUIRED = ["产品/服务名称", "规格型号", "单价(元)"]
FIELDS = ("name", "model", "unit", "list_price", "cost_price", "is_active")
YES, NO = {"是", "在售", "y", "yes", "1", "true"}, {"否", "停售", "停用", "n", "no", "0", "false"}
PLACES = Decimal("0.01")
DEFAULTS = {"unit": "台", "cost_price": Decimal("0.00"), "is_active": True}  # of a new product, for a blank cell
HEADERS = {"name": "产品/服务名称", "model": "规格型号", "unit": "单位", "list_price": "单价(元)", "cost_price": "成本价(元)",
           "is_active": "在售"}


def _shown(value) -> str:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def template() -> bytes:
    return template_workbook(
        title=_("产品"), columns=COLUMNS,
        examples=[["服务器A型", "S-001", "台", 5000, 3800, "是"], ["安装调试服务", "SV-INSTALL", "次", 800, "", "是"]],
        instructions=[
            ("产品/服务名称", _("必填，最多 200 字。")),
            ("规格型号", _("必填，产品的唯一标识；系统中已有的型号按本表更新，没有的新建。")),
            ("单位", _("选填；新产品留空为“台”。")),
            ("单价(元)", _("必填，含税标准单价，不小于 0，最多两位小数。")),
            ("成本价(元)", _("选填；新产品留空按 0，数据质量页会列出没有成本价的产品。")),
            ("在售", _("选填：是 / 否；新产品留空为“是”。停售的产品不能再下新订单。")),
            (_("空白单元格"), _("系统中已有的型号：留空的单位、成本价、在售保持系统中的值不变。")),
        ],
        text_columns=("规格型号",), money_columns=("单价(元)", "成本价(元)"))


def _money(table, row, header, problems, number, *, required=False):
    try:
        value = cell_decimal(table.value(row, header))
    except ValueError:
        problems.add(number, header, _("请输入金额（数字）"))
        return None
    if value is None:
        if required:
            problems.add(number, header, _("必填"))
        return None
    if value < 0:
        problems.add(number, header, _("不能小于 0"))
    elif value != value.quantize(PLACES):
        problems.add(number, header, _("最多两位小数"))
    elif value >= Decimal("1e12"):
        problems.add(number, header, _("金额过大"))
    else:
        return value.quantize(PLACES)
    return None


def preview(actor, table, problems) -> Preview:
    existing = {p.model: p for p in Product.objects.all()}
    seen: dict[str, int] = {}
    result = Preview(items=[])
    for number, row in table.rows:
        name, model, unit = table.text(row, "产品/服务名称"), table.text(row, "规格型号"), table.text(row, "单位")
        for header, value, limit in (("产品/服务名称", name, 200), ("规格型号", model, 100), ("单位", unit, 20)):
            if not value and header in REQUIRED:
                problems.add(number, header, _("必填"))
            elif len(value) > limit:
                problems.add(number, header, _("最多 %(n)s 个字") % {"n": limit})
        if model in seen:
            problems.add(number, "规格型号", _("与第%(row)s行的规格型号重复：%(model)s") % {"row": seen[model], "model": model})
        seen.setdefault(model, number)
        list_price = _money(table, row, "单价(元)", problems, number, required=True)
        cost_price = _money(table, row, "成本价(元)", problems, number)
        on_sale = table.text(row, "在售").lower()
        if on_sale and on_sale not in YES | NO:
            problems.add(number, "在售", _("请填写“是”或“否”"))
        values = {"name": name, "model": model, "list_price": list_price}
        given = {"unit": unit or None, "cost_price": cost_price, "is_active": (on_sale in YES) if on_sale else None}
        values.update({f: value for f, value in given.items() if value is not None})  # a blank cell: not given
        product = existing.get(model)
        label = f"{_('第%(row)s行') % {'row': number}} {model} {name}"
        if product is None:
            values = {**DEFAULTS, **values}
            result.create.append(label)
        elif all(getattr(product, f) == v for f, v in values.items()):
            result.skip.append(label)
            continue
        else:
            changes = [f"{HEADERS[f]} {_shown(getattr(product, f))} → {_shown(values[f])}" for f in FIELDS
                       if f in values and getattr(product, f) != values[f]]
            result.update.append(f"{label}：{'；'.join(changes)}")
        result.items.append((product, values))
    return result


def write(actor, preview: Preview, run) -> None:
    new = []
    for product, values in preview.items:
        if product is None:
            new.append(Product(**values, initials=pinyin_initials(values["name"])))
            continue
        before = snapshot(product, FIELDS)
        for name, value in values.items():
            setattr(product, name, value)
        product.save()
        audit_record(actor=actor, obj=product, operation="imported", changes=diff(before, snapshot(product, FIELDS)))
    Product.objects.bulk_create(new, batch_size=500)
    AuditEntry.objects.bulk_create([
        audit_entry(actor=actor, obj=product, operation="imported", changes=diff({}, snapshot(product, FIELDS)))
        for product in new], batch_size=500)
