"""Web forms for the lifecycle actions, built from the same payload models the
API uses: a form's fields, its labels in the seed's wording, and the parsing
of the posted data back into a payload."""
import types
import typing
from datetime import date
from decimal import Decimal
from enum import Enum

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from pydantic import BaseModel

from orderloop.accounts.permissions import STAGE_OWNERS
from orderloop.masterdata.models import Product
from orderloop.masterdata.services import stock_available
from orderloop.orders.dates import stage_owner_choices, stage_roles
from orderloop.orders.labels import CHOICES, LABELS, ROW_LABELS, form_label
from orderloop.orders.lines import prepared_lines
from orderloop.orders.steps import ACTIONS
from orderloop.orders.models import AcceptanceItem
from orderloop.orders.steps.delivery import ACCEPTANCE_ITEMS, open_shipments, shipped_quantities

LONG_TEXT = {"missing", "reason", "comment", "summary", "outcome", "note", "talk", "record", "problem", "measure",
             "next_step", "description", "usage", "need", "mitigation", "goods", "qc_report", "special_requirements", "special_terms", "remarks",
             "remark"}


def _unwrap(annotation):
    """(base type, optional?) of an annotation such as ``date | None``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0])[0], True
    if origin is typing.Annotated:
        return typing.get_args(annotation)[0], False
    return annotation, False


ANSWERS = {"true": N_("合格"), "false": N_("不合格")}


def _kind(name: str, annotation) -> tuple[str, dict]:
    if name.endswith("_attachment_id"):  # uploaded with the form, stored, then referenced by id
        return "file", {}
    if name.endswith("_attachment_ids"):  # several files (photos), each stored and referenced by id
        return "files", {}
    if name == "satisfaction":  # 1–5, chosen; nothing chosen until the customer has said
        return "select", {"": "—", **{str(score): str(score) for score in range(5, 0, -1)}}
    base, optional = _unwrap(annotation)
    origin = typing.get_origin(base)
    if origin is typing.Literal:
        values = typing.get_args(base)
        return "select", {v: _(CHOICES.get(name, {}).get(v, v)) for v in values}
    if isinstance(base, type) and issubclass(base, Enum):
        labels = dict(base.choices) if issubclass(base, TextChoices) else {m.value: m.value for m in base}
        return "select", labels
    if origin is list:
        (item,) = typing.get_args(base)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "rows", {}
        return "lines_text", {}
    if base is bool and optional:  # answered 合格 or 不合格, nothing chosen until the user chooses
        return "answer", {key: _(label) for key, label in ANSWERS.items()}
    if base is bool:
        return "checkbox", {}
    if base is date:
        return "date", {}
    if base in (int, Decimal):
        return "number", {}
    return ("textarea" if name in LONG_TEXT or name.endswith("_note") else "text"), {}


def _fields(model: type[BaseModel], *, action: str = "", prefix: str = "", values: dict, errors: dict) -> list[dict]:
    fields = []
    for name, info in model.model_fields.items():
        if name == "version" or (action and name in ACTIONS[action].web_skip):
            continue
        kind, choices = _kind(name, info.annotation)
        path = f"{prefix}{name}"
        label = _(ROW_LABELS[name]) if prefix and name in ROW_LABELS else form_label(name)
        field = {
            "name": path, "label": label, "kind": kind, "choices": choices,
            "required": info.is_required(), "errors": errors.get(path, []), "value": values.get(name, ""),
        }
        if kind == "rows":
            item = typing.get_args(_unwrap(info.annotation)[0])[0]
            field["columns"] = [_(ROW_LABELS.get(n) or LABELS.get(n, n)) for n in item.model_fields]
            rows = values.get(name) or []
            field["rows"] = [
                _fields(item, prefix=f"{path}.{i}.", values=row, errors=errors) for i, row in enumerate(rows)
            ]
            field["row_errors"] = [msg for key, msgs in errors.items() if key == path for msg in msgs]
        fields.append(field)
    return fields


def action_form(action: str, order, *, data: dict | None = None, errors: dict | None = None) -> dict:
    spec = ACTIONS[action]
    values = data if data is not None else (spec.initial(order) if spec.initial else {})
    fields = _fields(spec.payload, action=action, values=values, errors=errors or {})
    extra = {}
    if action in ("accept", "confirm_receipt"):
        waiting = {"accept": "accepted_at", "confirm_receipt": "received_at"}[action]
        extra["shipments"] = {sh.pk: _("第 %(n)s 批（%(carrier)s %(number)s）") % {
            "n": sh.position, "carrier": sh.carrier, "number": sh.tracking_number}
            for sh in open_shipments(order) if getattr(sh, waiting) is None}
    if action in ("confirm_stock", "agree_date", "amend", "short_close", "ship", "accept"):
        lines = list(order.lines.all())
        shipped = shipped_quantities(order)
        extra["line_labels"] = {line.pk: f"{line.position}. {line.product_name} {line.model} × {line.quantity.normalize():f}"
                                + _line_notes(line, shipped) for line in lines}
        if action == "confirm_stock":
            available = stock_available([line.product_id for line in lines])
            extra["line_labels"] = {line.pk: f"{text}（{_('可用库存')} {available.get(line.product_id, Decimal(0)).normalize():f}）"
                                    for line, text in zip(lines, extra["line_labels"].values(), strict=True)}
    if action == "accept":  # each item with its answer, note and photos, asked together
        by_name = {f["name"]: f for f in fields}
        extra["acceptance_items"] = [
            {"key": item, "label": AcceptanceItem.Item(item).label, "answer": by_name[f"{item}_ok"],
             "chosen": {True: "true", False: "false"}.get(by_name[f"{item}_ok"]["value"], ""),
             "note": by_name[f"{item}_note"], "photos": by_name[f"{item}_photo_attachment_ids"],
             "photo_errors": [m for key, msgs in (errors or {}).items()
                              if key.startswith(f"{item}_photo_attachment_ids") for m in msgs]}
            for item in ACCEPTANCE_ITEMS]
        extra["acceptance_fields"] = {f"{item}_{part}" for item in ACCEPTANCE_ITEMS
                                      for part in ("ok", "note", "photo_attachment_ids")}
    if action == "amend":
        extra["products"] = {p.pk: f"{p.name} {p.model}" for p in Product.objects.filter(is_active=True)}
        if prepared_lines(order):
            extra["hint"] = _("货物已备好或已发出：追加的数量和新增的行作为新的部分，单独确认库存、发货和验收；"
                              "已备好或已发出的货物不能减少、删除或改价。")
    if action == "follow_up":  # the customer's own rating comes through the rating link
        channel = next(f for f in fields if f["name"] == "channel")
        channel["choices"].pop("link", None)
    if action == "start_fulfillment":
        _owners_from_the_role(fields)
    if action == "resolve_risk":
        extra["risks"] = {r.pk: str(r) for r in order.risks.all() if r.is_open}
    return {"name": action, "label": _(spec.label), "fields": fields, "version": order.version,
            "confirm": _(spec.confirm) if spec.confirm else "",
            "multipart": any(f["kind"] in ("file", "files") for f in fields),
            "form_errors": _errors_outside_the_form(errors or {}, spec.payload), **extra}


def _owners_from_the_role(fields: list[dict]) -> None:
    """Each stage's owner is picked from the active people who hold the stage's role (the default template's;
    warehouse or production for a stage it does not name), shown as 姓名（角色）, posted as the username."""
    roles = stage_roles()
    choices = {}
    stages = next(f for f in fields if f["name"] == "stages")
    stages["columns"] = [_("负责人") if column == _(LABELS["owner"]) else column for column in stages["columns"]]
    for row in stages["rows"]:
        name = next((cell["value"] for cell in row if cell["name"].endswith(".name")), "")
        held = frozenset({roles[name]}) if name in roles else STAGE_OWNERS
        if held not in choices:
            choices[held] = stage_owner_choices(held)
        for cell in row:
            if cell["name"].endswith(".owner"):
                cell["kind"], cell["choices"], cell["label"] = "select", choices[held], _("负责人")


def _line_notes(line, shipped: dict) -> str:
    """A line's part after the first (quantity added late) and what of it has shipped."""
    notes = []
    if line.part > 1:
        notes.append(_("第 %(n)s 部分") % {"n": line.part})
    if shipped.get(line.pk):
        notes.append(_("已发货 %(n)s") % {"n": f"{shipped[line.pk].normalize():f}"})
    return f"（{'，'.join(notes)}）" if notes else ""


def _errors_outside_the_form(errors: dict, model) -> list[str]:
    """Errors of the order itself (e.g. a key field missing when review passes), named by their field."""
    messages = list(errors.get("__all__", []))
    for key, msgs in errors.items():
        top = key.split(".")[0]
        if key != "__all__" and top not in model.model_fields:
            messages += [f"{_(LABELS.get(top, top))}：{m}" for m in msgs]
    return messages


def parse_post(action: str, post) -> dict:
    """Posted form data (flat, dotted names) → the nested dict the payload model reads."""
    model = ACTIONS[action].payload
    data: dict = {}
    for key in post:
        if key in ("csrfmiddlewaretoken",):
            continue
        value = post.get(key)
        parts = key.split(".")
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):  # "lines" and "lines.0.quantity" both posted: not a form of ours
                break
        else:
            target[parts[-1]] = value
    shaped = _shape(model, data)
    if action == "ship" and "lines" in shaped:  # a line with no quantity is not in this consignment
        shaped["lines"] = [row for row in shaped["lines"] if row.get("quantity")]
    return shaped


def _shape(model: type[BaseModel], data: dict) -> dict:
    shaped = {}
    for name, info in model.model_fields.items():
        kind, _choices = _kind(name, info.annotation)
        raw = data.get(name)
        if kind == "checkbox":
            shaped[name] = raw in ("on", "true", "1", True)
        elif kind == "answer":  # not chosen: left out, for the action to say which
            if raw in ("true", "on", "1", "false", "0"):
                shaped[name] = raw in ("true", "on", "1")
        elif kind == "files":  # the view stores the uploads and puts their ids in, one a line
            if raw:
                shaped[name] = [item for item in str(raw).split() if item]
        elif kind == "lines_text":
            if raw is not None:
                shaped[name] = [item.strip() for item in str(raw).splitlines() if item.strip()]
        elif kind == "rows":
            if isinstance(raw, dict):
                item = typing.get_args(_unwrap(info.annotation)[0])[0]
                rows = [raw[k] for k in sorted(raw, key=lambda k: int(k) if k.isdigit() else 0)]
                rows = [_shape(item, row) for row in rows if any(str(v).strip() for v in row.values())]
                shaped[name] = rows
        elif kind == "file":  # the view stores the upload and puts its id in
            if raw:
                shaped[name] = raw
        elif raw is not None and str(raw).strip() != "":
            shaped[name] = raw
        elif raw is not None and kind in ("text", "textarea") and info.is_required():
            shaped[name] = raw
    return shaped
