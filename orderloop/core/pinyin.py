"""Pinyin initials of a name, for searching it by what a person types first: 科技有限公司 → kjyxgs.

pypinyin is imported on the first use, not with the module: its phrase dictionary (which reads 重庆 as chongqing,
not zhongqing) takes about 56 MB and 0.2 s to load, and only saving a customer or product, or importing them,
needs it — not the web processes serving lists and orders."""
import re


def pinyin_initials(text: str) -> str:
    """The first letter of each Chinese character's pinyin, other letters and digits kept, all lower case."""
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default")
    return re.sub(r"[^0-9a-z]", "", "".join(parts).lower())[:100]
