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
        return frozenset(name for name in self.groups.values_list("name", flat=True) if name in Role.values)

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
