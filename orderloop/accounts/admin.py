from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from orderloop.accounts.models import LoginFailure, Team, User
from orderloop.accounts.throttle import ThrottledLoginFormMixin


class ThrottledAdminAuthenticationForm(ThrottledLoginFormMixin, AdminAuthenticationForm):
    pass


admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "team", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (("orderloop", {"fields": ("display_name", "phone", "team")}),)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager")


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Failed logins, read-only; deleting a username's or address's rows lifts its lockout early."""

    list_display = ("at", "username", "ip_address", "locks_username", "locks_address", "cleared")
    list_filter = ("locks_username", "locks_address", "cleared")
    search_fields = ("username", "ip_address")
    readonly_fields = list_display
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
