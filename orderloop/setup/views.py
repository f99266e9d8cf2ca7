"""The first-run guide's pages: thin. Each step shows what is there, takes one form, calls one service."""
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orderloop.accounts.permissions import ADMINISTRATORS
from orderloop.accounts.models import Team, User
from orderloop.accounts.services import first_admin_needed
from orderloop.core import clock
from orderloop.core.calendar import BusinessCalendar
from orderloop.core.exceptions import DomainError
from orderloop.core.ids import id_or_none
from orderloop.core.models import CalendarOverride
from orderloop.masterdata.models import Customer, Product
from orderloop.notifications.models import ChatRobot
from orderloop.orders.models import ApprovalPolicy
from orderloop.setup import forms, services
from orderloop.setup.models import CompanyProfile, SiteAddress, SmsSettings
from orderloop.setup.site import request_address, site_address


class Verbatim(str):
    """A table cell that is data in Latin letters (a login name): marked translate="no" on the page."""

    untranslated = True


def _admin(request):
    if not request.user.has_role(*ADMINISTRATORS):
        raise PermissionDenied(_("只有系统管理员可以进行系统设置"))


def first_admin(request):
    """A fresh installation has no account: the first visitor creates the system administrator."""
    form = forms.FirstAdminForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.first_admin_create(username=data["username"], display_name=data["display_name"],
                                                   email=data["email"], password=data["password"])
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
                messages.success(request, _("系统管理员已创建。请按向导完成设置。"))
                return redirect("setup:guide")
        status = 422
    return render(request, "setup/first_admin.html", {"form": form}, status=status)


def guide(request):
    if first_admin_needed():
        return first_admin(request)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    _admin(request)
    steps = services.setup_steps()
    return render(request, "setup/guide.html", {"steps": steps, "ready": services.ready_for_first_order(steps)})


@dataclass(frozen=True)
class StepPage:
    help: str
    form: Callable | None = None  # (data) -> form
    save: Callable | None = None  # (actor, cleaned_data) -> None
    table: Callable | None = None  # () -> (headers, rows)
    back_to_guide: bool = False  # a one-off setting returns to the guide; a list stays for the next entry


def _teams_table():
    teams = Team.objects.select_related("manager").order_by("name")
    return [_("团队名称"), _("销售经理"), _("成员")], [[t.name, t.manager or "—", t.members.count()] for t in teams]


def _users_table():
    users = User.objects.select_related("team").prefetch_related("groups").order_by("username")
    return ([_("用户名"), _("姓名"), _("角色"), _("所属团队"), _("邮箱")],
            [[Verbatim(u.username), u.display_name or "—", "、".join(map(str, u.role_labels)) or "—", u.team or "—", u.email or "—"]
             for u in users])


def _masterdata_table():
    customers = Customer.objects.select_related("owner").order_by("name")[:50]
    products = Product.objects.order_by("model")[:50]
    rows = [[_("客户"), c.name, c.get_qualification_display(), c.owner or "—"] for c in customers]
    rows += [[_("产品"), f"{p.name} {p.model}", _("在售") if p.is_active else _("停售"), f"{p.list_price}/{p.unit}"]
             for p in products]
    return [_("类别"), _("名称"), _("状态"), _("客户经理/单价")], rows


def _calendar_table():
    rows = [[o.date.isoformat(), _("上班") if o.is_workday else _("放假"), o.note or "—"]
            for o in CalendarOverride.objects.filter(date__year__gte=clock.today().year).order_by("date")]
    return [_("日期"), _("当天"), _("说明")], rows


def _save_company(actor, data):
    services.company_save(actor=actor, data=data)


def _save_site(actor, data):
    services.site_address_save(actor=actor, url=data["url"])


def _save_team(actor, data):
    services.team_create(actor=actor, name=data["name"], manager=data["manager"])


def _save_user(actor, data):
    services.user_create(actor=actor, **data)


def _save_policy(actor, data):
    services.approval_policy_save(actor=actor, data=data)


def _save_override(actor, data):
    return services.calendar_override_save(actor=actor, day=data["date"], is_workday=data["is_workday"], note=data["note"])


def _save_sms(actor, data):
    services.sms_settings_save(actor=actor, data=data)


def _save_robot(actor, data):
    services.robot_create(actor=actor, data=data)


STEPS = {
    "company": StepPage(gettext_lazy("这些信息印在《订单确认单》上，并作为发给客户的邮件的落款。"),
                        lambda data: forms.CompanyForm(data, instance=CompanyProfile.current()), _save_company,
                        back_to_guide=True),
    "site": StepPage(gettext_lazy("客户收到的签收链接、回访评价链接和同事收到的邮件提醒都以这个地址开头，须是客户和同事能打开的地址。"
                                  "已按您现在访问本系统的地址预填；运维以环境变量 ORDERLOOP_BASE_URL 设定时以环境变量为准。"),
                     lambda data: forms.SiteAddressForm(data, instance=SiteAddress.objects.order_by("pk").first()),
                     _save_site, back_to_guide=True),
    "teams": StepPage(gettext_lazy("每个销售团队有一位销售经理：他审批本团队的订单、接收本团队的超时升级。"
                                   "没有销售经理账号时可先建团队，建好用户后在这里或后台指定。"),
                      forms.TeamForm, _save_team, _teams_table),
    "users": StepPage(gettext_lazy("为每位同事建一个账号并选好角色；一个人可以有几个角色。录入订单需要销售助理或客户经理，"
                                   "审批需要销售经理；仓储、生产、物流和售后的同事各自处理订单的相应环节。"),
                      forms.UserForm, _save_user, _users_table),
    "approval": StepPage(gettext_lazy("销售经理审批每一张订单；大额订单（超过万元，默认 10,000 元）或含特殊条款的订单，"
                                      "还须上报销售总监最终审批。满足以下任一条件时须总监审批。"),
                         lambda data: forms.ApprovalForm(data, instance=ApprovalPolicy.current()), _save_policy,
                         back_to_guide=True),
    "masterdata": StepPage(gettext_lazy("订单只能为资质合格的客户录入。在后台添加客户（营业执照、资质状态、客户经理、联系人）"
                                        "和产品（名称、规格型号、单位、单价、成本价）。"),
                           table=_masterdata_table),
    "calendar": StepPage(gettext_lazy("期限按工作日计算。每年国务院办公厅发布放假通知后，在当年的放假安排中录入全年的放假和调休上班日；"
                                      "公司另有安排（如年会放假、周末加班）时在下方逐日调整。"),
                         forms.CalendarForm, _save_override, _calendar_table),
    "robots": StepPage(gettext_lazy("可选。把提醒和超时升级发到团队的企业微信、钉钉或飞书群：在群设置中添加自定义机器人，"
                                    "把 Webhook 地址（和加签密钥或关键词）填在这里，然后发送测试消息。"),
                       forms.RobotForm, _save_robot),
    "sms": StepPage(gettext_lazy("可选。客户资料中通知方式选「短信」或没有邮箱的客户，物流预告、回访评价链接和售后处理结果经阿里云短信发出。"
                                 "在阿里云短信服务申请签名和模板，模板变量：物流预告 ${order} ${eta} ${carrier} ${number} ${link}；"
                                 "回访评价 ${order} ${link}；售后处理结果 ${order} ${result}。AccessKey Secret 保存后不再显示。"),
                    lambda data: forms.SmsForm(data, instance=SmsSettings.current()), _save_sms, back_to_guide=True),
    "mail": StepPage(gettext_lazy("客户的签收链接、回访评价链接和同事的邮件提醒都经邮件服务器发出。服务器在部署时以环境变量设置"
                                  "（见运维说明）；在这里发一封测试邮件到您的邮箱确认。")),
}


def _form_errors(form, exc: DomainError):
    for field_name, field_messages in exc.errors.items():
        for message in field_messages:
            form.add_error(field_name if field_name in form.fields else None, message)
    if not exc.errors:
        form.add_error(None, exc.message)


@login_required
def step(request, code):
    _admin(request)
    page = STEPS.get(code)
    if page is None:
        raise Http404(_("没有这个设置步骤"))
    form = page.form(request.POST if request.method == "POST" else None) if page.form else None
    if code == "site" and not form.is_bound and not form.instance.url:  # prefilled from the admin's own request
        form.initial["url"] = site_address()[0] if site_address()[1] == "operator" else request_address(request)
    status = 200
    if request.method == "POST":
        try:
            if "robot" in request.POST:
                robot = get_object_or_404(ChatRobot, pk=id_or_none(request.POST["robot"]) or 0)
                services.robot_test(actor=request.user, robot=robot)
                messages.success(request, _("测试消息已发送到 %(name)s，请在群里查看。") % {"name": robot.name})
                return redirect("setup:step", code)
            if code == "mail":
                address = services.mail_test(actor=request.user)
                messages.success(request, _("测试邮件已发送到 %(address)s，请查收。") % {"address": address})
                return redirect("setup:step", code)
            if form is None:
                raise Http404
            if form.is_valid():
                moved = page.save(request.user, form.cleaned_data)
                saved = _("%(step)s已保存") % {"step": services.STEP_TITLES[code]}
                if moved:
                    saved += _("；%(count)s 个进行中的期限已按新日历重新计算") % {"count": len(moved)}
                messages.success(request, saved + (_("。请继续向导的下一步") if page.back_to_guide else _("。可继续添加")))
                return redirect("setup:guide" if page.back_to_guide else "setup:step", *([] if page.back_to_guide else [code]))
        except DomainError as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect("setup:step", code)
            _form_errors(form, exc)
        status = 422
    headers, rows = page.table() if page.table else (None, None)
    return render(request, "setup/step.html", {
        "code": code, "title": services.STEP_TITLES[code], "page": page, "form": form, "headers": headers,
        "rows": rows, "mail_settings": services.mail_settings() if code == "mail" else None,
        "robots": ChatRobot.objects.select_related("team").order_by("name") if code == "robots" else None,
        "years": _calendar_years() if code == "calendar" else None,
    }, status=status)


def _calendar_years() -> list[dict]:
    """This year and the next, with whether each is entered, shipped with the product or only estimated."""
    calendar, year = BusinessCalendar.load(), clock.today().year
    return [{"year": y, "state": "entered" if y in calendar.entered_years else "shipped" if calendar.year_known(y) else "estimated"}
            for y in (year, year + 1)]


@login_required
def calendar_year(request, year):
    """A whole year from the State Council's notice: 放假 and 调休上班 days, previewed as a year calendar, saved at once."""
    _admin(request)
    if not 2000 <= year <= 2100:
        raise Http404(_("没有这个年份"))
    days = services.calendar_year_days(year)
    initial = {"holidays": forms.year_days_text(days.holidays), "workdays": forms.year_days_text(days.workdays)}
    form = forms.CalendarYearForm(request.POST or None, initial=initial, year=year)
    calendar, status, previewing = BusinessCalendar.load(), 200, False
    entered = year in calendar.entered_years
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            days = services.YearDays(year, form.cleaned_data["holidays"], form.cleaned_data["workdays"])
            if "preview" not in request.POST:
                saved = services.calendar_year_save(actor=request.user, days=days)
                messages.success(request, _("%(year)s 年放假安排已保存；%(count)s 个进行中的期限已按新日历重新计算") % {
                    "year": year, "count": len(saved.deadlines)})
                return redirect("setup:calendar_year", year)
            calendar, previewing = services.calendar_with(days), True
    months = services.year_calendar(year, calendar, {**days.holidays, **days.workdays})
    shown = [cell for weeks in months for week in weeks for cell in week if cell]
    return render(request, "setup/calendar_year.html", {
        "year": year, "form": form, "previewing": previewing, "entered": entered, "known": calendar.year_known(year),
        "last": services.calendar_year_last_save(year), "months": months,
        "holidays": sum(1 for cell in shown if cell.kind == "holiday" and cell.day.weekday() < 5),
        "workdays": sum(1 for cell in shown if cell.kind == "makeup"),
    }, status=status)
