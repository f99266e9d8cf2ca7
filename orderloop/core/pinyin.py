"""Pinyin initials of a name, for searching it by what a person types first: 科技有限公司 → kjyxgs."""
import re

from pypinyin import Style, lazy_pinyin


def pinyin_initials(text: str) -> str:
    """The first letter of each Chinese character's pinyin, other letters and digits kept, all lower case."""
    parts = lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default")
    return re.sub(r"[^0-9a-z]", "", "".join(parts).lower())[:100]
