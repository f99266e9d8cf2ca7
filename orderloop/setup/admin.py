from django.contrib import admin

from orderloop.core.admin import AuditedAdmin
from orderloop.setup.models import CompanyProfile


@admin.register(CompanyProfile)
class CompanyProfileAdmin(AuditedAdmin, admin.ModelAdmin):
    list_display = ("name", "uscc", "phone", "email")

    def has_add_permission(self, request):
        return not CompanyProfile.objects.exists()  # one company
