"""Money: yuan with two decimals, shown as ¥1,409.50 and in capitals as on a bill
(人民币壹仟肆佰零玖元伍角), following the PBOC rules (CHINA.md section 4)."""
from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
GROUPS = ["", "万", "亿", "万亿"]
CENT = Decimal("0.01")


def yuan(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value) -> str:
    return f"¥{amount_text(value)}"


def amount_text(value) -> str:
    """Yuan with thousands separators and fen, e.g. 51,000.00 (a column already headed 元)."""
    return f"{yuan(value):,.2f}"


def _group(value: int) -> str:
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = value // 10 ** position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + UNITS[position]
    return text


def rmb_capitals(value) -> str:
    amount = yuan(value)
    sign = "负" if amount < 0 else ""
    amount = abs(amount)
    whole = int(amount)
    jiao = int(amount * 10) % 10
    fen = int(amount * 100) % 10
    groups = []
    while whole:
        groups.append(whole % 10000)
        whole //= 10000
    text, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        value_of_group = groups[index]
        if value_of_group == 0:
            gap = bool(text)
            continue
        if text and (gap or value_of_group < 1000):
            text += "零"
        text += _group(value_of_group) + GROUPS[index]
        gap = False
    if text:
        text += "元"
    if jiao == 0 and fen == 0:
        text = (text or "零元") + "整"
    elif jiao == 0:
        text += ("零" if text else "") + DIGITS[fen] + "分"
    else:
        text += DIGITS[jiao] + "角" + (DIGITS[fen] + "分" if fen else "")
    return "人民币" + sign + text
