"""The English catalog of the interface, read entry by entry."""
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "orderloop" / "locale" / "en" / "LC_MESSAGES"


def po_entries():
    text = (LOCALE / "django.po").read_text()
    entries = []
    for block in text.split("\n\n"):
        if "msgid" not in block or block.lstrip().startswith("#~"):
            continue
        fuzzy = "#, fuzzy" in block
        msgid = "".join(re.findall(r'"(.*)"', block.split("msgstr")[0].split("msgid", 1)[1]))
        msgstr = "".join(re.findall(r'"(.*)"', block.split("msgstr", 1)[1]))
        entries.append((msgid, msgstr, fuzzy))
    return entries
