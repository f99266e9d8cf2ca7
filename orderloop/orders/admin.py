from django.contrib import admin
from django.utils.translation import gettext_lazy

from orderloop.core.admin import AuditedAdmin, ReadOnlyAdmin
from orderloop.orders.models import ApprovalPolicy, StageTemplate, StageTemplateStep


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The director rule: changed on its page of the first-run guide (setup.services.approval_policy_save)."""

    list_display = ("__str__", "director_threshold", "margin_floor", "special_terms_need_director",
                    "credit_limit_needs_director")
    readonly_page = ("setup:step", ("approval",), gettext_lazy("“系统设置 → 审批规则”"))
    readonly_reason = gettext_lazy("每次修改都记入审计日志。")


class StageTemplateStepInline(admin.TabularInline):
    model = StageTemplateStep
    extra = 1


@admin.register(StageTemplate)
class StageTemplateAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("name", "is_default")
    inlines = [StageTemplateStepInline]
