"""The first-run guide's forms: they check the input's shape; the services in setup/services.py decide."""
from django import forms
from django.utils.translation import gettext_lazy as _

from orderloop.accounts.models import Team, User
from orderloop.accounts.roles import Role
from orderloop.notifications.models import ChatRobot
from orderloop.orders.models import ApprovalPolicy
from orderloop.setup.models import CompanyProfile


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
