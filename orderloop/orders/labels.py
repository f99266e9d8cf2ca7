"""Names of fields and choices as the UI shows them, in the seed's wording."""
from orderloop.orders.models import Channel, OrderStatus, RiskType

LABELS = {
    "verdict": "审核结论", "missing": "需补充/澄清的内容（每行一项）", "reason": "原因", "comment": "意见",
    "channel": "沟通方式", "summary": "沟通内容", "outcome": "沟通结果", "note": "说明",
    "contact_name": "联系人", "contact_phone": "联系方式", "payment_terms": "付款方式", "delivery_address": "交付地址",
    "requested_date": "交付日期", "special_requirements": "特殊需求", "special_terms": "特殊条款", "remarks": "备注",
    "lines": "订单行", "line_id": "行", "availability": "库存状态", "lead_time_days": "生产周期(工作日)",
    "feasible_date": "可交付日期", "agreed_date": "客户同意的交付日期", "talk": "协商记录",
    "stages": "备货/生产环节", "name": "环节", "owner": "负责人(用户名)", "planned_date": "计划完成时间",
    "stage": "当前阶段", "record": "跟进记录", "problem": "存在问题", "measure": "解决措施", "next_step": "下一步计划",
    "actual_date": "实际完成时间", "risk_type": "风险类型", "description": "描述", "risk_id": "风险",
    "mitigation": "解决措施", "goods": "货物清单", "quantity_checked": "已核对产品数量", "qc_passed": "质检合格",
    "qc_report": "质检报告", "method": "物流方式", "carrier": "承运商", "tracking_number": "物流单号", "eta": "预计送达时间",
    "quantity_ok": "数量无误", "spec_ok": "规格无误", "appearance_ok": "外观质量无误", "issues": "验收问题",
    "issue_type": "问题类型", "signed_by": "签收人", "satisfaction": "客户满意度评分(1-5分)",
    "product_id": "产品", "quantity": "数量", "unit_price": "单价(元)",
    "number": "订单编号", "level": "审批级别", "director_reasons": "需总监审批的原因", "back_to": "退回至",
    "changed": "变更内容", "intake_channel": "接收渠道", "fields": "修改字段", "late_lines": "晚于要求日期的行", "total_amount": "总金额(元)",
}
CHOICES = {
    "verdict": {"pass": "通过", "needs_info": "需补充", "reject": "驳回"},
    "channel": {"phone": "电话", "wechat": "微信", "email": "邮件", "visit": "拜访", "other": "其他"},
    "method": {"express": "快递", "less_than_truckload": "零担", "truckload": "整车运输", "pickup": "自提", "other": "其他"},
    "issue_type": {"damaged": "破损", "wrong_model": "型号不符", "wrong_quantity": "数量不符", "other": "其他"},
    "level": {"manager": "销售经理", "director": "销售总监"},
    "back_to": dict(OrderStatus.choices),
    "intake_channel": dict(Channel.choices),
    "risk_type": dict(RiskType.choices),
    "availability": {"in_stock": "现货", "short": "缺货", "needs_production": "需生产"},
}
HIDDEN_IN_TIMELINE = {"verdict", "risk_id", "line_id"}


def display_value(name: str, value) -> str:
    """A payload value as text for the timeline."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(display_value(name, item) for item in value)
    if isinstance(value, dict):
        return "，".join(f"{LABELS.get(k, k)} {display_value(k, v)}" for k, v in value.items()
                        if k not in HIDDEN_IN_TIMELINE and v not in ("", None, []))
    return CHOICES.get(name, {}).get(value, str(value))


def event_details(payload: dict) -> list[tuple[str, str]]:
    return [(LABELS.get(k, k), display_value(k, v)) for k, v in payload.items()
            if k not in HIDDEN_IN_TIMELINE and v not in ("", None, [], {})]

