from django.contrib import admin

from orderloop.setup.models import CompanyProfile


@admin.register(CompanyProfile)
class CompanyProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "phone", "email")

    def has_add_permission(self, request):
        return not CompanyProfile.objects.exists()  # one company
