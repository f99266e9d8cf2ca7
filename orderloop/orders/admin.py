from django.contrib import admin

from orderloop.orders.models import ApprovalPolicy, StageTemplate, StageTemplateStep


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "director_threshold", "margin_floor", "special_terms_need_director",
                    "credit_limit_needs_director")

    def has_add_permission(self, request):
        return not ApprovalPolicy.objects.exists()


class StageTemplateStepInline(admin.TabularInline):
    model = StageTemplateStep
    extra = 1


@admin.register(StageTemplate)
class StageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default")
    inlines = [StageTemplateStepInline]
