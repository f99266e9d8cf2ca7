from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from orderloop.accounts.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "team", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (("orderloop", {"fields": ("display_name", "phone", "team")}),)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager")
