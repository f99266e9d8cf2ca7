"""The first-run guide: what a fresh installation still needs before its first real order, and the plain
functions that set each part up. Every change is one transaction with an audit entry."""
import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

import chinese_calendar
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orderloop.accounts.permissions import ORDER_ENTRY
from orderloop.accounts.models import Team, User
from orderloop.accounts.roles import Role
from orderloop.core import clock
from orderloop.core.audit import audit_record, snapshot
from orderloop.core.calendar import BusinessCalendar, calendar_alerts, entries_changed, local_text, notice_known
from orderloop.core.exceptions import DomainError, InvalidInput, NotAllowed
from orderloop.core.models import AuditEntry, CalendarOverride, CalendarYear
from orderloop.masterdata.models import Customer, Product, Qualification
from orderloop.notifications import robots
from orderloop.notifications.models import ChatRobot
from orderloop.orders.models import ApprovalPolicy
from orderloop.orders.timers import DeadlineChange, timers_recompute
from orderloop.core.admin import audit_changes
from orderloop.setup.models import CompanyProfile, SiteAddress, SmsSettings
from orderloop.setup.site import loopback, site_address

# Who must exist before an order can travel: someone to enter it, someone to approve it.
MAIL_TESTED = "mail_tested"

STEP_TITLES = {"company": gettext_lazy("公司信息"), "teams": gettext_lazy("销售团队"), "users": gettext_lazy("用户与角色"),
               "approval": gettext_lazy("审批规则"), "site": gettext_lazy("网站地址"), "masterdata": gettext_lazy("客户与产品"),
               "calendar": gettext_lazy("工作日历"), "robots": gettext_lazy("群机器人"), "mail": gettext_lazy("邮件"),
               "sms": gettext_lazy("短信")}


@dataclass
class Step:
    code: str
    title: str
    required: bool
    done: bool
    summary: str
    warnings: list[str] = field(default_factory=list)


def first_admin_create(*, username: str, display_name: str, email: str, password: str) -> User:
    """The installation's first account, a system administrator; refused once any account exists."""
    with transaction.atomic():
        Team.objects.select_for_update().exists()  # serialise two first visitors on PostgreSQL
        if User.objects.exists():
            raise NotAllowed(_("系统管理员已创建，请登录。"))
        user = _user_create(actor=None, username=username, display_name=display_name, email=email, phone="",
                            team=None, roles=[Role.ADMIN], password=password)
    return user


def _user_create(*, actor, username, display_name, email, phone, team, roles, password) -> User:
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = [_("请填写用户名")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("用户名 %(name)s 已被使用") % {"name": username}]
    unknown = [role for role in roles if role not in Role.values]
    if not roles or unknown:
        errors["roles"] = [_("请至少选择一个角色")]
    try:
        validate_password(password or "", User(username=username, email=email, first_name=display_name))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(_("用户未创建，请修改标出的内容。"), errors=errors)
    user = User(username=username, display_name=(display_name or "").strip(), email=(email or "").strip(),
                phone=(phone or "").strip(), team=team, is_staff=Role.ADMIN in roles, is_superuser=Role.ADMIN in roles)
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role)[0] for role in roles])
    audit_record(actor=actor or user, obj=user, operation="created",
                 changes={"username": username, "roles": sorted(roles), "team": str(team) if team else None})
    return user


@transaction.atomic
def user_create(*, actor, username, display_name="", email="", phone="", team=None, roles=(), password="") -> User:
    return _user_create(actor=actor, username=username, display_name=display_name, email=email, phone=phone,
                        team=team, roles=list(roles), password=password)


COMPANY_FIELDS = ("name", "uscc", "address", "phone", "email", "bank_name", "bank_account")


@transaction.atomic
def company_save(*, actor, data: dict) -> CompanyProfile:
    profile = CompanyProfile.objects.select_for_update().order_by("pk").first() or CompanyProfile()
    before = snapshot(profile, COMPANY_FIELDS) if profile.pk else {}
    for name in COMPANY_FIELDS:
        setattr(profile, name, data.get(name, ""))
    profile.save()
    after = snapshot(profile, COMPANY_FIELDS)
    audit_record(actor=actor, obj=profile, operation="updated" if before else "created",
                 changes={key: [before.get(key), value] for key, value in after.items() if before.get(key) != value})
    return profile


@transaction.atomic
def site_address_save(*, actor, url: str) -> SiteAddress:
    """The address in every link sent outside: scheme, host and port only (the links add their own path)."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(_("网站地址须以 http:// 或 https:// 开头，后跟域名或 IP 地址"), errors={"url": [
            _("网站地址须以 http:// 或 https:// 开头，后跟域名或 IP 地址")]})
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise InvalidInput(_("网站地址只填写协议、域名和端口，如 https://orders.example.com"), errors={"url": [
            _("网站地址只填写协议、域名和端口，如 https://orders.example.com")]})
    address = f"{parts.scheme}://{parts.netloc}"
    row = SiteAddress.objects.select_for_update().order_by("pk").first() or SiteAddress()
    before = row.url
    row.url = address
    row.save()
    audit_record(actor=actor, obj=row, operation="updated" if before else "created", changes={"url": [before, address]})
    return row


@transaction.atomic
def team_create(*, actor, name: str, manager=None) -> Team:
    name = (name or "").strip()
    if Team.objects.filter(name=name).exists():
        raise InvalidInput(_("团队未创建"), errors={"name": [_("团队 %(name)s 已存在") % {"name": name}]})
    team = Team.objects.create(name=name, manager=manager)
    audit_record(actor=actor, obj=team, operation="created", changes={"name": name, "manager": str(manager) if manager else None})
    return team


POLICY_FIELDS = ("director_threshold", "margin_floor", "special_terms_need_director", "credit_limit_needs_director")


@transaction.atomic
def approval_policy_save(*, actor, data: dict) -> ApprovalPolicy:
    policy = ApprovalPolicy.objects.select_for_update().order_by("pk").first() or ApprovalPolicy()
    before = snapshot(policy, POLICY_FIELDS) if policy.pk else {}
    for name in POLICY_FIELDS:
        setattr(policy, name, data[name])
    policy.save()
    after = snapshot(policy, POLICY_FIELDS)
    # Saving the defaults unchanged is still the admin's decision: it is recorded.
    audit_record(actor=actor, obj=policy, operation="updated" if before else "created",
                 changes={key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
                 or {"confirmed": [None, True]})
    return policy


@transaction.atomic
def calendar_override_save(*, actor, day: date, is_workday: bool, note: str) -> list[DeadlineChange]:
    """One day the company works or rests otherwise than the calendar says; open deadlines are counted again."""
    override, created = CalendarOverride.objects.update_or_create(date=day, defaults={"is_workday": is_workday, "note": note})
    changes = timers_recompute(calendar=BusinessCalendar.load(), years={day.year}, now=clock.now())
    audit_record(actor=actor, obj=override, operation="created" if created else "updated",
                 changes={"date": day.isoformat(), "is_workday": is_workday, "note": note,
                          **({"deadlines": [change.as_row() for change in changes]} if changes else {})})
    return changes


# --- a whole year from the State Council's notice --------------------------------------------------------------

@dataclass(frozen=True)
class YearDays:
    """A year's days off (放假) and make-up working days (调休上班), each with its note (e.g. 国庆节)."""

    year: int
    holidays: dict  # date -> note
    workdays: dict  # date -> note

    def overrides(self) -> dict[date, bool]:
        return {**{day: False for day in self.holidays}, **{day: True for day in self.workdays}}


def _notice_names() -> dict[str, str]:
    return {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}


def calendar_year_days(year: int) -> YearDays:
    """What the year's page starts from: the days the admin entered; for a year not entered, those the notices
    shipped with the product give (holidays with their weekend days, so that a holiday reads as one range)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    overrides = CalendarOverride.objects.filter(date__range=(start, end))
    holidays = {o.date: o.note for o in overrides if not o.is_workday}
    workdays = {o.date: o.note for o in overrides if o.is_workday}
    if not CalendarYear.objects.filter(year=year).exists() and notice_known(year):
        names = _notice_names()
        day = start
        while day <= end:
            if day not in holidays and day not in workdays:
                is_holiday, name = chinese_calendar.get_holiday_detail(day)
                if is_holiday and name:
                    holidays[day] = names.get(name, name)
                elif not is_holiday and name and day.weekday() >= 5:
                    workdays[day] = _("%(holiday)s调休") % {"holiday": names.get(name, name)}
            day += timedelta(days=1)
    return YearDays(year, dict(sorted(holidays.items())), dict(sorted(workdays.items())))


def calendar_with(days: YearDays) -> BusinessCalendar:
    """The business calendar as it would be with ``days`` entered for their year: the preview."""
    calendar = BusinessCalendar.load()
    kept = {day: working for day, working in calendar.overrides.items() if day.year != days.year}
    calendar.overrides = {**kept, **days.overrides()}
    calendar.entered_years = calendar.entered_years | {days.year}
    return calendar


@dataclass(frozen=True)
class YearSaved:
    deadlines: list  # DeadlineChange


def calendar_year_save(*, actor, days: YearDays) -> YearSaved:
    """The year's 放假 and 调休上班 days replace what was entered for it, the year counts as entered, and the open
    deadlines it touches are counted again: one transaction, one audit entry with the days and the deadlines."""
    with transaction.atomic():
        year, now = days.year, clock.now()
        before = calendar_year_days(year)
        entry, created = CalendarYear.objects.select_for_update().get_or_create(
            year=year, defaults={"entered_at": now, "entered_by": actor})
        CalendarOverride.objects.filter(date__year=year).delete()
        CalendarOverride.objects.bulk_create(
            [CalendarOverride(date=day, is_workday=False, note=note) for day, note in days.holidays.items()]
            + [CalendarOverride(date=day, is_workday=True, note=note) for day, note in days.workdays.items()])
        entry.entered_at, entry.entered_by = now, actor
        entry.save()
        entries_changed()
        changes = timers_recompute(calendar=BusinessCalendar.load(), years={year}, now=now)
        audit_record(actor=actor, obj=entry, operation="created" if created else "updated", changes={
            "holidays": [_iso(before.holidays), _iso(days.holidays)],
            "workdays": [_iso(before.workdays), _iso(days.workdays)],
            "deadlines": [change.as_row() for change in changes]})
    return YearSaved(changes)


def _iso(days: dict) -> dict:
    return {day.isoformat(): note for day, note in days.items()}


def calendar_year_last_save(year: int) -> AuditEntry | None:
    """The year's last save: who, when, and in ``changes["deadlines"]`` the deadlines it moved."""
    entry = CalendarYear.objects.filter(year=year).first()
    if entry is None:
        return None
    return (AuditEntry.objects.filter(object_type=CalendarYear._meta.label_lower, object_id=str(entry.pk))
            .select_related("actor").order_by("-occurred_at", "-id").first())


@transaction.atomic
def robot_create(*, actor, data: dict) -> ChatRobot:
    robot = ChatRobot.objects.create(**data)
    audit_record(actor=actor, obj=robot, operation="created",
                 changes={"name": robot.name, "kind": robot.kind, "team": str(robot.team) if robot.team else None})
    return robot


def robot_test(*, actor, robot: ChatRobot) -> None:
    """A test message to the group; refused with the robot's answer when it does not arrive."""
    outcome = robots.post(robot, _("【orderloop】测试消息：%(name)s 已接入，订单提醒将发到这个群。") % {"name": robot.name})
    if not outcome.ok:
        raise DomainError(_("测试消息未送达：%(error)s。请检查 Webhook 地址、加签密钥和关键词。") % {"error": outcome.error})
    audit_record(actor=actor, obj=robot, operation="tested", changes={"result": "ok"})


def mail_test(*, actor) -> str:
    """A test e-mail to the admin's own address through the configured mail backend."""
    if not actor.email:
        raise InvalidInput(_("您的账号没有邮箱地址，无法发送测试邮件。"), errors={"email": [_("请先填写邮箱")]})
    try:
        EmailMessage(subject=_("【orderloop】测试邮件"), body=_("邮件设置正确：客户的签收链接、回访评价链接和提醒都将这样发出。"),
                     to=[actor.email]).send()
    except (OSError, ValueError) as exc:  # SMTP refused, connection failed, bad address
        raise DomainError(_("测试邮件未发出：%(error)s。请检查邮件服务器设置。") % {"error": exc}) from exc
    audit_record(actor=actor, obj=actor, operation=MAIL_TESTED, changes={"to": actor.email})
    return actor.email


SMS_FIELDS = ("enabled", "endpoint", "access_key_id", "access_key_secret", "sign_name", "template_logistics_notice",
              "template_rating", "template_ticket_resolved")
SMS_SECRETS = frozenset({"access_key_secret"})


@transaction.atomic
def sms_settings_save(*, actor, data: dict) -> SmsSettings:
    """The SMS provider's settings (系统设置 › 短信); an empty secret keeps the stored one. Enabled, it must have what
    a message needs: the AccessKey, the 签名 and the 物流预告 template. Audited, the secret as changed only."""
    row = SmsSettings.objects.select_for_update().order_by("pk").first() or SmsSettings()
    before = snapshot(row, SMS_FIELDS) if row.pk else {}
    values = {name: data.get(name, getattr(row, name)) for name in SMS_FIELDS}
    for name in SMS_FIELDS:
        if isinstance(values[name], str):
            values[name] = values[name].strip()
    if not values["access_key_secret"]:
        values["access_key_secret"] = row.access_key_secret
    if values["enabled"]:
        required = {"access_key_id": _("请填写 AccessKey ID"), "access_key_secret": _("请填写 AccessKey Secret"),
                    "sign_name": _("请填写短信签名"), "template_logistics_notice": _("请填写物流预告的模板 CODE")}
        errors = {name: [message] for name, message in required.items() if not values[name]}
        if errors:
            raise InvalidInput(_("启用短信前请填写标出的内容"), errors=errors)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    audit_record(actor=actor, obj=row, operation="updated" if before else "created",
                 changes=audit_changes(before, snapshot(row, SMS_FIELDS), SMS_SECRETS))
    return row


def sms_summary() -> str:
    row = SmsSettings.current()
    if row is None or not row.enabled:
        return _("可选：客户选择短信或没有邮箱时，物流预告等经阿里云短信发出")
    key = row.access_key_id
    return _("已启用：签名「%(sign)s」，AccessKey %(key)s") % {"sign": row.sign_name, "key": f"{key[:4]}…{key[-2:]}" if len(key) > 6 else "****"}


def mail_settings() -> list[tuple[str, str]]:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    rows = [(_("发送方式"), {"smtp": _("SMTP 服务器"), "console": _("仅写入日志（未接邮件服务器）"),
                           "locmem": _("仅测试用"), "filebased": _("写入文件（未接邮件服务器）")}.get(backend, backend)),
            (_("发件地址"), settings.DEFAULT_FROM_EMAIL)]
    if backend == "filebased":
        rows.append((_("文件位置"), str(settings.EMAIL_FILE_PATH)))
    if backend == "smtp":
        rows += [(_("服务器"), f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"),
                 (_("加密"), "SSL" if settings.EMAIL_USE_SSL else "STARTTLS" if settings.EMAIL_USE_TLS else _("无")),
                 (_("用户名"), settings.EMAIL_HOST_USER or "—")]
    return rows


def _role_holders() -> dict[str, int]:
    counts = {role: 0 for role in Role.values}
    for name in Group.objects.filter(user__is_active=True).values_list("name", flat=True):
        if name in counts:
            counts[name] += 1
    return counts


def _site_step() -> Step:
    address, source = site_address()
    summary = {"operator": _("%(address)s（由运维以环境变量 ORDERLOOP_BASE_URL 设定）"),
               "setting": "%(address)s",
               "seen": _("%(address)s（同事登录时使用的地址，尚未确认）"),
               "default": _("%(address)s（默认地址，尚未确认）")}[source] % {"address": address}
    warnings = [_("这是本机地址，客户打不开签收和评价链接。请填写客户能访问的地址。")] if loopback(address) else []
    return Step("site", str(STEP_TITLES["site"]), False, source in ("operator", "setting"), summary, warnings)


def setup_steps() -> list[Step]:
    today = clock.today()
    company = CompanyProfile.current()
    teams = Team.objects.count()
    holders = _role_holders()
    missing = [str(Role(role).label) for role, count in holders.items() if not count and role != Role.ADMIN]
    can_enter = any(holders[role] for role in ORDER_ENTRY)
    qualified = Customer.objects.filter(qualification=Qualification.QUALIFIED).count()
    products = Product.objects.filter(is_active=True).count()
    policy = ApprovalPolicy.current()
    # The rule has defaults from the start; the step is done when an admin has looked at them and saved.
    policy_confirmed = AuditEntry.objects.filter(object_type=ApprovalPolicy._meta.label_lower).exists()
    robots_active = ChatRobot.objects.filter(is_active=True).count()
    mail_tested = AuditEntry.objects.filter(operation=MAIL_TESTED).order_by("-occurred_at").first()
    calendar = BusinessCalendar.load()
    alerts = calendar_alerts(today, calendar)
    entered = sorted(year for year in calendar.entered_years if year >= today.year)
    shipped = [year for year in (today.year, today.year + 1) if notice_known(year) and year not in entered]
    return [
        Step("company", str(STEP_TITLES["company"]), True, company is not None,
             company.name if company else _("订单确认单和发给客户的邮件上写的是贵公司的名称、地址和联系方式")),
        _site_step(),
        Step("teams", str(STEP_TITLES["teams"]), True, teams > 0,
             _("%(count)s 个团队") % {"count": teams} if teams else _("销售经理按团队审批和查看订单")),
        Step("users", str(STEP_TITLES["users"]), True, can_enter and holders[Role.SALES_MANAGER] > 0,
             "、".join(f"{Role(role).label} {count}" for role, count in holders.items() if count) or _("尚无用户"),
             [_("尚无人担任：%(roles)s。订单到这一步时将无人处理。") % {"roles": "、".join(missing)}] if missing else []),
        Step("approval", str(STEP_TITLES["approval"]), True, policy_confirmed,
             _("超过 %(amount)s 元或利润率低于 %(margin)s%% 须总监审批") % {
                 "amount": f"{policy.director_threshold:,.2f}", "margin": f"{policy.margin_floor * 100:.1f}"}),
        Step("masterdata", str(STEP_TITLES["masterdata"]), True, qualified > 0 and products > 0,
             _("%(customers)s 个资质合格的客户，%(products)s 个在售产品") % {"customers": qualified, "products": products}),
        Step("calendar", str(STEP_TITLES["calendar"]), False, not alerts,
             "；".join([_("已录入 %(years)s 年放假安排") % {"years": "、".join(map(str, entered))}] * bool(entered)
                      + [_("已内置 %(years)s 年放假安排") % {"years": "、".join(map(str, shipped))}] * bool(shipped))
             or _("期限按工作日计算"),
             [alert.message for alert in alerts]),
        Step("robots", str(STEP_TITLES["robots"]), False, robots_active > 0,
             _("%(count)s 个群机器人") % {"count": robots_active} if robots_active else _("可选：把提醒发到企业微信、钉钉或飞书群")),
        Step("sms", str(STEP_TITLES["sms"]), False, bool(SmsSettings.current() and SmsSettings.current().enabled),
             sms_summary()),
        Step("mail", str(STEP_TITLES["mail"]), False, mail_tested is not None,
             _("测试邮件已于 %(when)s 发出") % {"when": local_text(mail_tested.occurred_at)}
             if mail_tested else _("发送一封测试邮件，确认客户能收到签收和回访评价链接")),
    ]


def ready_for_first_order(steps: list[Step] | None = None) -> bool:
    return all(step.done for step in (steps or setup_steps()) if step.required)


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: str  # workday | weekend | holiday (放假 on a weekday) | makeup (调休上班 on a weekend)
    note: str = ""


def year_calendar(year: int, calendar: BusinessCalendar, notes: dict | None = None) -> list[list[list]]:
    """Twelve months of weeks (Monday first), each cell a CalendarDay or None outside the month."""
    notes = notes or {}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                working, weekend = calendar.is_working_day(day), day.weekday() >= 5
                kind = ("makeup" if weekend else "workday") if working else ("weekend" if weekend and day not in notes else "holiday")
                cells.append(CalendarDay(day, kind, notes.get(day, "")))
            weeks.append(cells)
        months.append(weeks)
    return months
