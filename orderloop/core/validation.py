"""Input errors in the user's language, keyed by field path."""
from django.utils.translation import gettext as _
from pydantic import ValidationError

MESSAGES = {
    "missing": lambda ctx: _("必填"),
    "string_too_short": lambda ctx: _("必填") if ctx.get("min_length") == 1 else _("至少 %(n)s 个字符") % {"n": ctx.get("min_length")},
    "string_too_long": lambda ctx: _("最多 %(n)s 个字符") % {"n": ctx.get("max_length")},
    "too_short": lambda ctx: _("至少需要 %(n)s 项") % {"n": ctx.get("min_length")},
    "greater_than": lambda ctx: _("必须大于 %(n)s") % {"n": ctx.get("gt")},
    "greater_than_equal": lambda ctx: _("不能小于 %(n)s") % {"n": ctx.get("ge")},
    "less_than_equal": lambda ctx: _("不能大于 %(n)s") % {"n": ctx.get("le")},
    "decimal_parsing": lambda ctx: _("请输入数字"),
    "decimal_type": lambda ctx: _("请输入数字"),
    "decimal_max_places": lambda ctx: _("小数位数过多（最多 %(n)s 位）") % {"n": ctx.get("decimal_places")},
    "decimal_max_digits": lambda ctx: _("数值过大"),
    "int_parsing": lambda ctx: _("请输入整数"),
    "int_type": lambda ctx: _("请输入整数"),
    "int_from_float": lambda ctx: _("请输入整数"),
    "date_from_datetime_parsing": lambda ctx: _("日期格式应为 YYYY-MM-DD"),
    "date_parsing": lambda ctx: _("日期格式应为 YYYY-MM-DD"),
    "date_type": lambda ctx: _("日期格式应为 YYYY-MM-DD"),
    "bool_parsing": lambda ctx: _("请选择是或否"),
    "bool_type": lambda ctx: _("请选择是或否"),
    "literal_error": lambda ctx: _("无效的选项"),
    "enum": lambda ctx: _("无效的选项"),
    "extra_forbidden": lambda ctx: _("不支持的字段"),
    "string_type": lambda ctx: _("应为文本"),
    "list_type": lambda ctx: _("应为列表"),
    "model_type": lambda ctx: _("应为对象"),
    "dict_type": lambda ctx: _("应为对象"),
    "json_invalid": lambda ctx: _("不是有效的 JSON"),
}


def field_path(loc) -> str:
    return ".".join(str(part) for part in loc) or "__all__"


def pydantic_errors(exc: ValidationError, *, strip_prefix: tuple = ()) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if strip_prefix and loc[: len(strip_prefix)] == strip_prefix:
            loc = loc[len(strip_prefix):]
        make = MESSAGES.get(error["type"])
        message = make(error.get("ctx") or {}) if make else _("无效的值")
        errors.setdefault(field_path(loc), []).append(message)
    return errors
