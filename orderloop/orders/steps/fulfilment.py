"""Steps 3 and 4, 订单确认 and 订单执行: the warehouse or production confirms stock and a feasible date per
line, a later date is agreed with the customer, stocking or production starts on a plan of stages and is
followed up, delay risks are raised and resolved, and the goods are made ready to ship (《发货准备单》)."""
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.finance.gates import deposit_hold
from orderloop.accounts.permissions import ESCALATE_TO_MANAGER
from orderloop.accounts.models import User
from orderloop.core import clock
from orderloop.core.calendar import BusinessCalendar
from orderloop.core.exceptions import DomainError, InvalidInput
from orderloop.core.prepared import PreparedQuery, PreparedUpdate, insert, update
from orderloop.masterdata.services import stock_available
from orderloop.masterdata.stock import Want, stock_reserve
from orderloop.notifications.services import notify
from orderloop.orders import payloads as p
from orderloop.orders.dates import actual_date_problem, default_stage_plan, feasible_date, planned_date_problem
from orderloop.orders.handoffs import handoff_notify, promised_text, running_deadline
from orderloop.orders.lifecycle.spec import Action
from orderloop.orders.lifecycle.table import STAY
from orderloop.orders.lines import open_lines
from orderloop.orders.models import Attachment, EventType, FulfillmentStage, Mitigation, OrderTimer, Risk, TimerKind, TimerState
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.steps.delivery import shipped_quantities
from orderloop.orders.timers import order_url

# Compiled once (core.prepared): the plan's stages, as start_fulfillment, track and the guard of 待发货 ask for them.
_OWNERS = PreparedQuery(User, lambda usernames: User.objects.filter(username__in=usernames).order_by())
_SUPERSEDE = PreparedUpdate(FulfillmentStage, lambda order_id: FulfillmentStage.objects.filter(
    order_id=order_id, superseded=False), ["superseded"])
_FINISH = PreparedUpdate(FulfillmentStage, lambda order_id, name: FulfillmentStage.objects.filter(
    order_id=order_id, superseded=False, name=name, actual_date__isnull=True), ["actual_date"], params=2)
_OPEN_STAGES = PreparedQuery(FulfillmentStage, lambda order_id: FulfillmentStage.objects.filter(
    order_id=order_id, superseded=False, actual_date__isnull=True).order_by("position", "id").only("name"))


def confirm_stock(order, actor, payload: p.ConfirmStockPayload):
    lines = {line.pk: line for line in open_lines(order)}  # a later part: its lines only
    given = {item.line_id: item for item in payload.lines}
    errors = {}
    calendar = BusinessCalendar.load()
    today = clock.today()
    computed = {}
    for index, item in enumerate(payload.lines):
        if item.line_id not in lines:
            errors[f"lines.{index}.line_id"] = [_("不是本订单的行")]
            continue
        if item.availability != "in_stock" and not item.lead_time_days:
            errors[f"lines.{index}.lead_time_days"] = [_("缺货或需生产时须填写生产周期")]
            continue
        computed[item.line_id] = feasible_date(availability=item.availability, lead_time_days=item.lead_time_days,
                                               today=today, calendar=calendar)
        if problem := planned_date_problem(item.feasible_date, order.order_date):
            errors[f"lines.{index}.feasible_date"] = [problem]
            continue
        if item.feasible_date and item.feasible_date != computed[item.line_id].date and not item.date_reason:
            errors[f"lines.{index}.date_reason"] = [
                _("可交付日期与计算结果 %(date)s 不同，请说明原因") % {"date": computed[item.line_id].date.isoformat()}]
    missing = [line.position for line_id, line in lines.items() if line_id not in given]
    if missing:
        errors["lines"] = [_("以下行未确认库存：第 %(rows)s 行") % {"rows": "、".join(map(str, missing))}]
    if errors:
        rows = {f"lines.{index}": lines[item.line_id].position for index, item in enumerate(payload.lines)
                if item.line_id in lines}
        where = [_("第 %(row)s 行") % {"row": rows[path.rpartition(".")[0]]} + message
                 if path.rpartition(".")[0] in rows else message
                 for path, messages in errors.items() for message in messages]
        raise InvalidInput(_("库存确认有误：%(problems)s") % {"problems": "；".join(where)}, errors=errors)
    _reserve_in_stock(order, actor, lines, payload)
    late, recorded = [], []
    for line_id, line in lines.items():
        item = given[line_id]
        line.availability = item.availability
        line.lead_time_days = item.lead_time_days
        line.feasible_date = item.feasible_date or computed[line_id].date
        wanted = line.requested_date or order.requested_date
        if wanted and line.feasible_date > wanted:
            late.append(line.position)
            line.agreed_date = None
        else:
            line.agreed_date = wanted
        update(line, ["availability", "lead_time_days", "feasible_date", "agreed_date"])
        recorded.append({"line_id": line_id, "availability": item.availability.value, "lead_time_days": item.lead_time_days,
                         "feasible_date": line.feasible_date.isoformat(), "computed": computed[line_id].explanation,
                         "date_reason": item.date_reason})
    event = {"lines": recorded, "note": payload.note}
    if late:
        return S.DATE_NEGOTIATION, {**event, "late_lines": late}
    order.promised_date = max((line.agreed_date for line in order.lines.all() if line.agreed_date), default=order.requested_date)
    return S.CONFIRMED, event


def _reserve_in_stock(order, actor, lines: dict, payload: p.ConfirmStockPayload) -> None:
    """Lines confirmed as 现货 hold their quantity from the available stock (on hand − reserved), all of it or
    none: two orders cannot both take the last unit. Confirming again replaces what the order held."""
    indexes = {item.line_id: index for index, item in enumerate(payload.lines)}
    shipped = shipped_quantities(order)  # a later part of the order (a second consignment) holds only what is left
    to_ship = {line_id: line.open_quantity - shipped.get(line_id, Decimal(0)) for line_id, line in lines.items()}
    wants = [Want(line_id, line.product_id, to_ship[line_id]) for line_id, line in lines.items()
             if payload.lines[indexes[line_id]].availability == "in_stock" and to_ship[line_id] > 0]
    shortages = stock_reserve(line_ids=list(lines), wants=wants, actor=actor,
                              reason=_("订单 %(ref)s 确认现货，预留库存") % {"ref": order.ref})
    if not shortages:
        return
    errors, where = {}, []
    for short in shortages:
        line = lines[short.line_id]
        message = _("现货不足：需要 %(wanted)s，可用库存 %(available)s（在库数量 − 已预留数量）") % {
            "wanted": f"{short.wanted.normalize():f}", "available": f"{short.available.normalize():f}"}
        errors[f"lines.{indexes[short.line_id]}.availability"] = [message]
        where.append(_("第 %(row)s 行 %(product)s %(model)s %(message)s") % {
            "row": line.position, "product": line.product_name, "model": line.model, "message": message})
    raise InvalidInput(_("不能确认为现货：%(where)s。请选择「缺货」或「需生产」并填写生产周期") % {"where": "；".join(where)},
                       errors=errors)


def agree_date(order, actor, payload: p.AgreeDatePayload):
    """The date agreed with the customer, per line (协商交期): a line named in ``lines`` takes its own date, the
    others ``agreed_date``; none earlier than the line's feasible date or the order date."""
    lines = {line.pk: line for line in open_lines(order)}  # a later part: its lines only
    dates = {pk: payload.agreed_date for pk in lines}
    errors, where = {}, {}
    for index, item in enumerate(payload.lines):
        if item.line_id not in lines:
            errors[f"lines.{index}.line_id"] = [_("不是本订单的行")]
        elif item.agreed_date is not None:
            dates[item.line_id] = item.agreed_date
            where[item.line_id] = f"lines.{index}.agreed_date"
    for pk, line in lines.items():
        path, agreed = where.get(pk, "agreed_date"), dates[pk]
        if agreed is None:
            errors.setdefault(path, []).append(_("第 %(row)s 行缺少约定交期") % {"row": line.position})
        elif line.feasible_date and agreed < line.feasible_date:
            errors.setdefault(path, []).append(_("第 %(row)s 行约定交期不能早于可交付日期 %(date)s") % {
                "row": line.position, "date": line.feasible_date.isoformat()})
        elif problem := planned_date_problem(agreed, order.order_date):
            errors.setdefault(path, []).append(_("第 %(row)s 行%(problem)s") % {"row": line.position, "problem": problem})
    if errors:
        raise InvalidInput(_("约定交期有误：%(problems)s") % {
            "problems": "；".join(m for msgs in errors.values() for m in msgs)}, errors=errors)
    for pk, line in lines.items():
        line.agreed_date = dates[pk]
        line.save(update_fields=["agreed_date"])
    order.promised_date = max(line.agreed_date for line in order.lines.all() if line.agreed_date)
    event = {"agreed_date": order.promised_date.isoformat(), "talk": payload.talk,
             "lines": [{"line_id": pk, "line": f"{line.position}. {line.product_name} {line.model}",
                        "agreed_date": dates[pk].isoformat()} for pk, line in lines.items()]}
    return _back_from_negotiation(order), event


def _back_from_negotiation(order):
    """A delay agreed during stocking or production goes back to it; a new order goes on to 已确认."""
    opened = order.events.filter(to_status=S.DATE_NEGOTIATION).order_by("-occurred_at", "-id").first()
    return S.IN_FULFILLMENT if opened and opened.from_status == S.IN_FULFILLMENT else S.CONFIRMED


def start_fulfillment(order, actor, payload: p.StartFulfillmentPayload):
    owners = {stage.owner for stage in payload.stages if stage.owner}
    people = {u.username: u for u in _OWNERS.all(sorted(owners))}
    known = {name for name, user in people.items() if user.is_active}
    errors = {f"stages.{i}.owner": [_("用户不存在：%(name)s") % {"name": s.owner}]
              for i, s in enumerate(payload.stages) if s.owner and s.owner not in known}
    for i, stage in enumerate(payload.stages):
        if problem := planned_date_problem(stage.planned_date, order.order_date):
            errors[f"stages.{i}.planned_date"] = [problem]
    if errors:
        raise InvalidInput(_("备货计划有误：%(problems)s") % {"problems": "；".join(
            _("第 %(n)s 个环节 %(problem)s") % {"n": int(path.split(".")[1]) + 1, "problem": m}
            for path, msgs in errors.items() for m in msgs)}, errors=errors)
    _SUPERSEDE.run(order.pk, superseded=True)  # a restart after an amendment replaces the plan
    for i, stage in enumerate(payload.stages):
        insert(FulfillmentStage(order=order, position=i + 1, name=stage.name, owner=people.get(stage.owner),
                                planned_date=stage.planned_date))
    return S.IN_FULFILLMENT, {"stages": [stage.model_dump(mode="json") for stage in payload.stages]}


def track(order, actor, payload: p.TrackPayload):
    """A progress record; one that names a stage of the plan and an actual date finishes that stage."""
    errors = {}
    if problem := actual_date_problem(payload.actual_date):
        errors["actual_date"] = [problem]
    if problem := planned_date_problem(payload.planned_date, order.order_date):
        errors["planned_date"] = [problem]
    if errors:
        raise InvalidInput(_("进度记录有误（环节「%(stage)s」）：%(problems)s") % {
            "stage": payload.stage, "problems": "；".join(m for msgs in errors.values() for m in msgs)}, errors=errors)
    if payload.actual_date:
        _FINISH.run(order.pk, payload.stage, actual_date=payload.actual_date)
    return STAY, payload.model_dump(mode="json", exclude={"version"})


def raise_risk(order, actor, payload: p.RaiseRiskPayload):
    risk = Risk.objects.create(order=order, risk_type=payload.risk_type, description=payload.description,
                               raised_by=actor, raised_at=clock.now())
    return STAY, {"risk_id": risk.pk, "risk_type": risk.risk_type, "description": risk.description}


def resolve_risk(order, actor, payload: p.ResolveRiskPayload):
    """Close a risk with its mitigation; agreeing a delay with the customer reopens the date (协商交期)."""
    risk = order.risks.filter(pk=payload.risk_id, resolved_at__isnull=True).first()
    if risk is None:
        raise InvalidInput(_("没有这个未解决的风险"), errors={"risk_id": [_("风险不存在或已解决")]})
    risk.mitigation_type = payload.mitigation_type
    risk.mitigation = payload.mitigation
    risk.resolved_by = actor
    risk.resolved_at = clock.now()
    risk.save(update_fields=["mitigation_type", "mitigation", "resolved_by", "resolved_at"])
    event = {"risk_id": risk.pk, "risk_type": risk.risk_type, "mitigation_type": risk.mitigation_type,
             "mitigation": risk.mitigation}
    if payload.mitigation_type == Mitigation.NEGOTIATE_DELAY:
        return S.DATE_NEGOTIATION, event
    return STAY, event


def prepare_shipment(order, actor, payload: p.PrepareShipmentPayload):
    """《发货准备单》: the goods list, the quantity and quality check, the QC report."""
    problems = {}
    if not payload.quantity_checked:
        problems["quantity_checked"] = [_("发货前须核对产品数量")]
    if not payload.qc_passed:
        problems["qc_passed"] = [_("质检未通过：请处理后重新质检")]
    if problems:
        raise DomainError(_("不能执行「发货准备」：%(reasons)s") % {
            "reasons": "；".join(m for msgs in problems.values() for m in msgs)}, errors=problems)
    event = payload.model_dump(mode="json", exclude={"version", "qc_report_attachment_id"})
    if payload.qc_report_attachment_id is not None:
        report = order.attachments.filter(pk=payload.qc_report_attachment_id, kind=Attachment.Kind.QC_REPORT).first()
        if report is None:
            raise InvalidInput(_("质检报告文件不存在"), errors={"qc_report_attachment_id": [_("不是本订单的质检报告")]})
        event.update(qc_report_attachment_id=report.pk, qc_report_file=report.filename)
    return S.READY_TO_SHIP, event


# --- guards ------------------------------------------------------------------------------------------------------

def _open_risk_guard(order, user):
    return None if any(risk.resolved_at is None for risk in order.risks.all()) else _("没有未解决的风险")


def _stages_done_guard(order, user):
    if hasattr(order, "open_stages"):  # fetched with a list of orders (steps.guards)
        open_stages = [stage.name for stage in order.open_stages]
    else:
        open_stages = [stage.name for stage in _OPEN_STAGES.all(order.pk)]
    if open_stages:
        return _("以下环节尚未完成：%(stages)s") % {"stages": "、".join(open_stages)}
    return None


# --- whom they tell ----------------------------------------------------------------------------------------------

def _tell_risk(order, event, event_payload):
    """A delay risk goes to the sales manager at once (问题不过夜): its deadline is met as it is raised."""
    now = event.occurred_at
    OrderTimer.objects.create(order=order, kind=TimerKind.RISK, started_at=now, due_at=now, met_at=now,
                              state=TimerState.MET, escalate_to=ESCALATE_TO_MANAGER)
    notify(event="risk_raised", key=f"risk:{event_payload['risk_id']}", order=order, url=order_url(order),
           subject=_("订单 %(ref)s 出现延期风险") % {"ref": order.ref}, body=event_payload.get("description", ""))


def _tell_negotiation(order, event, event_payload, *, detail=None):
    """A date to negotiate goes to the account manager (交期协商): a delay agreed while resolving a risk, or a
    feasible date later than the customer's found by the stock check."""
    if order.status == S.DATE_NEGOTIATION:
        handoff_notify(order, event="date_negotiation", key=f"event:{event.pk}", step=_("交期协商"), actor=event.actor,
                       asked=_("可交付日期晚于客户要求日期，请提前与客户协商调整交期，并记录协商结果"),
                       detail=event_payload.get("mitigation", "") if detail is None else detail,
                       deadline=running_deadline(order, since=event.occurred_at))


def _tell_to_start(order, event, *, asked):
    """An order confirmed goes to the warehouse and production, to stock or make it (备货/生产)."""
    handoff_notify(order, event="order_confirmed", key=f"event:{event.pk}", step=_("已确认"), actor=event.actor,
                   asked=asked, detail=promised_text(order), deadline=running_deadline(order, since=event.occurred_at))


START_ASKED = N_("根据确认订单安排备货或生产，明确各环节负责人及时间节点")


def _tell_stock_confirmed(order, event, event_payload):
    if order.status == S.DATE_NEGOTIATION:
        late = "、".join(map(str, event_payload.get("late_lines", [])))
        _tell_negotiation(order, event, event_payload, detail=_("可交付日期晚于客户要求的行：第 %(rows)s 行") % {"rows": late})
    elif order.status == S.CONFIRMED:
        _tell_to_start(order, event, asked=_(START_ASKED))


def _tell_date_agreed(order, event, event_payload):
    if order.status == S.CONFIRMED:
        _tell_to_start(order, event, asked=_(START_ASKED))
    else:  # a delay agreed during stocking or production
        _tell_to_start(order, event, asked=_("交期已与客户协商调整为 %(date)s，请按新交期继续备货/生产") % {
            "date": event_payload.get("agreed_date", "")})


def _tell_shipment_prepared(order, event, event_payload):
    """《发货准备单》 to logistics and the sales assistant."""
    handoff_notify(order, event="shipment_prepared", key=f"event:{event.pk}", step=_("待发货"), actor=event.actor,
                   asked=_("根据《发货准备单》安排发货，确认物流方式、物流单号及预计送达时间"),
                   detail="\n".join(filter(None, [_("货物清单：%(goods)s") % {"goods": event_payload.get("goods", "")},
                                                   promised_text(order)])))


# --- what their forms start with ---------------------------------------------------------------------------------

def _confirm_stock_initial(order) -> dict:
    """Suggested from the stock levels; an empty feasible date is computed on the business calendar."""
    lines = open_lines(order)
    available = stock_available([line.product_id for line in lines])
    return {"lines": [{"line_id": line.pk, "lead_time_days": "", "feasible_date": "", "date_reason": "",
                       "availability": "in_stock" if available.get(line.product_id, Decimal(0)) >= line.quantity else "short"}
                      for line in lines]}


# Register 2's 当前阶段 outside 备货/生产, in the seed's words (its 202405-002 row: 客户验收).
PROCESS_STAGES = {
    S.RECEIVED: N_("初步审核"), S.NEEDS_INFO: N_("初步审核"), S.PENDING_APPROVAL: N_("订单审批"),
    S.PENDING_DIRECTOR: N_("订单审批"), S.PENDING_STOCK_CHECK: N_("确认库存"), S.DATE_NEGOTIATION: N_("交期协商"),
    S.CONFIRMED: N_("生产备货"), S.IN_FULFILLMENT: N_("生产备货"), S.READY_TO_SHIP: N_("订单交付"),
    S.SHIPPED: N_("客户验收"), S.DELIVERED: N_("售后跟进"),
}


def _agree_date_initial(order) -> dict:
    """One date for the order, starting at the latest feasible date; a line given its own date keeps it."""
    lines = open_lines(order)
    latest = max((line.feasible_date for line in lines if line.feasible_date), default=None)
    return {"agreed_date": latest or "", "lines": [{"line_id": line.pk, "agreed_date": ""} for line in lines]}


def _track_initial(order) -> dict:
    """The stage in hand: in 备货/生产 the first one of the plan not yet done; elsewhere the process's stage."""
    current = None
    if order.status == S.IN_FULFILLMENT:
        current = order.stages.filter(superseded=False, actual_date__isnull=True).order_by("position", "id").first()
    if current is None:
        return {"stage": _(PROCESS_STAGES.get(order.status, N_("生产备货")))}
    return {"stage": current.name, "planned_date": current.planned_date}


def _prepare_shipment_initial(order) -> dict:
    """The goods list; the quantity and QC checks start unticked: the warehouse ticks what it checked."""
    return {"goods": "\n".join(f"{line.product_name} {line.model} × {line.quantity.normalize():f}" for line in open_lines(order))}


ACTIONS = [
    Action("confirm_stock", N_("确认库存"), EventType.STOCK_CONFIRMED, p.ConfirmStockPayload, confirm_stock,
           meets=frozenset({TimerKind.STOCK_CHECK}), initial=_confirm_stock_initial, notice=_tell_stock_confirmed),
    Action("agree_date", N_("确认交期"), EventType.DATE_AGREED, p.AgreeDatePayload, agree_date,
           meets=frozenset({TimerKind.NEGOTIATION}), initial=_agree_date_initial, notice=_tell_date_agreed),
    Action("start_fulfillment", N_("开始备货/生产"), EventType.FULFILLMENT_STARTED, p.StartFulfillmentPayload,
           start_fulfillment, guards=(deposit_hold,), initial=lambda order: {"stages": default_stage_plan(order)}),
    Action("track", N_("进度跟进"), EventType.PROGRESS_TRACKED, p.TrackPayload, track,
           meets=frozenset({TimerKind.TRACKING}), starts=frozenset({TimerKind.TRACKING}), initial=_track_initial,
           incidental=True, work_in=frozenset({S.IN_FULFILLMENT})),
    Action("raise_risk", N_("上报风险"), EventType.RISK_RAISED, p.RaiseRiskPayload, raise_risk, notice=_tell_risk,
           incidental=True),
    Action("resolve_risk", N_("解决风险"), EventType.RISK_RESOLVED, p.ResolveRiskPayload, resolve_risk,
           guards=(_open_risk_guard,), notice=_tell_negotiation, quiet=True, incidental=True),
    Action("prepare_shipment", N_("发货准备"), EventType.SHIPMENT_PREPARED, p.PrepareShipmentPayload, prepare_shipment,
           guards=(_stages_done_guard,), notice=_tell_shipment_prepared, initial=_prepare_shipment_initial),
]
