import hashlib
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from orderloop.accounts.roles import Role
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.prepared import PreparedQuery


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


ROLE_CODES = frozenset(Role.values)


def with_group_names(users):
    """``users`` (a query of users, or of rows joined to their user, whose table keeps its name) with
    ``group_names``: the names of the user's groups, comma-separated, read in the same statement — what
    ``User.roles`` would ask for in a statement of its own on every signed-in request."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    joined = "string_agg(g.name, ',')" if connection.vendor == "postgresql" else "group_concat(g.name, ',')"
    return users.annotate(group_names=RawSQL(
        f'SELECT {joined} FROM auth_group g JOIN accounts_user_groups ug ON ug.group_id = g.id '
        'WHERE ug.user_id = "accounts_user"."id"', ()))


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    team = models.ForeignKey(Team, verbose_name=_("所属团队"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members")

    # The master data's stamp, read with the signed-in user's session (accounts.sessions); None otherwise.
    master_data_stamp = None

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        if not self.is_active:
            return frozenset()
        if "group_names" in self.__dict__:  # read with the user (with_group_names): no statement of its own
            names = (self.group_names or "").split(",")
        else:
            names = self.groups.values_list("name", flat=True)
        roles = {name for name in names if name in ROLE_CODES}
        if self.is_superuser:  # `orderloop createsuperuser` makes a system administrator
            roles.add(Role.ADMIN)
        return frozenset(roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [Role(code).label for code in Role.values if code in self.roles]

    def save(self, *args, **kwargs):
        """A new password (``set_password``: the user's own change, the admin's, ``changepassword``) or a deactivated
        account ends every API token of the user, in the transaction of the save. A hash upgraded at login is no
        new password (Django clears ``_password`` for it) and ends nothing: see ``check_password``."""
        if self._password is not None:
            reason = ApiToken.End.PASSWORD_CHANGED
        elif not self.is_active:
            reason = ApiToken.End.DEACTIVATED  # each save of an inactive account: one UPDATE, usually of no row
        else:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            super().save(*args, **kwargs)
            api_tokens_end(self, reason)

    def check_password(self, raw_password):
        """Django's check, which stores the hash again when the hasher has changed (a Django upgrade raises its
        iterations): the same password, so the user's tokens follow the new hash instead of ending."""
        before = self.password
        valid = super().check_password(raw_password)
        if valid and self.pk and self.password != before:
            self._tokens_follow(before)
        return valid

    async def acheck_password(self, raw_password):
        before = self.password
        valid = await super().acheck_password(raw_password)
        if valid and self.pk and self.password != before:
            await ApiToken.objects.filter(user=self, password_fingerprint=password_fingerprint(before)).aupdate(
                password_fingerprint=password_fingerprint(self.password))
        return valid

    def _tokens_follow(self, old_hash: str) -> None:
        ApiToken.objects.filter(user=self, password_fingerprint=password_fingerprint(old_hash)).update(
            password_fingerprint=password_fingerprint(self.password))


def password_fingerprint(password_hash: str) -> str:
    """What a token keeps of its user's password: the SHA-256 of the stored hash (never of the password). Any new
    password, set any way (even by an UPDATE that bypasses ``save``), changes it, and the token stops answering."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 hash is stored, with its first characters to tell tokens
    apart. It answers until it expires or ends: revoked by its user or an administrator, or ended by a new
    password or a deactivated account (``end_reason``); and only while ``password_fingerprint`` matches the
    user's password (services.api_token_user)."""

    class End(models.TextChoices):
        REVOKED = "revoked", _("已撤销")
        PASSWORD_CHANGED = "password_changed", _("密码已更改")
        DEACTIVATED = "deactivated", _("账号已停用")

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(_("令牌开头"), max_length=8, blank=True)
    password_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, verbose_name=_("撤销人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    end_reason = models.CharField(_("失效原因"), max_length=20, choices=End.choices, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self):
        return f"{self.user} {self.key_prefix}…"


def api_tokens_end(user: User, reason: str, *, actor: User | None = None) -> int:
    """End every live token of ``user`` (a new password, a deactivated account), with one audit entry on the user
    when there was any. Tokens ended stay ended if the account is activated again."""
    now = clock.now()
    ended = (ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
             .update(revoked_at=now, end_reason=reason, revoked_by=actor))
    if ended:
        audit_record(actor=actor, obj=user, operation="api_tokens_revoked",
                     changes={"end_reason": reason, "api_tokens": ended})
    return ended


class LoginFailure(models.Model):
    """A failed login (web, admin or API), kept in the database so that every web process counts the same
    failures. ``locks_username_at_address`` / ``locks_address`` mark the failure that reached a limit: the
    lockout of that username from that address, or of the address, runs from it. A successful login sets
    ``cleared`` on the failures of its username from its address (they still count for the address). An
    administrator's unlock sets ``unlocked``: the failure then counts for nothing (throttle.lockout_lift)."""

    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(_("地址"), null=True, blank=True, db_index=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    locks_username_at_address = models.BooleanField(_("锁定该地址的此用户名"), default=False)
    locks_address = models.BooleanField(_("锁定该地址"), default=False)
    cleared = models.BooleanField(_("已由登录成功清除"), default=False)
    unlocked = models.BooleanField(_("已由管理员解除"), default=False)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.username} {self.ip_address or ''} {self.at:%Y-%m-%d %H:%M}"


# Read on every signed-in request, each with the user's roles (with_group_names), compiled once (core.prepared):
# the user of a session, and the token of an API request with its user.
SIGNED_IN_USER = PreparedQuery(User, lambda pk: with_group_names(User._default_manager.filter(pk=pk))[:1],
                               prep=User._meta.pk.get_prep_value, plan_once=True)
TOKEN_AND_USER = PreparedQuery(ApiToken, lambda key_hash: with_group_names(
    ApiToken.objects.select_related("user").filter(key_hash=key_hash))[:1], plan_once=True)


class Session(AbstractBaseSession):
    """A browser's sign-in: Django's database session, with the user it signed in as a column of its own
    (``SessionStore.create_model_instance``), so that every request reads its session, the user with their roles
    and their unread count in one statement (accounts.sessions). Deleting a user ends their sessions."""
    # no foreign key in the database: a session naming a user since deleted is no sign-in (the backend finds no one)
    user = models.ForeignKey(User, verbose_name=_("用户"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", db_constraint=False)

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
