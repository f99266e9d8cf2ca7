"""提出优化措施并更新模板: the process settings a monthly review's action item may change, what each holds now,
and the change itself. A setting is named by a short reference kept on the item:

- ``deadline:<kind>``: a deadline of SPEC section 3 (orders.timers), its length in its own unit (business hours
  or working days), stored as orders.DeadlineSetting; deadlines started after the change run on the new length;
- ``stage_template:<id>``: a stocking/production plan (orders.StageTemplate), the working days of each of its steps;
- ``approval_rule``: the director rule (orders.ApprovalPolicy).

``setting_apply`` checks every new value before it writes any, writes them, audits the changed record (old → new)
and returns the change as it reads (for the item, the review and its documents). The caller holds the transaction
and decides who may apply (reviews.services.action_item_apply)."""
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from orderloop.core.audit import audit_record
from orderloop.core.exceptions import InvalidInput
from orderloop.orders.models import ApprovalPolicy, DeadlineSetting, StageTemplate, TimerKind
from orderloop.orders.timers import deadline_length

DEADLINE, STAGE_TEMPLATE, APPROVAL_RULE = "deadline", "stage_template", "approval_rule"
MAX_STEP_DAYS = 365
MAX_HOURS = Decimal("999")
MAX_WORKING_DAYS = 60


@dataclass(frozen=True)
class Field:
    """One value of a setting: its form name, its label, the value now (as the form shows it) and its unit."""

    name: str
    label: str
    current: str
    unit: str = ""
    choices: tuple = ()  # (value, label) for a yes/no value


def _unit(clock_kind: str) -> str:
    return {"business_hours": _("工作小时"), "working_days": _("工作日"), "clock_hours": _("小时")}.get(clock_kind, "")


def _deadline_label(kind: str) -> str:
    return str(TimerKind(kind).label) if kind in TimerKind.values else kind


def setting_options() -> list[tuple[str, str]]:
    """What an action item may name, as (reference, label), for the form that adds an item."""
    options = [(f"{DEADLINE}:{kind}", _("期限：%(name)s") % {"name": _deadline_label(kind)}) for kind in settings.ORDERLOOP_SLA]
    options += [(f"{STAGE_TEMPLATE}:{template.pk}", _("备货/生产环节模板：%(name)s") % {"name": template.name})
                for template in StageTemplate.objects.order_by("name")]
    options.append((APPROVAL_RULE, _("审批规则（总监审批条件）")))
    return options


def setting_check(reference: str) -> str:
    """The reference if it names a setting that exists (blank: none); InvalidInput otherwise."""
    reference = (reference or "").strip()
    if reference and reference not in dict(setting_options()):
        raise InvalidInput(_("涉及的设置不存在"), errors={"setting": [_("请从列表中选择要更新的期限、环节模板或审批规则")]})
    return reference


def setting_label(reference: str) -> str:
    return dict(setting_options()).get(reference, reference)


def _template(reference: str) -> StageTemplate | None:
    _kind, _sep, pk = reference.partition(":")
    return StageTemplate.objects.filter(pk=int(pk)).first() if pk.isdigit() else None


def _yes_no(value: bool) -> str:
    return "1" if value else "0"


def setting_fields(reference: str) -> list[Field]:
    """The values of the setting as they are now, one Field each; empty if the setting is gone."""
    kind, _sep, key = reference.partition(":")
    if kind == DEADLINE and key in settings.ORDERLOOP_SLA:
        amount, clock_kind = deadline_length(key)
        return [Field("amount", _("%(name)s期限") % {"name": _deadline_label(key)}, _number(amount), _unit(clock_kind))]
    if kind == STAGE_TEMPLATE:
        template = _template(reference)
        if template is None:
            return []
        return [Field(f"step-{step.pk}", step.name, str(step.working_days), _("工作日")) for step in template.steps.all()]
    if kind == APPROVAL_RULE:
        policy = ApprovalPolicy.current()
        yes_no = (("1", _("是")), ("0", _("否")))
        return [
            Field("director_threshold", _("总监审批金额（超过，元）"), f"{policy.director_threshold:.2f}", _("元")),
            Field("margin_floor", _("最低利润率"), f"{policy.margin_floor:.4f}", _("如 0.1000 表示 10%")),
            Field("special_terms_need_director", _("特殊条款须总监审批"), _yes_no(policy.special_terms_need_director),
                  choices=yes_no),
            Field("credit_limit_needs_director", _("超出信用额度须总监审批"), _yes_no(policy.credit_limit_needs_director),
                  choices=yes_no),
        ]
    return []


def _number(value) -> str:
    value = Decimal(str(value))
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}".rstrip("0")


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal((text or "").strip().replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _parse(field: Field, text: str, reference: str) -> tuple[object, str | None]:
    """(the new value, or the error in Chinese naming the field)."""
    text = (text or "").strip()
    if text == "":
        return None, _("「%(label)s」请填写新值") % {"label": field.label}
    kind, _sep, key = reference.partition(":")
    if field.choices:
        if text not in ("0", "1"):
            return None, _("「%(label)s」请选择“是”或“否”") % {"label": field.label}
        return text == "1", None
    value = _decimal(text)
    if kind == STAGE_TEMPLATE or (kind == DEADLINE and deadline_length(key)[1] == "working_days"):
        limit = MAX_STEP_DAYS if kind == STAGE_TEMPLATE else MAX_WORKING_DAYS
        if value is None or value != value.to_integral_value() or not 1 <= value <= limit:
            return None, _("「%(label)s」须为 1 到 %(max)s 之间的整数（工作日），而不是“%(value)s”") % {
                "label": field.label, "max": limit, "value": text}
        return int(value), None
    if kind == DEADLINE:
        if value is None or not Decimal("0") < value <= MAX_HOURS or value != value.quantize(Decimal("0.01")):
            return None, _("「%(label)s」须为大于 0、不超过 %(max)s 的数（最多两位小数，%(unit)s），而不是“%(value)s”") % {
                "label": field.label, "max": MAX_HOURS, "unit": field.unit, "value": text}
        return value, None
    if field.name == "director_threshold":
        if value is None or value < 0 or value >= Decimal("1e12") or value != value.quantize(Decimal("0.01")):
            return None, _("「%(label)s」须为不小于 0 的金额（最多两位小数），而不是“%(value)s”") % {
                "label": field.label, "value": text}
        return value.quantize(Decimal("0.01")), None
    if field.name == "margin_floor":
        if value is None or not 0 <= value < 1 or value != value.quantize(Decimal("0.0001")):
            return None, _("「%(label)s」须为 0 到 1 之间的小数（如 0.1000 表示 10%%），而不是“%(value)s”") % {
                "label": field.label, "value": text}
        return value.quantize(Decimal("0.0001")), None
    return None, _("「%(label)s」无法修改") % {"label": field.label}


def _shown(field: Field, value) -> str:
    if field.choices:
        return str(dict(field.choices)["1" if value else "0"])
    return f"{_number(value)} {field.unit}".strip() if field.unit and not field.name.startswith("margin") else _number(value)


def setting_apply(*, reference: str, values: dict, actor) -> dict:
    """Change the setting to ``values`` ({field name: text}): every value checked first, InvalidInput naming each
    wrong one (nothing written); then written and audited. Returns {"setting": label, "changes": [[label, old, new]]}."""
    fields = setting_fields(reference)
    if not fields:
        raise InvalidInput(_("该措施涉及的设置已不存在"), errors={"__all__": [_("设置已被删除，无法应用变更")]})
    errors: dict[str, list[str]] = {}
    new: dict[str, object] = {}
    for field in fields:
        value, error = _parse(field, values.get(field.name, ""), reference)
        if error:
            errors[field.name] = [error]
        else:
            new[field.name] = value
    if errors:
        raise InvalidInput(_("新值有误，设置未修改：%(fields)s") % {
            "fields": "、".join(field.label for field in fields if field.name in errors)}, errors=errors)
    old = {field.name: _parse(field, field.current, reference)[0] for field in fields}
    changed = [field for field in fields if new[field.name] != old[field.name]]
    if not changed:
        raise InvalidInput(_("新值与当前值相同，没有需要应用的变更"),
                           errors={fields[0].name: [_("请至少修改一项")]})
    kind, _sep, key = reference.partition(":")
    if kind == DEADLINE:
        row = DeadlineSetting.objects.select_for_update().filter(kind=key).first()
        created = row is None
        row = row or DeadlineSetting(kind=key)
        row.amount = Decimal(str(new["amount"]))
        row.save()
        audit_record(actor=actor, obj=row, operation="created" if created else "updated",
                     changes={"amount": [str(old["amount"]), str(new["amount"])]})
    elif kind == STAGE_TEMPLATE:
        template = StageTemplate.objects.select_for_update().get(pk=_template(reference).pk)
        steps = {f"step-{step.pk}": step for step in template.steps.all()}
        for field in changed:
            steps[field.name].working_days = new[field.name]
            steps[field.name].save(update_fields=["working_days"])
        audit_record(actor=actor, obj=template, operation="updated",
                     changes={f"{field.label}.working_days": [old[field.name], new[field.name]] for field in changed})
    else:
        policy = ApprovalPolicy.objects.select_for_update().order_by("pk").first() or ApprovalPolicy()
        for field in changed:
            setattr(policy, field.name, new[field.name])
        policy.save()
        audit_record(actor=actor, obj=policy, operation="updated",
                     changes={field.name: [_plain(old[field.name]), _plain(new[field.name])] for field in changed})
    return {"setting": setting_label(reference),
            "changes": [[field.label, _shown(field, old[field.name]), _shown(field, new[field.name])] for field in changed]}


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value
