"""Purchase orders on paper, made by the tests themselves: a 采购订单 drawn with a CJK font in one of several layouts
(bordered table, borderless, letterhead, handwritten-style figures, a red stamp over the table), then photographed:
rotated, blurred, noisy, unevenly lit, at 150–300 dpi, as JPEG or PNG images or as a multi-page PDF. Each carries
the truth it prints, for a test to compare what was read against."""
import io
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from orderloop.core.money import amount_text, rmb_capitals

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
LAYOUTS = ("bordered", "borderless", "letterhead", "handwritten", "stamped")


@dataclass
class PaperOrder:
    customer: str
    phone: str
    contact: str
    order_date: date
    lines: list  # (name, model, unit, quantity, unit price)
    payment_terms: str = "月结30天"
    address: str = "北京市海淀区路1号"
    requested_date: date | None = None
    layout: str = "bordered"
    extra_pages: int = 0  # blank-ish terms pages after the order (a multi-page PDF)
    uscc: str = ""

    @property
    def total(self) -> Decimal:
        return sum((Decimal(q) * Decimal(p) for _n, _m, _u, q, p in self.lines), Decimal("0.00"))


@dataclass
class Photo:
    dpi: int = 200
    angle: float = 0.0
    blur: float = 0.0
    noise: int = 0
    shade: bool = False
    seed: int = 0
    extras: dict = field(default_factory=dict)


def _font(size):
    return ImageFont.truetype(FONT, size)


def page_drawn(order: PaperOrder, *, dpi: int = 200) -> Image.Image:
    """The order printed on an A4 page at ``dpi``."""
    scale = dpi / 200
    width, height = int(1654 * scale), int(2339 * scale)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    px = lambda v: int(v * scale)  # noqa: E731 - positions are given at 200 dpi
    text_font, title_font, small = _font(px(30)), _font(px(56)), _font(px(26))
    top = px(120)
    if order.layout == "letterhead":
        draw.text((px(110), top), order.customer, font=_font(px(44)), fill=(20, 40, 120))
        draw.text((px(110), top + px(64)), f"地址：{order.address}  电话：{order.phone}", font=small, fill=(20, 40, 120))
        draw.line((px(110), top + px(110), width - px(110), top + px(110)), fill=(20, 40, 120), width=px(4))
        top += px(150)
    draw.text((width // 2 - px(112), top), "采购订单", font=title_font, fill="black")
    top += px(110)
    header = [f"采购方：{order.customer}", f"订单日期：{order.order_date.year}年{order.order_date.month}月{order.order_date.day}日",
              f"联系人：{order.contact}", f"联系电话：{order.phone}", "供应商：华东智能设备有限公司"]
    if order.uscc:
        header.append(f"统一社会信用代码：{order.uscc}")
    for index, text in enumerate(header):
        draw.text((px(110) + (index % 2) * px(760), top + (index // 2) * px(56)), text, font=text_font, fill="black")
    top += ((len(header) + 1) // 2) * px(56) + px(40)
    columns = [("序号", 110), ("产品名称", 210), ("规格型号", 520), ("单位", 760), ("数量", 880), ("单价（元）", 1040), ("金额（元）", 1300)]
    row_height = px(64)
    rows = [[str(i + 1), name, model, unit, str(quantity), amount_text(price), amount_text(Decimal(quantity) * Decimal(price))]
            for i, (name, model, unit, quantity, price) in enumerate(order.lines)]
    figure_font = text_font
    for index, row in enumerate([[c for c, _x in columns]] + rows):
        y = top + index * row_height
        for column, (text, (_name, x)) in enumerate(zip(row, columns)):
            if order.layout == "handwritten" and index > 0 and column >= 4:
                _handwritten(draw, (px(x + 10), y + px(14)), text, size=px(32), seed=index * 10 + column)
            else:
                draw.text((px(x + 10), y + px(16)), text, font=figure_font, fill="black")
    bottom = top + (len(rows) + 1) * row_height
    if order.layout in ("bordered", "stamped", "letterhead"):
        for index in range(len(rows) + 3):
            draw.line((px(110), top + index * row_height, px(1540), top + index * row_height), fill="black", width=px(2))
        for _name, x in columns + [("", 1540)]:
            draw.line((px(x), top, px(x), bottom + row_height), fill="black", width=px(2))
    elif order.layout in ("borderless", "handwritten"):
        draw.line((px(110), top + row_height - px(4), px(1540), top + row_height - px(4)), fill="black", width=px(2))
    draw.text((px(120), bottom + px(16)), "合计", font=text_font, fill="black")
    draw.text((px(1310), bottom + px(16)), amount_text(order.total), font=text_font, fill="black")
    y = bottom + row_height + px(40)
    for text in (f"合计金额（大写）：{rmb_capitals(order.total)}", f"付款方式：{order.payment_terms}",
                 f"交货地址：{order.address}",
                 f"交货日期：{order.requested_date.year}年{order.requested_date.month}月{order.requested_date.day}日"
                 if order.requested_date else ""):
        if text:
            draw.text((px(110), y), text, font=text_font, fill="black")
            y += px(58)
    draw.text((px(1000), y + px(80)), "采购方（盖章）：", font=text_font, fill="black")
    if order.layout == "stamped":
        _stamp(page, (px(1180), top + px(40)), radius=px(150), name=order.customer)
    else:
        _stamp(page, (px(1300), y + px(60)), radius=px(120), name=order.customer)
    return page


def _handwritten(draw, at, text, *, size, seed):
    """Figures as a hand writes them: each a little larger or smaller, raised or lowered, leaning."""
    rng = random.Random(seed)
    x, y = at
    for char in text:
        font = _font(size + rng.randint(-3, 4))
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size // 3, size // 3), char, font=font, fill=255)
        glyph = glyph.rotate(rng.uniform(-8, 8), resample=Image.BICUBIC)
        draw.bitmap((x - size // 3, y - size // 3 + rng.randint(-3, 3)), glyph, fill=(30, 30, 90))
        x += int(font.getlength(char)) + rng.randint(0, 2)


def _stamp(page: Image.Image, centre, *, radius: int, name: str):
    """A round red company seal, half transparent, printed over whatever is there."""
    layer = Image.new("RGBA", page.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    x, y = centre
    red = (215, 30, 35, 170)
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=red, width=max(4, radius // 18))
    star = _font(radius // 2)
    draw.text((x - radius // 4, y - radius // 4), "★", font=star, fill=red)
    label = _font(max(12, radius // 5))
    draw.text((x - radius * 3 // 4, y + radius // 3), (name + "合同专用章")[:9], font=label, fill=red)
    page.paste(Image.alpha_composite(page.convert("RGBA"), layer).convert("RGB"))


def photographed(page: Image.Image, photo: Photo) -> Image.Image:
    """The page as a scanner or a phone gives it back: turned, blurred, noisy, unevenly lit."""
    rng = random.Random(photo.seed)
    if photo.angle:
        page = page.rotate(photo.angle, resample=Image.BICUBIC, expand=True, fillcolor=(235, 235, 230))
    if photo.shade:
        shade = Image.linear_gradient("L").resize(page.size).rotate(rng.choice((0, 90, 180, 270)))
        dark = Image.new("RGB", page.size, (120, 115, 105))
        page = Image.composite(page, dark, shade.point(lambda v: 140 + v * 115 // 255))
    if photo.blur:
        page = page.filter(ImageFilter.GaussianBlur(photo.blur))
    if photo.noise:
        noise = Image.effect_noise(page.size, photo.noise).convert("RGB")
        page = Image.blend(page, noise, 0.12)
    return page


def image_bytes(image: Image.Image, *, kind="JPEG", dpi=200, exif_rotated=False) -> bytes:
    """The image as a file. ``exif_rotated``: stored on its side with an EXIF orientation saying so, as phones do."""
    out = io.BytesIO()
    if exif_rotated:
        exif = Image.Exif()
        exif[0x0112] = 6  # the viewer turns it 90° clockwise to show it upright
        image.transpose(Image.Transpose.ROTATE_90).save(out, format=kind, dpi=(dpi, dpi), quality=88, exif=exif)
    else:
        image.save(out, format=kind, dpi=(dpi, dpi), **({"quality": 88} if kind == "JPEG" else {}))
    return out.getvalue()


def pdf_bytes(pages: list[Image.Image], *, dpi=200) -> bytes:
    out = io.BytesIO()
    pages[0].save(out, format="PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def terms_page(*, dpi=200) -> Image.Image:
    """A second page as buyers attach it: their general terms."""
    scale = dpi / 200
    page = Image.new("RGB", (int(1654 * scale), int(2339 * scale)), "white")
    draw = ImageDraw.Draw(page)
    for index, text in enumerate(("采购通用条款", "一、供方应按约定时间交货。", "二、货物验收合格后付款。", "三、争议协商解决。")):
        draw.text((int(110 * scale), int((150 + index * 70) * scale)), text, font=_font(int(30 * scale)), fill="black")
    return page


# ---- the test set: 30 purchase orders, 5 layouts, photographed in as many ways ---------------------------------

CUSTOMERS = [  # (name, contact, phone, USCC)
    ("科技有限公司", "李*", "13800001111", ""), ("星河贸易有限公司", "王*", "13912345678", ""),
    ("远航机械制造有限公司", "赵*", "13700002222", ""), ("东方电子科技有限公司", "陈*", "02155667788", ""),
    ("青松建材有限公司", "刘*", "13566667777", ""), ("蓝海物流有限公司", "孙*", "13811112222", ""),
]
PRODUCTS = [  # (name, model, unit, list price)
    ("服务器A型", "S-001", "台", "5000.00"), ("服务器B型", "S-002", "台", "8000.00"), ("交换机", "N-100", "台", "1200.00"),
    ("安装服务", "SV-01", "次", "800.00"), ("机柜", "C-200", "个", "3000.00"), ("光模块", "OM-10G", "个", "350.00"),
]


@dataclass
class Case:
    """One order of the test set: what is printed, how it was photographed, and the file it arrives as."""
    number: int
    order: PaperOrder
    photo: Photo
    kind: str  # "jpeg", "png", "jpeg-exif" or "pdf"

    def file(self) -> tuple[bytes, str]:
        page = photographed(page_drawn(self.order, dpi=self.photo.dpi), self.photo)
        if self.kind == "pdf":
            return pdf_bytes([page] + [terms_page(dpi=self.photo.dpi)] * self.order.extra_pages, dpi=self.photo.dpi), "application/pdf"
        if self.kind == "png":
            return image_bytes(page, kind="PNG", dpi=self.photo.dpi), "image/png"
        return image_bytes(page, dpi=self.photo.dpi, exif_rotated=self.kind == "jpeg-exif"), "image/jpeg"


def purchase_orders(count: int = 30) -> list[Case]:
    """``count`` orders (the first ``count`` of the same 30), each layout in turn; 150–300 dpi, turned up to 5°
    either way, blurred, noisy and shaded in turn; every sixth a two-page PDF, some phone photos stored on their side."""
    cases = []
    for number in range(count):
        rng = random.Random(1000 + number)
        name, contact, phone, uscc = CUSTOMERS[number % len(CUSTOMERS)]
        lines = []
        for product_name, model, unit, price in rng.sample(PRODUCTS, 1 + number % 3):
            quantity = rng.choice((1, 2, 3, 5, 8, 10, 12, 20, 50))
            unit_price = (Decimal(price) * Decimal(rng.choice(("1", "1", "0.95", "0.9", "1.05")))).quantize(Decimal("0.01"))
            lines.append((product_name, model, unit, quantity, str(unit_price)))
        order = PaperOrder(customer=name, contact=contact, phone=phone, uscc=uscc,
                           order_date=date(2024, 1 + number % 12, 1 + (number * 7) % 28), lines=lines,
                           requested_date=date(2024, 1 + number % 12, 1 + (number * 7) % 28).replace(year=2025),
                           layout=LAYOUTS[number % len(LAYOUTS)], extra_pages=1 if number % 6 == 5 else 0)
        photo = Photo(dpi=(150, 200, 250, 300)[number % 4], angle=round(rng.uniform(-5, 5), 1),
                      blur=(0, 0.8, 1.2)[number % 3], noise=(0, 20, 35)[(number // 3) % 3], shade=number % 4 == 3,
                      seed=number)
        kind = "pdf" if number % 6 == 5 else ("jpeg-exif" if number % 6 == 2 else ("png" if number % 6 == 4 else "jpeg"))
        cases.append(Case(number + 1, order, photo, kind))
    return cases


def key_fields_checked(case: Case, read) -> list[tuple[str, object, object, bool]]:
    """(field, printed, read, flagged) for each key field of ``case``: customer, phone, order date, total, and each
    line's model, quantity and unit price. Flagged: the read field is uncertain or takes part in a disagreement."""
    from orderloop.core.phones import phone_e164

    order = case.order
    checked = [("customer", order.customer, read.customer.value.name if read.customer.found else None,
                read.customer.uncertain or not read.customer.found),
               ("phone", phone_e164(order.phone), read.contact_phone.value, read.contact_phone.uncertain or not read.contact_phone.found),
               ("date", order.order_date, read.order_date.value, read.order_date.uncertain or not read.order_date.found),
               ("total", order.total, read.total.value, read.total.uncertain or not read.total.found)]
    any_line_flag = any(f.flags for line in read.lines for f in line.fields().values()) or len(read.lines) != len(order.lines)
    for index, (_name, model, _unit, quantity, price) in enumerate(order.lines):
        line = read.lines[index] if index < len(read.lines) else None
        for attribute, printed in (("model", model), ("quantity", Decimal(quantity)), ("unit_price", Decimal(price))):
            field_read = getattr(line, attribute) if line else None
            value = field_read.value if field_read is not None else None
            flagged = field_read is None or not field_read.found or field_read.uncertain or any_line_flag or bool(read.total.flags)
            checked.append((f"line {index + 1} {attribute}", printed, value, flagged))
    return checked


def set_catalogue():
    """The set's customers and products as master data (``understanding.Catalogue``), without a database."""
    from types import SimpleNamespace

    from orderloop.orders.reading.understanding import Catalogue

    class Contacts(list):
        def all(self):
            return self

    customers = [SimpleNamespace(pk=i, name=name, uscc=uscc, contacts=Contacts([SimpleNamespace(name=contact, phone=phone)]))
                 for i, (name, contact, phone, uscc) in enumerate(CUSTOMERS, 1)]
    products = [SimpleNamespace(pk=i, name=name, model=model, unit=unit, list_price=Decimal(price))
                for i, (name, model, unit, price) in enumerate(PRODUCTS, 1)]
    return Catalogue(products, customers)
