"""Opening stock (期初库存): per product, by its 规格型号, and warehouse (主仓库 unless the sheet names another), the
quantity on hand. The sheet's figure is what orderloop will hold: a level not yet there is created, one that is
adjusted by the difference, each change kept as a stock adjustment (期初库存导入) with who and when; a figure equal to
what is there is skipped; a figure below what orders already hold (reserved) is refused."""
from decimal import Decimal

from django.utils.translation import gettext as _

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput
from orderloop.golive.tables import Preview, cell_decimal, template_workbook
from orderloop.masterdata.models import Product, StockAdjustment, StockLevel

NAME, MODEL, WAREHOUSE, ON_HAND = "产品/服务名称", "规格型号", "仓库", "在库数量"
COLUMNS = [MODEL, NAME, WAREHOUSE, ON_HAND]
REQUIRED = [MODEL, ON_HAND]
DEFAULT_WAREHOUSE = "主仓库"
REASON = "期初库存导入"
PLACES = Decimal("0.001")
ZERO = Decimal("0")


def template() -> bytes:
    return template_workbook(
        title=_("期初库存"), columns=COLUMNS,
        examples=[["S-001", "服务器A型", "主仓库", 12], ["SV-INSTALL", "安装调试服务", "", 0]],
        instructions=[
            (MODEL, _("必填，须为系统中已有产品的规格型号（请先导入产品）。")),
            (NAME, _("选填，仅供核对，不导入。")),
            (WAREHOUSE, _("选填，默认“主仓库”，最多 50 字。同一产品在同一仓库只能填一行。")),
            (ON_HAND, _("必填，盘点的在库数量：不小于 0，最多三位小数。导入后系统中的在库数量即为此数（按差额记一笔库存调整“期初库存导入”）；"
                        "不能少于订单已预留的数量；与系统相同的行跳过。")),
            (_("已分配给在途订单的货物"), _("不计入在库数量：已确认、备货/生产中、待发货的在途订单导入时不预留库存，发货时也不再扣减库存，"
                                     "所以只填写可用于新订单的数量（盘点数减去这些订单将发出的数量）。")),
        ],
        text_columns=(MODEL, WAREHOUSE))


def _quantity(table, row, number, problems) -> Decimal | None:
    try:
        value = cell_decimal(table.value(row, ON_HAND))
    except ValueError:
        problems.add(number, ON_HAND, _("请输入数量（数字）"))
        return None
    if value is None:
        problems.add(number, ON_HAND, _("必填"))
    elif value < 0:
        problems.add(number, ON_HAND, _("不能小于 0"))
    elif value != value.quantize(PLACES):
        problems.add(number, ON_HAND, _("最多三位小数"))
    elif value >= Decimal("1e11"):
        problems.add(number, ON_HAND, _("数量过大"))
    else:
        return value
    return None


def preview(actor, table, problems) -> Preview:
    products = {p.model: p for p in Product.objects.only("pk", "model", "name")}
    levels = {(level.product_id, level.warehouse): level for level in StockLevel.objects.all()}
    seen: dict[tuple, int] = {}
    result = Preview(items=[])
    for number, row in table.rows:
        model, warehouse = table.text(row, MODEL), table.text(row, WAREHOUSE) or DEFAULT_WAREHOUSE
        product = products.get(model)
        if not model:
            problems.add(number, MODEL, _("必填"))
        elif product is None:
            problems.add(number, MODEL, _("系统中没有该规格型号：%(model)s（请先导入产品）") % {"model": model})
        if len(warehouse) > 50:
            problems.add(number, WAREHOUSE, _("最多 %(n)s 个字") % {"n": 50})
        if model and (model, warehouse) in seen:
            problems.add(number, MODEL, _("与第%(row)s行重复：%(model)s @ %(warehouse)s") % {
                "row": seen[(model, warehouse)], "model": model, "warehouse": warehouse})
        seen.setdefault((model, warehouse), number)
        quantity = _quantity(table, row, number, problems)
        if product is None or quantity is None:
            continue
        level = levels.get((product.pk, warehouse))
        label = f"{_('第%(row)s行') % {'row': number}} {model} {product.name} @ {warehouse}: {quantity.normalize():f}"
        if level is not None and quantity < level.reserved:
            problems.add(number, ON_HAND, _("不能少于订单已预留的 %(n)s（系统中在库 %(on_hand)s）") % {
                "n": f"{level.reserved.normalize():f}", "on_hand": f"{level.on_hand.normalize():f}"})
            continue
        if quantity == (level.on_hand if level is not None else ZERO):
            result.skip.append(label)
            continue
        (result.create if level is None else result.update).append(label)
        result.items.append((product.pk, warehouse, quantity, level))
    return result


def write(actor, preview: Preview, run) -> None:
    """The levels as the sheet says, each change an adjustment. The levels changed are read again locked: what
    orders reserved since the preview is counted (a figure below it refuses the whole file)."""
    now = clock.now()
    existing = {level.pk for *_rest, level in preview.items if level is not None}
    locked = {level.pk: level for level in StockLevel.objects.select_for_update().filter(pk__in=existing).order_by("pk")}
    new, changed, adjustments = [], [], []
    for product_id, warehouse, quantity, level in preview.items:
        if level is None:
            level = StockLevel(product_id=product_id, warehouse=warehouse, on_hand=quantity)
            new.append(level)
            adjustments.append((level, quantity))
            continue
        level = locked[level.pk]
        if quantity < level.reserved:
            raise InvalidInput(_("期初库存有误"), errors={
                f"{level.product.model} @ {warehouse}": [_("不能少于订单已预留的 %(n)s") % {"n": f"{level.reserved.normalize():f}"}]})
        change = quantity - level.on_hand
        if change:
            level.on_hand = quantity
            changed.append(level)
            adjustments.append((level, change))
    StockLevel.objects.bulk_create(new, batch_size=500)
    StockLevel.objects.bulk_update(changed, ["on_hand"], batch_size=500)
    StockAdjustment.objects.bulk_create([StockAdjustment(stock=level, on_hand_change=change, reason=REASON, actor=actor, at=now)
                                         for level, change in adjustments], batch_size=500)
