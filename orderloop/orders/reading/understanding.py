"""Understanding an order's text into a draft. The text comes as lines, each with its confidence (1.0 for typed
text) and, from an OCR engine, its box on the page image; a mail's body is the same with neither. Out comes a
``ReadOrder``: the customer (matched to master data by USCC, name or a contact's phone), contact, phone, order
date, lines (product matched by model, else by name; quantity, unit, unit price, amount), total and the amount
in capitals, payment terms, delivery address and date, special requirements. Each ``Read`` field keeps its
confidence, its box and its flags; a field is *uncertain* below ``CONFIDENT`` or when flagged. The arithmetic is
checked (数量×单价=金额, the lines add up to the total, 大写 = 小写), and an unknown model or a price far from the
list price is flagged: a misread digit the engine is sure of still shows. Nothing here writes to the database."""
import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from orderloop.core.money import amount_text, yuan
from orderloop.core.phones import phone_e164
from orderloop.masterdata.payment_terms import term_for_text

CONFIDENT = 0.90  # an engine's confidence below this makes a field uncertain
PRICE_GAP = Decimal("0.20")  # a unit price more than 20 % from the list price is flagged
CAPITAL_DIGITS = {"零": 0, "〇": 0, "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6, "陸": 6,
                  "柒": 7, "捌": 8, "玖": 9}
CAPITAL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}
CAPITAL_GROUPS = {"万": 10 ** 4, "萬": 10 ** 4, "亿": 10 ** 8, "億": 10 ** 8}
UNITS = "台|套|个|件|只|把|块|张|箱|包|卷|米|吨|千克|公斤|次|项|年|月|组|批|条|根|瓶|桶|支|盒|份"
NUMBER = r"[¥￥]?\s*\d[\d,，.]*"
LABEL_END = r"\s*[:：]?\s*"
BUYER = ("采购方", "采购单位", "买方", "甲方", "购货单位", "订货单位", "客户名称", "客户", "需方", "购买方")
SELLER = ("供应商", "供货单位", "卖方", "乙方", "供方", "销售方")
COLUMNS = {  # header words of an order table, by the field each column holds
    "model": ("规格型号", "型号规格", "型号", "规格", "货号"),
    "name": ("产品名称", "商品名称", "货物名称", "品名", "名称", "产品", "物料名称"),
    "unit": ("单位",),
    "quantity": ("数量",),
    "unit_price": ("单价",),
    "amount": ("金额", "小计"),
}
TABLE_ENDS = ("合计", "总计", "大写", "总金额", "付款", "交货", "交付", "备注")
DATE = re.compile(r"(?:(\d{4})\s*[年./-]\s*)?(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?")
PHONE = re.compile(r"(?<!\d)(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?!\d)")
USCC = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])")
MODEL_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,6}-?\d{1,6}[A-Za-z0-9-]*(?![A-Za-z0-9])")


@dataclass
class TextLine:
    """One piece of text as read: its words, the engine's confidence, and its box (four (x, y) corners on the page
    image, clockwise from the top left; None for typed text)."""
    text: str
    confidence: float = 1.0
    box: list | None = None
    page: int = 1


@dataclass
class Read:
    """One field as read: its value (None when not found), the text it came from, confidence, box and flags."""
    value: object = None
    text: str = ""
    confidence: float = 1.0
    box: list | None = None
    page: int = 1
    flags: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.value not in (None, "")

    @property
    def uncertain(self) -> bool:
        return self.found and (self.confidence < CONFIDENT or bool(self.flags))


@dataclass
class ReadLine:
    product: Read = field(default_factory=Read)  # value: the Product, or None for a model not in master data
    model: Read = field(default_factory=Read)
    name: Read = field(default_factory=Read)
    unit: Read = field(default_factory=Read)
    quantity: Read = field(default_factory=Read)
    unit_price: Read = field(default_factory=Read)
    amount: Read = field(default_factory=Read)

    def fields(self) -> dict[str, Read]:
        return {"model": self.model, "name": self.name, "unit": self.unit, "quantity": self.quantity,
                "unit_price": self.unit_price, "amount": self.amount}


@dataclass
class ReadOrder:
    customer: Read = field(default_factory=Read)  # value: the Customer
    customer_name: Read = field(default_factory=Read)
    contact_name: Read = field(default_factory=Read)
    contact_phone: Read = field(default_factory=Read)
    order_date: Read = field(default_factory=Read)
    lines: list[ReadLine] = field(default_factory=list)
    total: Read = field(default_factory=Read)
    total_capitals: Read = field(default_factory=Read)
    payment_terms: Read = field(default_factory=Read)
    delivery_address: Read = field(default_factory=Read)
    requested_date: Read = field(default_factory=Read)
    special_requirements: Read = field(default_factory=Read)
    problems: list[str] = field(default_factory=list)  # disagreements of the order as a whole

    def fields(self) -> dict[str, Read]:
        """Every field read, by name (lines as ``lines.N.model``…, N from 1)."""
        named = {name: getattr(self, name) for name in (
            "customer_name", "contact_name", "contact_phone", "order_date", "total", "total_capitals", "payment_terms",
            "delivery_address", "requested_date", "special_requirements")}
        for position, line in enumerate(self.lines, 1):
            named |= {f"lines.{position}.{name}": read for name, read in line.fields().items()}
        return named

    def flags(self) -> list[str]:
        """What the reviewer must look at: the order's problems, then each field's flags, each once."""
        seen = list(self.problems)
        for read in self.fields().values():
            seen += [flag for flag in read.flags if flag not in seen]
        return seen

    def draft(self) -> dict:
        """The fields of an intake (``DraftCreate``) that were found: the lines with a known product, quantity and
        price; a phone only when it is a valid number; a delivery date only when it is not before the order date."""
        data: dict = {}
        if self.customer.found:
            data["customer_id"] = self.customer.value.pk
        for name in ("contact_name", "payment_terms", "delivery_address", "special_requirements"):
            if getattr(self, name).found:
                data[name] = str(getattr(self, name).value)
        if "payment_terms" in data and (term := term_for_text(data["payment_terms"])) is not None:
            data["payment_terms"] = term.name  # 30%预付，余款到付 as printed: the company's term of that name
        if self.contact_phone.found:
            data["contact_phone"] = self.contact_phone.value
        if self.order_date.found:
            data["order_date"] = self.order_date.value
        if self.requested_date.found and not (self.order_date.found and self.requested_date.value < self.order_date.value):
            data["requested_date"] = self.requested_date.value
        data["lines"] = [{"product_id": line.product.value.pk, "quantity": str(line.quantity.value),
                          **({"unit_price": str(line.unit_price.value)} if line.unit_price.found else {})}
                         for line in self.lines if line.product.found and line.quantity.found]
        return data


def text_lines(text: str) -> list[TextLine]:
    """A typed text (a mail's body) as lines to understand: each non-empty line, fully confident, with no box."""
    return [TextLine(line.strip()) for line in (text or "").splitlines() if line.strip()]


# ---- numbers, amounts in capitals, dates --------------------------------------------------------------------

def number_read(text: str) -> tuple[Decimal | None, bool]:
    """(value, doubtful) of a number as printed: ``¥5,000.00``, ``5000``, ``5，000``. A figure whose separators
    cannot all be right (``83.260.00``: two decimal points) is read by its last point and called doubtful."""
    raw = re.sub(r"[¥￥\s]", "", text).replace("，", ",").rstrip(".,")
    if not raw or not raw[0].isdigit():
        return None, False
    doubtful = False
    if raw.count(".") > 1:
        whole, _dot, fraction = raw.rpartition(".")
        raw, doubtful = whole.replace(".", "") + "." + fraction, True
    if "," in raw:
        whole, _dot, fraction = raw.partition(".")
        groups = whole.split(",")
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            doubtful = True
        if not fraction and len(groups[-1]) == 2:  # 5000,00: a comma for the decimal point
            raw, doubtful = "".join(groups[:-1]) + "." + groups[-1], True
        else:
            raw = "".join(groups) + ("." + fraction if fraction else "")
    try:
        return Decimal(raw), doubtful
    except InvalidOperation:
        return None, False


def capitals_value(text: str) -> Decimal | None:
    """The amount an amount in capitals says (``人民币伍万元整`` → 50000.00), or None if it is not one."""
    chars = "".join(ch for ch in text if ch in CAPITAL_DIGITS or ch in CAPITAL_UNITS or ch in CAPITAL_GROUPS
                    or ch in "元圆角分整正")
    if not chars or not any(ch in CAPITAL_DIGITS for ch in chars):
        return None
    whole_text, mark, fraction_text = chars.partition("元") if "元" in chars else chars.partition("圆")
    if not mark:
        whole_text, fraction_text = "", chars
    total = section = digit = 0
    for ch in whole_text:
        if ch in CAPITAL_DIGITS:
            digit = CAPITAL_DIGITS[ch]
        elif ch in CAPITAL_UNITS:
            section += (digit or 1) * CAPITAL_UNITS[ch]
            digit = 0
        elif ch in CAPITAL_GROUPS:
            if CAPITAL_GROUPS[ch] == 10 ** 8:
                total = (total + section + digit) * 10 ** 8
                section = 0
            else:
                section = (section + digit) * 10 ** 4
            digit = 0
    value = Decimal(total + section + digit)
    digit = None
    for ch in fraction_text:
        if ch in CAPITAL_DIGITS:
            digit = CAPITAL_DIGITS[ch]
        elif ch == "角" and digit is not None:
            value += Decimal(digit) / 10
            digit = None
        elif ch == "分" and digit is not None:
            value += Decimal(digit) / 100
            digit = None
    return yuan(value)


def date_read(text: str, *, year: int) -> date | None:
    match = DATE.search(text)
    if not match:
        return None
    try:
        return date(int(match.group(1) or year), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


# ---- the page as rows ---------------------------------------------------------------------------------------

@dataclass
class Cell:
    text: str
    confidence: float
    box: list | None
    page: int
    x: float  # centre, along the (deskewed) row
    y: float


HEADER_WORDS = sorted({word for words in COLUMNS.values() for word in words} | {"序号", "单位"}, key=len, reverse=True)


def _header_split(token: str) -> list[str]:
    """A header run together by the engine (``规格型号数量``) as its words; any other token as itself."""
    words, rest = [], re.sub(r"[（(]元[)）]", "", token)
    while rest:
        word = next((word for word in HEADER_WORDS if rest.startswith(word)), None)
        if word is None:
            return [token]
        words.append(word)
        rest = rest[len(word):]
    return words if len(words) > 1 else [token]


def _pieces(text: str) -> list[tuple[str, float, float]]:
    """The parts of a piece of text the engine read as one (``S-001 10 5,000.00``), split at spaces, each with
    where it starts and ends along the text (0–1, a CJK character counted twice as wide as a Latin one)."""
    widths = [2 if ord(ch) > 0x2e80 else 1 for ch in text]
    total = sum(widths) or 1
    parts = []
    for match in re.finditer(r"\S+", text):
        start = sum(widths[:match.start()])
        for word in _header_split(match.group(0)):
            at = text.index(word, match.start()) if word in text[match.start():] else match.start()
            begin = sum(widths[:at])
            end = begin + sum(2 if ord(ch) > 0x2e80 else 1 for ch in word)
            parts.append((word, max(begin, start) / total, end / total))
    return parts


def _between(box, begin: float, end: float) -> list:
    """The part of a four-corner box from ``begin`` to ``end`` (0–1) along its width."""
    def at(a, b, t):
        return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
    return [at(box[0], box[1], begin), at(box[0], box[1], end), at(box[3], box[2], end), at(box[3], box[2], begin)]


def _rows(lines: list[TextLine]) -> list[list[Cell]]:
    """Pieces of text grouped into rows, left to right, each split at spaces into cells. Boxes are turned by the
    page's skew (the median slope of their top edges) first, so a table photographed at 5° still has its rows;
    typed lines are one row each, their cells split at tabs or runs of spaces."""
    rows: list[list[Cell]] = []
    typed = [line for line in lines if line.box is None]
    for number, line in enumerate(typed):
        parts = [word for part in re.split(r"\t|\s{2,}|\|", line.text) if part.strip() for word in _header_split(part.strip())]
        rows.append([Cell(part, line.confidence, None, line.page, index, number) for index, part in enumerate(parts)])
    boxed = [line for line in lines if line.box is not None and line.text.strip()]
    for page in sorted({line.page for line in boxed}):
        on_page = [line for line in boxed if line.page == page]
        slopes = sorted((line.box[1][1] - line.box[0][1]) / (line.box[1][0] - line.box[0][0])
                        for line in on_page if line.box[1][0] - line.box[0][0] > 20)
        slope = slopes[len(slopes) // 2] if slopes else 0.0
        cells = []
        for line in on_page:
            height = abs(line.box[3][1] - line.box[0][1]) or 1
            for word, begin, end in _pieces(line.text):
                box = _between(line.box, begin, end)
                x = sum(point[0] for point in box) / 4
                y = sum(point[1] for point in box) / 4
                cells.append((Cell(word, line.confidence, box, page, x + y * slope, y - x * slope), height))
        heights = sorted(height for _cell, height in cells)
        tolerance = (heights[len(heights) // 2] if heights else 10) * 0.5
        page_rows: list[list[Cell]] = []
        for cell, _height in sorted(cells, key=lambda item: item[0].y):
            if page_rows and abs(sum(c.y for c in page_rows[-1]) / len(page_rows[-1]) - cell.y) <= tolerance:
                page_rows[-1].append(cell)
            else:
                page_rows.append([cell])
        rows += [sorted(row, key=lambda cell: cell.x) for row in page_rows]
    return rows


def _row_text(row: list[Cell]) -> str:
    return " ".join(cell.text for cell in row)


def _read(value, cells: list[Cell], text: str = "", flags=None) -> Read:
    """A field read from ``cells``: the least confidence among them, the box around them all."""
    cells = [cell for cell in cells if cell is not None]
    boxes = [cell.box for cell in cells if cell.box]
    box = None
    if boxes:
        xs = [point[0] for b in boxes for point in b]
        ys = [point[1] for b in boxes for point in b]
        box = [[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)], [min(xs), max(ys)]]
    return Read(value=value, text=text or " ".join(cell.text for cell in cells),
                confidence=min((cell.confidence for cell in cells), default=1.0), box=box,
                page=cells[0].page if cells else 1, flags=list(flags or []))


def _labelled(rows, labels, pattern=r"(.+)") -> tuple[str, list[Cell]] | None:
    """The text after the first of ``labels`` on a row (``付款方式：月结30天``), with the cells it came from."""
    for row in rows:
        for index, cell in enumerate(row):
            for label in labels:
                at = cell.text.find(label)
                if at < 0:
                    continue
                rest = cell.text[at + len(label):]
                used = [cell]
                if not re.sub(r"[\s:：]", "", rest) and index + 1 < len(row):  # the value is the next piece
                    rest, used = row[index + 1].text, [cell, row[index + 1]]
                match = re.match(LABEL_END + pattern, rest)
                if match and match.group(1).strip():
                    return match.group(1).strip(), used
    return None


# ---- master data ----------------------------------------------------------------------------------------------

def _squash(text: str) -> str:
    return re.sub(r"[\s\-_/.·]", "", text).upper().replace("O", "0").replace("I", "1").replace("L", "1")


class Catalogue:
    """The products and customers text is matched against (active ones), read once."""

    def __init__(self, products, customers):
        self.products = list(products)
        self.customers = list(customers)
        self.by_model = {_squash(product.model): product for product in self.products}
        self.phones = {}
        for customer in self.customers:
            for contact in customer.contacts.all():
                digits = re.sub(r"\D", "", contact.phone or "")[-11:]
                if len(digits) >= 7:
                    self.phones.setdefault(digits, customer)

    @classmethod
    def from_database(cls) -> "Catalogue":
        from orderloop.masterdata.models import Customer, Product
        return cls(Product.objects.filter(is_active=True).order_by("pk"),
                   Customer.objects.filter(is_active=True).prefetch_related("contacts").order_by("pk"))

    def product_by_model(self, text: str):
        return self.by_model.get(_squash(text)) if text else None

    def models_in(self, text: str) -> list[tuple[int, int, object]]:
        """(start, end, product) of each model of the catalogue printed in ``text``, left to right."""
        found = []
        for product in sorted(self.products, key=lambda p: -len(p.model)):
            for match in re.finditer(r"(?<![A-Za-z0-9])" + re.escape(product.model) + r"(?![A-Za-z0-9])", text, re.I):
                if not any(start < match.end() and match.start() < end for start, end, _p in found):
                    found.append((match.start(), match.end(), product))
        return sorted(found, key=lambda item: item[0])

    def product_by_name(self, text: str):
        squashed = re.sub(r"\s", "", text)
        named = [product for product in self.products if product.name and product.name in squashed]
        return max(named, key=lambda p: len(p.name)) if named else None


# ---- understanding --------------------------------------------------------------------------------------------

def order_understand(lines: list[TextLine], *, catalogue: Catalogue | None = None, today: date,
                     customer=None) -> ReadOrder:
    """The draft ``lines`` of text say. ``customer``, when already known (a mail's sender), is kept and checked
    against what the text names; ``today`` gives the year of a date printed without one."""
    catalogue = catalogue or Catalogue.from_database()
    rows = _rows(lines)
    order = ReadOrder()
    _read_header(order, rows, catalogue, today=today, known=customer)
    table = _table(rows)
    order.lines = _table_lines(table, catalogue) if table else _free_lines(rows, catalogue)
    _read_totals(order, rows)
    _check(order)
    return order


def _read_header(order: ReadOrder, rows, catalogue: Catalogue, *, today: date, known) -> None:
    all_text = "\n".join(_row_text(row) for row in rows)
    customer = _customer(rows, catalogue)
    if customer is not None:
        order.customer = customer
        order.customer_name = Read(value=customer.value.name, text=customer.text, confidence=customer.confidence,
                                   box=customer.box, page=customer.page, flags=customer.flags)
    if known is not None:
        if order.customer.found and order.customer.value.pk != known.pk:
            order.problems.append(_("单据上的客户「%(read)s」与发件客户「%(known)s」不一致")
                                  % {"read": order.customer.value.name, "known": known.name})
        order.customer = Read(value=known)
        if not order.customer_name.found:
            order.customer_name = Read(value=known.name)
    contact = _labelled(rows, ("联系人", "采购员", "经办人"), r"([\u4e00-\u9fa5A-Za-z·*]{1,20})")
    if contact:
        order.contact_name = _read(contact[0], contact[1], contact[0])
    phone = _phone(rows)
    if phone:
        order.contact_phone = phone
    for attribute, labels in (("order_date", ("订单日期", "下单日期", "采购日期", "订购日期", "日期")),
                              ("requested_date", ("交货日期", "交付日期", "到货日期", "交货期", "交期", "要求到货", "送货日期"))):
        found = _labelled(rows, labels, r"(\d{4}\s*[年./-]\s*\d{1,2}\s*[月./-]\s*\d{1,2}\s*日?|\d{1,2}\s*月\s*\d{1,2}\s*日)")
        if found:
            value = date_read(found[0], year=today.year)
            if value:
                setattr(order, attribute, _read(value, found[1], found[0]))
    if not order.requested_date.found:
        match = re.search(r"(?:请于|要求|须于|需于|在)?\s*(\d{4}年)?(\d{1,2}月\d{1,2}日)\s*(?:前|之前)\s*(?:交付|交货|送达|到货)", all_text)
        if match:
            order.requested_date = Read(value=date_read((match.group(1) or "") + match.group(2), year=today.year),
                                        text=match.group(0))
    for attribute, labels in (("payment_terms", ("付款方式", "付款条件", "结算方式", "付款条款")),
                              ("delivery_address", ("交货地址", "交付地址", "送货地址", "收货地址", "交货地点")),
                              ("special_requirements", ("特殊要求", "其他要求", "技术要求", "备注"))):
        found = _labelled(rows, labels, r"(.+?)\s*$")
        if found:
            setattr(order, attribute, _read(found[0].rstrip("。"), found[1], found[0]))
    if not order.delivery_address.found:
        match = re.search(r"(?:交付|送货|交货|送|发货)到\s*([^，。,;；\n]{4,100})", all_text)
        if match:
            order.delivery_address = Read(value=match.group(1).strip(), text=match.group(0))


def _customer(rows, catalogue: Catalogue) -> Read | None:
    """The buyer: by its USCC, by its name printed whole, by a contact's phone, or by a name close to one on a row
    labelled as the buyer's (flagged for a person to confirm)."""
    for row in rows:
        for cell in row:
            for match in USCC.finditer(cell.text.upper()):
                named = next((c for c in catalogue.customers if c.uscc and c.uscc.upper() == match.group(0)), None)
                if named:
                    return _read(named, [cell], cell.text)
    buyer_rows = [row for row in rows if any(label in _row_text(row) for label in BUYER)
                  and not any(label in _row_text(row) for label in SELLER)]
    for candidates in (buyer_rows, [row for row in rows if not any(label in _row_text(row) for label in SELLER)]):
        for row in candidates:
            text = _row_text(row)
            named = [c for c in catalogue.customers if c.name in text.replace(" ", "")]
            if named:
                best = max(named, key=lambda c: len(c.name))
                cells = [cell for cell in row if any(part in cell.text for part in (best.name, best.name[:2]))] or row
                return _read(best, cells, text)
    for row in rows:
        for digits, customer in catalogue.phones.items():
            if digits in re.sub(r"\D", "", _row_text(row)):
                return _read(customer, row, _row_text(row), flags=[_("客户按联系电话匹配，请核对")])
    for row in buyer_rows:
        for cell in row:
            text = re.sub(r"^.*?[:：]", "", cell.text).strip()
            if len(text) < 4:
                continue
            scored = sorted(((difflib.SequenceMatcher(None, text, c.name).ratio(), c) for c in catalogue.customers),
                            key=lambda item: -item[0])
            if scored and scored[0][0] >= 0.75:
                return _read(scored[0][1], [cell], cell.text,
                             flags=[_("客户名称「%(text)s」与「%(name)s」相近，请核对") % {"text": text, "name": scored[0][1].name}])
    return None


def _phone(rows) -> Read | None:
    labelled = [row for row in rows if re.search(r"电话|手机|联系方式|Tel|TEL|联系人", _row_text(row))]
    for row in labelled + rows:
        for cell in row + [Cell(_row_text(row), min(c.confidence for c in row), None, row[0].page, 0, 0)]:
            match = PHONE.search(cell.text)
            if match:
                cell = cell if cell.box else row[0]
                digits = re.sub(r"[\s-]", "", match.group(1))
                try:
                    value = phone_e164(digits)
                except ValueError:
                    return _read(None, [cell], match.group(1), flags=[_("联系电话「%(phone)s」不是有效号码") % {"phone": match.group(1)}])
                return _read(value, [cell], match.group(1))
    return None


def _column_of(text: str) -> str | None:
    compact = re.sub(r"[\s(（）)元]", "", text)
    for column, words in COLUMNS.items():
        if any(compact.startswith(word) or compact == word for word in words):
            return column
    return None


def _table(rows) -> tuple[dict[str, float], list[list[Cell]]] | None:
    """The order table: its header's columns (their centres) and the rows under it up to 合计 or the like."""
    for index, row in enumerate(rows):
        columns = {}
        for cell in row:
            column = _column_of(cell.text)
            if column and column not in columns:
                columns[column] = cell.x
        if "quantity" in columns and ("model" in columns or "name" in columns):
            body = []
            for later in rows[index + 1:]:
                text = _row_text(later)
                if any(end in text for end in TABLE_ENDS) and not re.search(r"\d+\s*$", later[0].text[:3] or ""):
                    break
                body.append(later)
            return columns, body
    return None


def _cell_read(cells: list[Cell]) -> Read:
    return _read(" ".join(cell.text for cell in cells).strip(), cells) if cells else Read()


def _number_field(cells: list[Cell]) -> Read:
    if not cells:
        return Read()
    text = "".join(cell.text for cell in cells)
    match = re.search(NUMBER, text)
    value, doubtful = number_read(match.group(0)) if match else (None, False)
    read = _read(value, cells, text)
    if value is None and text.strip():
        read.flags.append(_("「%(text)s」不是数字") % {"text": text.strip()})
    elif doubtful:
        read.flags.append(_("数字「%(text)s」的分隔符有误，读作 %(value)s") % {"text": text.strip(), "value": value})
    return read


def _table_lines(table, catalogue: Catalogue) -> list[ReadLine]:
    columns, body = table
    centres = sorted(columns.items(), key=lambda item: item[1])
    lines = []
    for row in body:
        by_column: dict[str, list[Cell]] = {}
        for cell in row:
            column = min(centres, key=lambda item: abs(item[1] - cell.x))[0]
            by_column.setdefault(column, []).append(cell)
        line = ReadLine(model=_cell_read(by_column.get("model", [])), name=_cell_read(by_column.get("name", [])),
                        unit=_cell_read(by_column.get("unit", [])), quantity=_number_field(by_column.get("quantity", [])),
                        unit_price=_number_field(by_column.get("unit_price", [])),
                        amount=_number_field(by_column.get("amount", [])))
        if not (line.quantity.found or line.model.found):
            continue
        _match_product(line, catalogue)
        lines.append(line)
    return lines


def _match_product(line: ReadLine, catalogue: Catalogue) -> None:
    product = None
    if line.model.found:
        product = catalogue.product_by_model(str(line.model.value))
        if product is None:
            found = catalogue.models_in(str(line.model.value))
            product = found[0][2] if found else None
    if product is None and line.name.found:
        product = catalogue.product_by_name(str(line.name.value))
        if product is not None and line.model.found:
            line.model.flags.append(_("型号「%(text)s」不在产品资料中，按名称匹配为 %(model)s")
                                    % {"text": line.model.value, "model": product.model})
    if product is None:
        shown = line.model.value or line.name.value or ""
        (line.model if line.model.found else line.name).flags.append(_("未知型号「%(model)s」") % {"model": shown})
        return
    source = line.model if line.model.found and _squash(str(line.model.value)) == _squash(product.model) else line.name
    line.product = Read(value=product, text=source.text, confidence=source.confidence, box=source.box, page=source.page)
    if not line.model.found:
        line.model = Read(value=product.model, text=source.text, confidence=source.confidence, box=source.box, page=source.page)


def _free_lines(rows, catalogue: Catalogue) -> list[ReadLine]:
    """Lines written as prose (``服务器A型 S-001 10台 单价5000``): each model of the catalogue starts a line whose
    quantity (``10台``, ``数量 10``, ``×10``) and price (``单价5000``, ``@5000``, ``5000元/台``) follow it; a
    model-like word not in the catalogue with a quantity after it is an unknown model."""
    lines = []
    for row in rows:
        text = _row_text(row)
        marks = [(start, end, product) for start, end, product in catalogue.models_in(text)]
        if not marks:
            product = catalogue.product_by_name(text)
            if product is not None and re.search(r"\d", text):
                at = text.find(product.name)
                marks = [(at, at + len(product.name), product)]
        unknown = [(m.start(), m.end(), None) for m in MODEL_LIKE.finditer(text)
                   if not any(s < m.end() and m.start() < e for s, e, _p in marks) and catalogue.product_by_model(m.group(0)) is None]
        for index, (start, end, product) in enumerate(sorted(marks + unknown, key=lambda item: item[0])):
            following = sorted(marks + unknown, key=lambda item: item[0])
            stop = following[index + 1][0] if index + 1 < len(following) else len(text)
            segment = text[end:stop]
            quantity = re.search(r"(?:数量\s*[:：]?\s*|[×xX*]\s*)(\d[\d,.]*)|(\d[\d,.]*)\s*(?:" + UNITS + r")(?![\u4e00-\u9fa5]*/)", segment)
            price = re.search(r"(?:单价\s*[:：]?\s*|@\s*)(" + NUMBER + r")|(" + NUMBER + r")\s*元\s*/\s*(?:" + UNITS + ")", segment)
            amount = re.search(r"(?:金额|小计)\s*[:：]?\s*(" + NUMBER + ")", segment)
            if product is None and not quantity:
                continue
            line = ReadLine()
            word = text[start:end]
            line.model = _read(word if product is None or product.model.lower() in word.lower() else product.model, row, word)
            for attribute, match in (("quantity", quantity), ("unit_price", price), ("amount", amount)):
                if match:
                    figure = next(group for group in match.groups() if group)
                    value, doubtful = number_read(figure)
                    read = _read(value, row, figure)
                    if doubtful:
                        read.flags.append(_("数字「%(text)s」的分隔符有误，读作 %(value)s") % {"text": figure, "value": value})
                    setattr(line, attribute, read)
            if product is None:
                line.model.flags.append(_("未知型号「%(model)s」") % {"model": word})
            else:
                line.product = _read(product, row, word)
                line.name = Read(value=product.name, text=word)
                line.unit = Read(value=product.unit, text=word)
            lines.append(line)
    return lines


def _read_totals(order: ReadOrder, rows) -> None:
    for row in rows:
        text = _row_text(row)
        if not order.total_capitals.found and ("大写" in text or re.search("[壹贰叁肆伍陆柒捌玖][拾佰仟万亿元圆]", text)):
            cells = [cell for cell in row if capitals_value(cell.text) is not None]
            value = capitals_value("".join(cell.text for cell in cells)) if cells else None
            if value is not None:
                order.total_capitals = _read(value, cells, "".join(cell.text for cell in cells))
        if not order.total.found and re.search(r"合计|总计|总金额|订单总额|总价|小写", text):
            for index, cell in enumerate(row):
                if re.search(r"合计|总计|总金额|订单总额|总价|小写", cell.text):
                    rest = [c for c in row[index:] if re.search(r"\d", re.sub(r".*(?:合计|总计|总金额|订单总额|总价|小写)", "", c.text))]
                    numbers = [c for c in rest if not capitals_value(c.text)]
                    if numbers:
                        last = numbers[-1]
                        figure = re.findall(NUMBER, re.sub(r".*(?:合计|总计|总金额|订单总额|总价|小写)", "", last.text))
                        if figure:
                            value, doubtful = number_read(figure[-1])
                            if value is not None:
                                order.total = _read(value, [last], figure[-1])
                                if doubtful:
                                    order.total.flags.append(_("数字「%(text)s」的分隔符有误，读作 %(value)s")
                                                             % {"text": figure[-1], "value": value})
                                break


def _check(order: ReadOrder) -> None:
    """The arithmetic and master data checks: each disagreement flags the fields it involves."""
    for position, line in enumerate(order.lines, 1):
        product = line.product.value
        if line.quantity.found and line.quantity.value <= 0:
            line.quantity.flags.append(_("第%(n)s行数量不大于0") % {"n": position})
        if not line.quantity.found and line.product.found:
            line.quantity.flags.append(_("第%(n)s行没有读到数量") % {"n": position})
        if line.quantity.found and line.unit_price.found and line.amount.found:
            if yuan(line.quantity.value * line.unit_price.value) != yuan(line.amount.value):
                message = _("第%(n)s行：数量×单价=%(computed)s，单据金额 %(amount)s") % {
                    "n": position, "computed": amount_text(line.quantity.value * line.unit_price.value),
                    "amount": amount_text(line.amount.value)}
                for read in (line.quantity, line.unit_price, line.amount):
                    read.flags.append(message)
        if product is not None and line.unit_price.found and product.list_price:
            gap = abs(line.unit_price.value - product.list_price) / product.list_price
            if gap > PRICE_GAP:
                line.unit_price.flags.append(_("第%(n)s行单价 %(price)s 与标准单价 %(list)s 相差 %(gap)s%%") % {
                    "n": position, "price": amount_text(line.unit_price.value), "list": amount_text(product.list_price),
                    "gap": int(gap * 100)})
        if product is not None and line.unit.found and str(line.unit.value) != product.unit:
            line.unit.flags.append(_("第%(n)s行单位「%(unit)s」与产品资料「%(known)s」不同") % {
                "n": position, "unit": line.unit.value, "known": product.unit})
    amounts = [line.amount.value if line.amount.found else
               (line.quantity.value * line.unit_price.value if line.quantity.found and line.unit_price.found else None)
               for line in order.lines]
    if order.total.found and order.lines and None not in amounts:
        lines_sum = yuan(sum(amounts, Decimal("0")))
        if lines_sum != yuan(order.total.value):
            order.total.flags.append(_("各行金额合计 %(sum)s，与单据合计 %(total)s 不符") % {
                "sum": amount_text(lines_sum), "total": amount_text(order.total.value)})
    if order.total.found and order.total_capitals.found and yuan(order.total.value) != order.total_capitals.value:
        message = _("大写金额 %(capitals)s 与小写 %(total)s 不符") % {
            "capitals": amount_text(order.total_capitals.value), "total": amount_text(order.total.value)}
        order.total.flags.append(message)
        order.total_capitals.flags.append(message)
    if (order.requested_date.found and order.order_date.found
            and order.requested_date.value < order.order_date.value):  # left out of the draft: the person enters it
        order.requested_date.flags.append(_("交付日期 %(requested)s 早于下单日期 %(ordered)s，请与客户核对") % {
            "requested": order.requested_date.value.isoformat(), "ordered": order.order_date.value.isoformat()})
    if not order.customer.found:
        order.problems.append(_("没有识别出客户"))
