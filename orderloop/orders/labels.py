"""Names of fields and choices as the UI shows them, in the seed's wording."""
from datetime import datetime
from functools import lru_cache

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.accounts.models import ApiToken
from orderloop.accounts.roles import Role
from orderloop.aftersales.models import TicketType
from orderloop.core.calendar import local_text
from orderloop.masterdata.models import Qualification
from orderloop.orders.models import Channel, Mitigation, OrderStatus, RiskType

# The order list's columns (its headings sort, its rows: templatetags/order_rows.py): (selectors.SORTS key, heading)
ORDER_LIST_COLUMNS = [("number", N_("订单编号")), ("customer_name", N_("客户名称")), ("order_date", N_("下单日期")),
                      ("requested_date", N_("交付日期")), ("total_amount", N_("总金额(元)")),
                      ("owner", N_("销售负责人")), ("status", N_("订单状态"))]

LABELS = {
    "payment_plan": N_("付款计划"), "instalments": N_("分期"), "instalment": N_("期数"), "outstanding": N_("未收金额(元)"), "due_date": N_("到期日"),
    "verdict": N_("审核结论"), "missing": N_("需补充/澄清的内容"), "reason": N_("原因"), "comment": N_("意见"),
    "channel": N_("沟通方式"), "summary": N_("沟通内容"), "outcome": N_("沟通结果"), "note": N_("说明"),
    "contact_name": N_("联系人"), "contact_phone": N_("联系方式"), "payment_terms": N_("付款方式"), "delivery_address": N_("交付地址"),
    "requested_date": N_("交付日期"), "special_requirements": N_("特殊需求"), "special_terms": N_("特殊条款"), "remarks": N_("备注"),
    "lines": N_("订单行"), "line_id": N_("行"), "availability": N_("库存状态"), "lead_time_days": N_("生产周期(工作日)"),
    "feasible_date": N_("可交付日期"), "date_reason": N_("日期调整原因"), "computed": N_("计算依据"), "diff": N_("变更明细"), "keep_quantity": N_("保留数量"), "line": N_("订单行"), "agreed_date": N_("客户同意的交付日期"), "talk": N_("协商记录"),
    "stages": N_("备货/生产环节"), "name": N_("环节"), "owner": N_("负责人(用户名)"), "planned_date": N_("计划完成时间"),
    "stage": N_("当前阶段"), "record": N_("跟进记录"), "problem": N_("存在问题"), "measure": N_("解决措施"), "next_step": N_("下一步计划"),
    "actual_date": N_("实际完成时间"), "risk_type": N_("风险类型"), "description": N_("描述"), "risk_id": N_("风险"),
    "mitigation": N_("解决措施"), "goods": N_("货物清单"), "quantity_checked": N_("已核对产品数量"), "qc_passed": N_("质检合格"),
    "qc_report": N_("质检结论"), "qc_report_attachment_id": N_("质检报告"), "qc_report_file": N_("质检报告"),
    "mitigation_type": N_("解决方式"), "batch": N_("发货批次"), "shipment_id": N_("发货批次"),
    "photo_attachment_id": N_("照片"), "receipt_attachment_id": N_("签字的签收单"), "checks": N_("核对结果"),
    "receipt_via": N_("签收方式"), "ticket_ids": N_("售后工单"), "method": N_("物流方式"), "carrier": N_("承运商"), "tracking_number": N_("物流单号"), "eta": N_("预计送达时间"),
    "quantity_ok": N_("数量无误"), "spec_ok": N_("规格无误"), "appearance_ok": N_("外观质量无误"), "issues": N_("验收问题"),
    "quantity_note": N_("数量：不合格说明"), "spec_note": N_("规格：不合格说明"), "appearance_note": N_("外观：不合格说明"),
    "quantity_photo_attachment_ids": N_("数量：照片"), "spec_photo_attachment_ids": N_("规格：照片"),
    "appearance_photo_attachment_ids": N_("外观：照片"), "answers": N_("验收结果"), "item": N_("验收项目"),
    "answer": N_("结论"), "photos": N_("照片"), "remark": N_("客户签收备注"),
    "issue_type": N_("问题类型"), "signed_by": N_("签收人"), "satisfaction": N_("客户满意度评分(1-5分)"),
    "need_type": N_("售后需求类型"), "usage": N_("产品使用情况"), "need": N_("售后需求"), "rated_by": N_("评价人"),
    "product_id": N_("产品"), "quantity": N_("数量"), "unit_price": N_("单价(元)"), "amount": N_("金额(元)"),
    "model": N_("规格型号"), "part": N_("部分"),
    "number": N_("订单编号"), "level": N_("审批级别"), "director_reasons": N_("需总监审批的原因"), "back_to": N_("退回至"),
    "changed": N_("变更内容"), "intake_channel": N_("接收渠道"), "customer_id": N_("客户资质"), "ticket_type": N_("反馈类型"),
    "solution_type": N_("处理措施"), "solution": N_("解决方案"), "promised_at": N_("承诺完成时间"), "result": N_("处理结果"), "confirmed": N_("客户确认已解决"), "fields": N_("修改字段"), "late_lines": N_("晚于要求日期的行"), "total_amount": N_("总金额(元)"),
    "file": N_("导入文件"), "import_run": N_("导入记录"), "imported_status": N_("导入时的阶段"), "sheet_number": N_("表中订单编号"),
    "rows": N_("表中行号"),
}
# A field of a row (e.g. one line of 确认交期) where the same name on the form itself means something else.
# A form's hint, shown after the field's label on the action forms only (form_label): never in the timeline, the
# audit log or a printed document.
HINTS = {"missing": N_("每行一项"), "feasible_date": N_("留空自动计算"), "qc_report_attachment_id": N_("PDF/图片"),
         "receipt_attachment_id": N_("PDF/图片")}
ROW_LABELS = {"agreed_date": N_("本行约定交期（留空按上面的日期）")}



class Texts:
    """Labels as text in the active language, each translated once: an order's timeline names the same dozen
    fields, choices and states dozens of times, and each translation asks the catalog of the request's language
    again. ``texts(label)``: a message id (gettext; kept per language for the process, as the catalogs are, see
    _translated) or a lazy label (a model's choice, kept while the Texts lives so that it is the same one each time
    it is asked)."""

    def __init__(self):
        self._language = get_language()
        self._known: dict = {}

    def __call__(self, label) -> str:
        if type(label) is str:
            return _translated(self._language, label)
        found = self._known.get(id(label))
        if found is None:
            found = self._known[id(label)] = (label, str(label))
        return found[1]


@lru_cache(maxsize=4096)
def _translated(language: str | None, message: str) -> str:
    """gettext of ``message`` in ``language``, the active one when asked (Texts): a catalog does not change while
    the process runs. Bounded: a payload's free text is looked up too (display_value)."""
    return _(message)


def form_label(name: str) -> str:
    """A field's label on a form: its name, and its hint in brackets when it has one."""
    label = _(LABELS.get(name, name))
    return _("%(label)s（%(hint)s）") % {"label": label, "hint": _(HINTS[name])} if name in HINTS else label


CHOICES = {
    "verdict": {"pass": N_("通过"), "needs_info": N_("需补充"), "reject": N_("驳回")},
    "channel": {"phone": N_("电话"), "wechat": N_("微信"), "email": N_("邮件"), "visit": N_("拜访"), "other": N_("其他"),
                "link": N_("客户在线评价"), "sms": N_("短信")},
    "method": {"express": N_("快递"), "less_than_truckload": N_("零担"), "truckload": N_("整车运输"), "pickup": N_("自提"), "other": N_("其他")},
    "issue_type": {"damaged": N_("破损"), "wrong_model": N_("型号不符"), "wrong_quantity": N_("数量不符"), "other": N_("其他")},
    "level": {"manager": N_("销售经理"), "director": N_("销售总监")},
    "back_to": dict(OrderStatus.choices),
    "imported_status": dict(OrderStatus.choices),
    "intake_channel": dict(Channel.choices),
    "ticket_type": dict(TicketType.choices),
    "need_type": dict(TicketType.choices),
    "solution_type": {"repair": N_("维修"), "replace": N_("换货"), "refund": N_("退款"), "guidance": N_("指导"),
                      "other": N_("其他")},
    "changed": {"lines": N_("订单行"), "payment_terms": N_("付款方式"), "special_terms": N_("特殊条款"),
                "delivery_address": N_("交付地址"), "requested_date": N_("交付日期")},
    "risk_type": dict(RiskType.choices),
    "mitigation_type": dict(Mitigation.choices),
    "receipt_via": {"scan": N_("签收单扫描件"), "link": N_("系统回执")},
    "item": {"quantity": N_("数量"), "spec": N_("规格"), "appearance": N_("外观")},
    "answer": {"pass": N_("合格"), "fail": N_("不合格")},
    "availability": {"in_stock": N_("现货"), "short": N_("缺货"), "needs_production": N_("需生产")},
    "end_reason": dict(ApiToken.End.choices),
    "qualification": dict(Qualification.choices),
}
INSTALMENT_LABELS = {"number": N_("期数")}
CHOICES["fields"] = LABELS  # which fields a correction changed
HIDDEN_IN_TIMELINE = {"id", "verdict", "risk_id", "line_id", "ticket_id", "qc_report_attachment_id", "shipment_id", "complete",
                      "ticket_ids"}


def user_names(usernames, known_users=()) -> dict[str, str]:
    """{username: the name shown} of those users: of those among ``known_users`` (users already read, e.g. the
    actors of the events that name them), as str(user); the others in one statement (none when there are none)."""
    from orderloop.accounts.models import User

    known = {user.username: str(user) for user in known_users if user is not None}
    usernames = set(usernames)
    names = {username: known[username] for username in usernames if username in known}
    if len(names) < len(usernames):
        rows = User.objects.filter(username__in=usernames - names.keys()).values_list("username", "display_name")
        names.update((username, shown or username) for username, shown in rows)  # as str(user)
    return names


def payload_owners(value) -> set[str]:
    """The usernames a payload records as owners (a stage's owner), at any depth."""
    if isinstance(value, dict):
        return set().union(*(({v} if k == "owner" and isinstance(v, str) else payload_owners(v)) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(payload_owners(item) for item in value))
    return set()


def display_value(name: str, value, names: dict[str, str] | None = None, texts=_) -> str:
    """A payload value as text for the timeline; ``names``: user_names of the payload's owners, read beforehand;
    ``texts``: how a label becomes text (a Texts for many values)."""
    if isinstance(value, bool):
        return texts("是") if value else texts("否")
    if isinstance(value, list):
        return "；".join(display_value(name, item, names, texts) for item in value)
    if isinstance(value, dict) and name == "payment_plan":  # an instalment's change (finance.plans.plan_sync)
        return "，".join(f"{texts(LABELS.get(k, k))} {_change_text(k, v, names, texts)}" for k, v in _numbered(value)
                        if k not in HIDDEN_IN_TIMELINE and v not in ("", None, [], [None, None]))
    if isinstance(value, dict):
        labels = INSTALMENT_LABELS if name == "instalments" else LABELS  # 付款放行/尾款核销: the plan's instalments
        return "，".join(f"{texts(labels.get(k) or LABELS.get(k, k))} {display_value(k, v, names, texts)}"
                        for k, v in _numbered(value) if k not in HIDDEN_IN_TIMELINE and v not in ("", None, []))
    if name == "roles" and value in Role.values:
        return str(Role(value).label)
    if name == "owner" and isinstance(value, str):  # a stage's owner, recorded by username: shown by name
        return (user_names([value]) if names is None else names).get(value, value)
    if name.endswith("_at") and isinstance(value, str):  # a moment, stored as ISO 8601
        try:
            return local_text(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(texts(CHOICES.get(name, {}).get(value, str(value))))


def _numbered(value: dict) -> list[tuple]:
    """A payload's part with its instalment's number first (期数 1，金额(元) …): PostgreSQL's JSON keeps a part's
    keys in an order of its own (shortest first), SQLite's as written."""
    return sorted(value.items(), key=lambda item: item[0] != "instalment")


def _change_text(name: str, value, names, texts) -> str:
    """A value recorded as [before, after] as the audit log shows a change, 旧 → 新 (— where there was none or is
    none now: an instalment dropped); a new or unchanged one's value alone. Any other as display_value shows it."""
    if not (isinstance(value, list) and len(value) == 2):
        return display_value(name, value, names, texts)
    before, after = ("—" if item in ("", None) else display_value(name, item, names, texts) for item in value)
    return after if value[0] in ("", None) or value[0] == value[1] else f"{before} → {after}"


def event_details(payload: dict, names: dict[str, str] | None = None, texts=_) -> list[tuple[str, str]]:
    return [(texts(LABELS.get(k, k)), display_value(k, v, names, texts)) for k, v in payload.items()
            if k not in HIDDEN_IN_TIMELINE and v not in ("", None, [], {})]



AUDIT_OPERATIONS = {
    "downloaded": N_("导出/下载"), "created": N_("新建"), "updated": N_("修改"), "deleted": N_("删除"), "archived": N_("归档"),
    "tested": N_("发送测试消息"), "mail_tested": N_("发送测试邮件"),
    "action_item_added": N_("提出优化措施"), "action_item_done": N_("完成优化措施"), "review_filed": N_("提交月度复盘"),
    "revoked": N_("撤销"), "api_tokens_revoked": N_("接口令牌失效"), "unlocked": N_("解除登录锁定"),
    "qualification_submitted": N_("上传资质资料"), "qualification_decided": N_("审核客户资质"),
    "invoice_requested": N_("开票申请"), "invoice_issued": N_("登记发票"), "invoice_reversed": N_("红冲发票"),
    "invoice_withdrawn": N_("撤回开票申请"),
    "plan_changed": N_("付款计划变更"),
    "receipt_recorded": N_("登记回款"), "payment_allocated": N_("回款核销"),
    "statement_imported": N_("导入银行流水"),
}
AUDIT_OBJECTS = {
    "orders.salesorder": N_("订单"), "masterdata.customer": N_("客户"), "masterdata.product": N_("产品"),
    "aftersales.ticket": N_("客户反馈"), "reviews.monthlyreview": N_("月度复盘"), "reviews.actionitem": N_("优化措施"),
    "export": N_("导出"), "orders.approvalpolicy": N_("审批规则"), "setup.companyprofile": N_("公司信息"),
    "accounts.user": N_("用户"), "accounts.team": N_("团队"), "core.calendaroverride": N_("日历调整"),
    "notifications.chatrobot": N_("群机器人"), "accounts.apitoken": N_("接口令牌"),
    "accounts.loginfailure": N_("登录失败记录"),
    "finance.invoice": N_("发票"),
    "finance.receipt": N_("回款"), "finance.statementimport": N_("银行流水导入"),
}
AUDIT_DETAILS = {"what": N_("内容"), "path": N_("地址与筛选"), "rows": N_("行数"), "roles": N_("角色"),
                 "confirmed": N_("确认"), "to": N_("收件人"), "result": N_("结果"), "api_tokens": N_("接口令牌数"),
                 "user": N_("用户"), "end_reason": N_("失效原因"), "failures": N_("失败记录数"), "locks_address": N_("同时解除该地址的锁定"),
                 "invoice": N_("发票"), "instalment": N_("期数"), "receipt": N_("回款")}


def person_text(user) -> str:
    """A person as the audit log names them: 张三（销售经理）; their login name when they have no name."""
    if user is None:
        return _("系统")
    roles = "、".join(str(label) for label in user.role_labels)
    return f"{user}（{roles}）" if roles else str(user)


def audit_display(entry) -> dict:
    """An audit entry as people read it: the operation and object by name, each change as 字段：旧 → 新."""
    from django.apps import apps

    from orderloop.orders.events import event_label
    from orderloop.orders.lifecycle.table import status_label

    try:
        model = apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        model = None

    def model_field(name):
        try:
            return model._meta.get_field(name) if model else None
        except FieldDoesNotExist:  # a field since removed from the model
            return None

    def field_label(name):
        """The entry's own model names its fields (a customer's 名称, not the 环节 of an order's stage plan)."""
        if name in AUDIT_DETAILS:
            return _(AUDIT_DETAILS[name])
        field = model_field(name)
        if field is not None and hasattr(field, "verbose_name"):
            return str(field.verbose_name)
        return _(LABELS[name]) if name in LABELS else name  # a field since removed: its code is all we have

    def related_text(field, item) -> str:
        """A foreign key, recorded by its id, shown as what it names: a person by name and role."""
        from orderloop.accounts.models import User

        related = field.related_model.objects.filter(pk=item).first()
        if related is None:
            return str(item)
        return person_text(related) if isinstance(related, User) else str(related)

    def value(name, item):
        if item in (None, "", [], {}):
            return "—"
        if name == "what" and isinstance(item, str):  # a register's or document's title, recorded in Chinese
            stem, dot, extension = item.rpartition(".")
            if not (dot and extension.isalnum()):
                stem, extension = item, ""
            title, space, rest = stem.partition(" ")  # 订单复盘报告 2024-05
            return f"{_(title)}{space}{rest}" + (f".{extension}" if extension else "")
        field = model_field(name)
        if entry.object_type == "finance.invoice" and field is not None and field.choices:  # an invoice's status, kind
            return str(dict(field.flatchoices).get(item, item))
        if name in ("status", "from_status", "to_status"):
            return status_label(item)
        if field is not None and field.is_relation and field.many_to_one and isinstance(item, int):
            return related_text(field, item)
        return display_value(name, item)

    lines = []
    for name, change in (entry.changes or {}).items():
        if isinstance(change, list) and len(change) == 2:
            lines.append(f"{field_label(name)}：{value(name, change[0])} → {value(name, change[1])}")
        else:
            lines.append(f"{field_label(name)}：{value(name, change)}")
    operation = _(AUDIT_OPERATIONS[entry.operation]) if entry.operation in AUDIT_OPERATIONS else event_label(entry.operation)
    if entry.object_type in AUDIT_OBJECTS:
        shown_object = _(AUDIT_OBJECTS[entry.object_type])
    else:  # a record changed in Django's admin (a group, a contact, a notification route, …): its model's name
        shown_object = str(model._meta.verbose_name) if model else entry.object_type
    return {"operation": operation, "object": shown_object, "actor": person_text(entry.actor) if entry.actor_id else _("系统"),
            "changes": lines}


def timer_labels(timers, events) -> None:
    """Each deadline's name as the order page shows it (``timer.label``): an approval deadline reads 经理审批 or
    总监审批, by the state the order had entered when it started (the event at or before its start)."""
    for timer in timers:
        timer.label = timer.get_kind_display()
        if timer.kind != "approval":
            continue
        entered = [e for e in events if e["occurred_at"] <= timer.started_at and e["to_status"]]
        director = bool(entered) and entered[-1]["to_status"] == OrderStatus.PENDING_DIRECTOR
        timer.label = _("总监审批") if director else _("经理审批")
