from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orderloop.accounts.models import LoginFailure, Team, User
from orderloop.accounts.permissions import LOCKOUT_LIFTERS
from orderloop.accounts.throttle import ThrottledLoginFormMixin, lockout_lift


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
    """Failed logins, read-only. The action 解除锁定 lifts, early and audited, the lockout of each selected row's
    username at its address, and of its address if that is locked. Rows are not deleted here (the throttle drops
    them after 30 days), so every early unlock is in the audit log."""

    list_display = ("at", "username", "ip_address", "locks_username_at_address", "locks_address", "cleared", "unlocked")
    list_filter = ("locks_username_at_address", "locks_address", "cleared", "unlocked")
    search_fields = ("username", "ip_address")
    readonly_fields = list_display
    date_hierarchy = "at"
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_unlock_permission(self, request):
        return request.user.has_role(*LOCKOUT_LIFTERS)

    @admin.action(description=gettext_lazy("解除锁定（该地址的此用户名，及被锁定的该地址）"), permissions=["unlock"])
    def unlock(self, request, queryset):
        lifted = sum(lockout_lift(actor=request.user, failure=failure) for failure in queryset)
        self.message_user(request, _("已解除锁定，%(count)s 条失败记录不再计数") % {"count": lifted}, messages.SUCCESS)
