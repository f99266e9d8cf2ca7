"""The first-run guide's forms: they check the input's shape; the services in setup/services.py decide."""
import re
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from orderloop.accounts.models import Team, User
from orderloop.accounts.roles import Role
from orderloop.notifications.models import ChatRobot
from orderloop.orders.models import ApprovalPolicy
from orderloop.setup.models import CompanyProfile, SiteAddress, SmsSettings


class FirstAdminForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    email = forms.EmailField(label=_("邮箱"))
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("再次输入密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("两次输入的密码不一致"))
        return data


class CompanyForm(forms.ModelForm):
    class Meta:
        model = CompanyProfile
        fields = ("name", "uscc", "address", "phone", "email", "bank_name", "bank_account")


class SiteAddressForm(forms.ModelForm):
    url = forms.URLField(label=_("网站地址"), max_length=300, assume_scheme="https",
                         help_text=_("客户和同事打开本系统的地址，如 https://orders.example.com；签收链接、回访评价链接和邮件中的链接都以它开头"))

    class Meta:
        model = SiteAddress
        fields = ("url",)


class TeamForm(forms.Form):
    name = forms.CharField(label=_("团队名称"), max_length=100)
    manager = forms.ModelChoiceField(User.objects.none(), label=_("销售经理"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = User.objects.filter(is_active=True, groups__name=Role.SALES_MANAGER).order_by("username")


class UserForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    email = forms.EmailField(label=_("邮箱"), required=False)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    team = forms.ModelChoiceField(Team.objects.order_by("name"), label=_("所属团队"), required=False)
    roles = forms.MultipleChoiceField(label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("请告知本人，并提醒首次登录后修改"))


class ApprovalForm(forms.ModelForm):
    class Meta:
        model = ApprovalPolicy
        fields = ("director_threshold", "margin_floor", "special_terms_need_director", "credit_limit_needs_director")


class CalendarForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(label=_("当天"), choices=[("0", _("放假")), ("1", _("上班"))],
                                        coerce=lambda value: value == "1")
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class RobotForm(forms.ModelForm):
    webhook_url = forms.URLField(label=_("Webhook 地址"), max_length=500, assume_scheme="https")

    class Meta:
        model = ChatRobot
        fields = ("name", "team", "kind", "webhook_url", "secret", "keyword")


class SmsForm(forms.ModelForm):
    """系统设置 › 短信: the secret is never shown back; left empty, the stored one stays."""

    endpoint = forms.URLField(label=_("接口地址"), max_length=300, assume_scheme="https",
                              help_text=_("阿里云短信服务的接口地址，一般不必修改"))
    access_key_secret = forms.CharField(
        label=_("AccessKey Secret"), max_length=200, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("保存后不再显示；留空则保留已保存的密钥"))

    class Meta:
        model = SmsSettings
        fields = ("enabled", "endpoint", "access_key_id", "access_key_secret", "sign_name", "template_logistics_notice",
                  "template_rating", "template_ticket_resolved")


# --- a year's days from the State Council's notice ---------------------------------------------------------------
# One line per holiday, as the notice says it or as dates: "国庆节：10月1日至7日", "2027-10-01 至 2027-10-07 国庆节",
# "9月26日（星期日）、10月9日（星期六）". The words around the dates are kept as the days' note.
_DATE = r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_RANGE = re.compile(_DATE + r"(?:\s*(?:至|到|~|～|—|–|-)\s*(?:" + _DATE + r"|(\d{1,2})\s*日))?")
_ASIDE = re.compile(r"（[^）]*）|\([^)]*\)")
_TRIM = " \t:：,，、;；.。"


def parse_year_days(text: str, year: int) -> dict:
    """``{date: note}`` of every day the lines of ``text`` name in ``year``; ValidationError naming the line."""
    days = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _ASIDE.sub(" ", raw).strip()
        if not line:
            continue
        matches = list(_RANGE.finditer(line))
        if not matches:
            raise forms.ValidationError(_("第 %(line)s 行「%(text)s」中没有日期") % {"line": number, "text": raw.strip()})
        note = (line[:matches[0].start()].strip(_TRIM) or line[matches[-1].end():].strip(_TRIM))[:200]
        for match in matches:
            first = _date(match.group(1), match.group(2), match.group(3), year, number, match.group(0))
            if match.group(5):  # a full second date
                last = _date(match.group(4), match.group(5), match.group(6), year, number, match.group(0))
            elif match.group(7):  # "10月1日至7日": the same month
                last = _date(str(first.year), str(first.month), match.group(7), year, number, match.group(0))
            else:
                last = first
            if last < first:
                raise forms.ValidationError(_("第 %(line)s 行「%(text)s」：结束日期早于开始日期") % {
                    "line": number, "text": match.group(0).strip()})
            day = first
            while day <= last:
                days[day] = note
                day += timedelta(days=1)
    return dict(sorted(days.items()))


def _date(year_text, month, day, year: int, line: int, text: str) -> date:
    try:
        value = date(int(year_text or year), int(month), int(day))
    except ValueError:
        raise forms.ValidationError(_("第 %(line)s 行「%(text)s」不是有效日期") % {"line": line, "text": text.strip()}) from None
    if value.year != year:
        raise forms.ValidationError(_("第 %(line)s 行的 %(date)s 不在 %(year)s 年内，请在 %(other)s 年的页面录入") % {
            "line": line, "date": value.isoformat(), "year": year, "other": value.year})
    return value


def year_days_text(days: dict) -> str:
    """``{date: note}`` as the form shows it: consecutive days with the same note as one range per line."""
    lines, run = [], []
    for day, note in sorted(days.items()):
        if run and (day - run[-1][0]).days == 1 and note == run[-1][1]:
            run.append((day, note))
            continue
        if run:
            lines.append(_run_text(run))
        run = [(day, note)]
    if run:
        lines.append(_run_text(run))
    return "\n".join(lines)


def _run_text(run) -> str:
    first, last, note = run[0][0], run[-1][0], run[0][1]
    dates = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
    return f"{dates} {note}".strip()


class CalendarYearForm(forms.Form):
    holidays = forms.CharField(
        label=_("放假"), error_messages={"required": _("请填写通知中的放假日期")}, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("每行一个节日：日期或日期范围，后面写节日名称，如「2027-10-01 至 2027-10-07 国庆节」或「国庆节：10月1日至7日」"))
    workdays = forms.CharField(
        label=_("调休上班"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("通知中要求上班的周末，如「2027-09-26 国庆节调休」或「9月26日（星期日）、10月9日（星期六）上班」"))

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year

    def clean_holidays(self):
        return parse_year_days(self.cleaned_data["holidays"], self.year)

    def clean_workdays(self):
        days = parse_year_days(self.cleaned_data["workdays"], self.year)
        weekdays = [day.isoformat() for day in days if day.weekday() < 5]
        if weekdays:
            raise forms.ValidationError(_("%(days)s 本来就是工作日，不必录入为调休上班") % {"days": "、".join(weekdays)})
        return days

    def clean(self):
        data = super().clean()
        both = sorted(set(data.get("holidays") or {}) & set(data.get("workdays") or {}))
        if both:
            self.add_error("workdays", _("%(days)s 同时写在放假和调休上班中") % {"days": "、".join(d.isoformat() for d in both)})
        return data
