from django.contrib import admin

from orderloop.orders.models import ApprovalPolicy


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "director_threshold", "margin_floor", "special_terms_need_director",
                    "credit_limit_needs_director")

    def has_add_permission(self, request):
        return not ApprovalPolicy.objects.exists()
