from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from orderloop.accounts.roles import Role


class Team(models.Model):
    name = models.CharField(_("团队名称"), max_length=100, unique=True)
    manager = models.ForeignKey(
        "accounts.User", verbose_name=_("销售经理"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="managed_teams",
    )

    class Meta:
        verbose_name = _("团队")
        verbose_name_plural = _("团队")

    def __str__(self):
        return self.name


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    team = models.ForeignKey(Team, verbose_name=_("所属团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        if not self.is_active:
            return frozenset()
        roles = {name for name in self.groups.values_list("name", flat=True) if name in Role.values}
        if self.is_superuser:  # `orderloop createsuperuser` makes a system administrator
            roles.add(Role.ADMIN)
        return frozenset(roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [Role(code).label for code in Role.values if code in self.roles]


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")


class LoginFailure(models.Model):
    """A failed login (web, admin or API), kept in the database so that every web process counts the same
    failures. ``locks_username`` / ``locks_address`` mark the failure that reached a limit: the lockout runs
    from it. A successful login sets ``cleared`` on its username's failures (they still count for the address)."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)
    locks_username = models.BooleanField(default=False)
    locks_address = models.BooleanField(default=False)
    cleared = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.username} {self.ip_address or ''} {self.at:%Y-%m-%d %H:%M}"
