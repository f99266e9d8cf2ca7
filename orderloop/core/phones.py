"""Phone numbers of mainland China: validated with ``phonenumbers``, stored in E.164
(+8613800138000), shown in the national format (138 0013 8000)."""
import re
from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext as _


# Letters in a number are a typo here, not a vanity number (phonenumbers reads 138abc01111 as 13822201111);
# only an extension may be written with them (010-12345678 ext 12)
LETTERS = re.compile(r"[A-Za-z]")
EXTENSION = re.compile(r"(?:ext\.?|x|转)\s*\d+\s*$", re.IGNORECASE)


def phone_e164(text: str) -> str:
    """The number in E.164, or raise ValueError with a message for the user."""
    if LETTERS.search(EXTENSION.sub("", text)):
        raise ValueError(_("联系方式格式不正确：%(phone)s") % {"phone": text})
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("联系方式格式不正确：%(phone)s") % {"phone": text}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("联系方式格式不正确：%(phone)s") % {"phone": text})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def phone_display(e164: str) -> str:
    """The stored number as shown (national format for China), kept per number: parsing and formatting it is about
    a tenth of a millisecond, and an order page shows its customer's on every view."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_masked(e164: str) -> str:
    """138****5678: for roles that do not contact the customer."""
    digits = "".join(ch for ch in phone_display(e164) if ch.isdigit())
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****" if e164 else ""
