from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from orderloop.accounts.models import LoginFailure, Team, User
from orderloop.accounts.permissions import LOCKOUT_LIFTERS
from orderloop.accounts.throttle import ThrottledLoginFormMixin, lockout_lift
from orderloop.core.admin import SECRET, AuditedAdmin
from orderloop.core.audit import audit_record


class ThrottledAdminAuthenticationForm(ThrottledLoginFormMixin, AdminAuthenticationForm):
    pass


admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    """Users, their groups (the roles) and permissions, audited; the password as changed, never its hash."""

    list_display = ("username", "display_name", "team", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (("orderloop", {"fields": ("display_name", "phone", "team")}),)

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        """Django's own page, which saves the password without save_model: audited here, in one transaction."""
        with transaction.atomic():
            before = User.objects.filter(pk=unquote(id)).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=unquote(id)).first()
            if user is not None and before is not None and user.password != before:
                audit_record(actor=request.user, obj=user, operation="updated", changes={"password": [SECRET, SECRET]})
        return response


# Roles are groups named by role code (accounts/roles.py): a group's changes are audited like a user's.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    pass


@admin.register(Team)
class TeamAdmin(AuditedAdmin, admin.ModelAdmin):
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
