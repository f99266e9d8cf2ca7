"""Django's admin is no way around the rules: every model registered there either refuses to be added, changed
and deleted (records with rules of their own: orders' records, tickets, the calendar, the approval rule, the
outbox, reviews), or each add, change and delete through it is an audit entry — who, which object, each field's
old → new — with passwords and secrets recorded as changed, never by value."""
import json
from datetime import date
from itertools import count

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files import File
from django.forms import CheckboxInput, MultiWidget
from django.test import Client, RequestFactory
from django.urls import reverse

from orderloop.accounts.models import LoginFailure, Team, User
from orderloop.aftersales.models import Ticket, TicketState
from orderloop.core import clock
from orderloop.core.admin import SECRET, SECRET_FIELDS
from orderloop.core.models import AuditEntry, CalendarOverride
from orderloop.masterdata.models import Customer, Product, StockAdjustment, StockLevel
from orderloop.notifications.models import ChatRobot, NotificationRoute
from orderloop.orders.models import ApprovalPolicy, StageTemplate, StageTemplateStep
from orderloop.setup.models import CompanyProfile
from tests.support.users import make_user

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label_lower)
STRONG = "Lang-Zhi-Mi-Ma-2031"
_serial = count(1)


def _role(name):
    return Group.objects.get_or_create(name=name)[0].pk


def _robot():
    n = next(_serial)
    return ChatRobot.objects.create(name=f"华北群{n}", kind="wecom", secret=f"old-secret-{n}",
                                    webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=old-{n}")


def _template():
    template = StageTemplate.objects.create(name=f"急单{next(_serial)}")
    StageTemplateStep.objects.create(template=template, position=1, name="备货", working_days=1)
    return template


# Per model the admin may change: a fresh object to change and delete, what the change sets (POST values, by
# field: each of them must come out in the entry as old → new), and what an add sends. A model registered without
# a case here must refuse what it has no case for.
CASES = {
    "accounts.user": {
        "make": lambda: make_user(f"new_hire{next(_serial)}", "warehouse"),
        "change": lambda obj: {"display_name": "王五", "groups": [_role("warehouse"), _role("logistics")]},
        "add": lambda: {"username": "newstaff", "usable_password": "true", "password1": STRONG, "password2": STRONG},
    },
    "auth.group": {
        "make": lambda: Group.objects.create(name=f"质检小组{next(_serial)}"),
        "change": lambda obj: {"name": f"{obj.name}（新）"},
        "add": lambda: {"name": "客服小组"},
    },
    "accounts.team": {
        "make": lambda: Team.objects.create(name=f"华南销售{next(_serial)}组"),
        "change": lambda obj: {"name": f"{obj.name}（新）"},
        "add": lambda: {"name": "华东销售组"},
    },
    "masterdata.customer": {
        "make": lambda: Customer.objects.create(name=f"新客户{next(_serial)}有限公司", licence_expiry=date(2030, 12, 31)),
        "change": lambda obj: {"licence_expiry": "2031-06-30", "credit_limit": "80000.00"},
        "add": lambda: {"name": "另一客户有限公司", "qualification": "pending", "credit_limit": "0"},
    },
    "masterdata.product": {
        "make": lambda: Product.objects.create(name="服务器B型", model=f"S-1{next(_serial):02}", list_price="6000.00"),
        "change": lambda obj: {"list_price": "6100.00", "cost_price": "4500.00"},
        "add": lambda: {"name": "服务器C型", "model": "S-900", "unit": "台", "list_price": "100", "cost_price": "80",
                        "is_active": True},
    },
    "masterdata.stockadjustment": {
        "add": lambda: {"product": Product.objects.create(name="备件", model="P-001", list_price="10").pk,
                        "warehouse": "主仓库", "on_hand_change": "20", "reserved_change": "0", "reason": "期初库存"},
    },
    "notifications.notificationroute": {
        "make": lambda: NotificationRoute.objects.create(event=f"test_event_{next(_serial)}", role="sales_manager",
                                                         channels="inapp"),
        "change": lambda obj: {"channels": "inapp,email", "enabled": False},
        "add": lambda: {"event": "order_received", "role": "warehouse", "channels": "inapp", "enabled": True},
    },
    "notifications.chatrobot": {
        "make": _robot,
        "change": lambda obj: {"secret": "new-secret",
                               "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=new-key",
                               "per_minute": "10"},
        "add": lambda: {"name": "售后群", "kind": "dingtalk", "secret": "add-secret", "per_minute": "20",
                        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=add-token", "is_active": True},
    },
    "orders.stagetemplate": {
        "make": _template,
        "change": lambda obj: {"name": f"{obj.name}（新）"},
        "add": lambda: {"name": "新模板"},
    },
    "setup.companyprofile": {
        "make": lambda: CompanyProfile.objects.create(name=f"本公司{next(_serial)}"),
        "change": lambda obj: {"phone": "010-12345678", "bank_account": "6222000011112222"},
        "add": lambda: {"name": "我们的公司"},
    },
    "accounts.loginfailure": {
        "make": lambda: LoginFailure.objects.create(username="someone", ip_address="10.0.0.1", at=clock.now()),
    },
}


@pytest.fixture
def superuser(users):
    user = users["admin"]
    user.is_staff = user.is_superuser = True  # as `orderloop createsuperuser` and the demo make it
    user.save()
    return user


@pytest.fixture
def site(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _form_data(form) -> dict:
    """What a browser sends back for ``form`` as the page shows it."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        key, value = form.add_prefix(name), form[name].value()
        widget = getattr(field.widget, "widget", field.widget)  # inside the admin's related-object wrapper
        if isinstance(widget, MultiWidget):  # a date and a time
            for index, part in enumerate(widget.decompress(value)):
                data[f"{key}_{index}"] = "" if part is None else str(part)
        elif isinstance(widget, CheckboxInput):
            if value:
                data[key] = "on"
        elif value is not None and not isinstance(value, File):  # a file stays as it is when none is sent
            data[key] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def _page_data(page) -> dict:
    """The change or add page's form and its inlines, as they are shown."""
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        data.update(_form_data(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(_form_data(form))
    return data


def _post(site, url, values: dict):
    page = site.get(url)
    assert page.status_code == 200, url
    data = _page_data(page)
    for key, value in values.items():
        if value is False:
            data.pop(key, None)
        else:
            data[key] = "on" if value is True else value
    response = site.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def _new_entries(since: int):
    return list(AuditEntry.objects.filter(pk__gt=since).order_by("id"))


def _last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _secrets_hidden(entries):
    for entry in entries:
        for name, change in entry.changes.items():
            if name in SECRET_FIELDS:
                assert all(value in (None, "", SECRET) for value in change), (entry.object_type, name, change)


def _permissions(model, user) -> dict:
    request = RequestFactory().get("/admin/")
    request.user = user
    model_admin = admin.site._registry[model]
    return {"add": model_admin.has_add_permission(request), "change": model_admin.has_change_permission(request),
            "delete": model_admin.has_delete_permission(request)}


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label_lower)
def test_every_admin_model_refuses_a_change_or_audits_it(model, site, superuser):
    label = model._meta.label_lower
    allowed = _permissions(model, superuser)
    case = CASES.get(label, {})
    needs = {"add": ("add",), "change": ("make", "change"), "delete": ("make",)}
    missing = [op for op, may in allowed.items() if may and not all(key in case for key in needs[op])]
    assert missing == [], f"{label}: the admin allows {missing} — refuse it (core.admin.ReadOnlyAdmin) or audit it " \
                          "(core.admin.AuditedAdmin) and give it a case here"

    if allowed["add"]:
        since = _last_id()
        _post(site, _url(model, "add"), case["add"]())
        entries = _new_entries(since)
        assert entries and {e.actor_id for e in entries} == {superuser.pk}, label
        assert {e.operation for e in entries} <= {"created", "updated"}, label
        _secrets_hidden(entries)

    if allowed["change"]:
        obj = case["make"]()
        values = case["change"](obj)
        since = _last_id()
        _post(site, _url(model, "change", obj.pk), values)
        entries = [e for e in _new_entries(since) if e.object_type == label and e.object_id == str(obj.pk)]
        assert len(entries) == 1, (label, _new_entries(since))
        (entry,) = entries
        assert entry.actor == superuser and entry.operation == "updated"
        assert set(values) <= set(entry.changes), (label, entry.changes)
        assert all(old != new for name, (old, new) in entry.changes.items() if name not in SECRET_FIELDS), entry.changes
        _secrets_hidden([entry])

    if allowed["delete"]:
        obj = case["make"]()
        pk, since = obj.pk, _last_id()
        response = site.post(_url(model, "delete", pk), {"post": "yes"})
        assert response.status_code == 302 and not model._default_manager.filter(pk=pk).exists(), label
        entries = [e for e in _new_entries(since) if e.object_type == label and e.object_id == str(pk)]
        assert [(e.operation, e.actor_id) for e in entries] == [("deleted", superuser.pk)], label
        assert entries[0].changes and all(new is None for _old, new in entries[0].changes.values())
        _secrets_hidden(entries)


@pytest.mark.parametrize("model", [Ticket, CalendarOverride, ApprovalPolicy, StockLevel],
                         ids=lambda model: model._meta.label_lower)
def test_records_with_rules_of_their_own_are_shown_only(model, superuser):
    assert _permissions(model, superuser) == {"add": False, "change": False, "delete": False}


def test_a_ticket_cannot_be_closed_in_the_admin(site, orders, users):
    order = orders.received()
    ticket = Ticket.objects.create(order=order, customer=order.customer, ticket_type="quality", description="外壳划伤", opened_at=clock.now(),
                                   state=TicketState.RESPONDED, first_response_at=clock.now())
    page = site.get(_url(Ticket, "change", ticket.pk))
    assert page.status_code == 200  # shown, with where it is handled
    assert reverse("aftersales:detail", args=[ticket.pk]) in page.content.decode()
    since = _last_id()
    refused = site.post(_url(Ticket, "change", ticket.pk), {
        "order": order.pk, "ticket_type": "quality", "description": "外壳划伤", "state": TicketState.CLOSED,
        "result": "", "customer_confirmed": "", "closed_at_0": "2030-01-01", "closed_at_1": "09:00:00"})
    assert refused.status_code == 403
    assert site.post(_url(Ticket, "delete", ticket.pk), {"post": "yes"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESPONDED and ticket.closed_at is None
    assert _new_entries(since) == []


def test_the_calendar_is_shown_in_the_admin_and_changed_on_its_page(site):
    page = site.get(_url(CalendarOverride, "changelist"))
    assert page.status_code == 200 and reverse("setup:step", args=["calendar"]) in page.content.decode()
    assert site.post(_url(CalendarOverride, "add"), {"date": "2031-10-08", "is_workday": ""}).status_code == 403
    assert not CalendarOverride.objects.filter(date=date(2031, 10, 8)).exists()


def test_a_password_change_in_the_admin_is_audited_without_the_hash(site, superuser, users):
    user = users["warehouse"]
    old_hash = user.password
    since = _last_id()
    response = site.post(reverse("admin:auth_user_password_change", args=[user.pk]),
                         {"usable_password": "true", "password1": STRONG, "password2": STRONG})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG) and user.password != old_hash
    (entry,) = _new_entries(since)
    assert (entry.actor, entry.object_type, entry.object_id, entry.operation) == (
        superuser, "accounts.user", str(user.pk), "updated")
    assert entry.changes == {"password": [SECRET, SECRET]}
    written = json.dumps([e.changes for e in AuditEntry.objects.all()], ensure_ascii=False)
    algorithm = user.password.split("$")[0]
    assert user.password not in written and old_hash not in written and f"{algorithm}$" not in written


def test_a_new_user_and_their_roles_are_audited_without_the_password(site, superuser):
    since = _last_id()
    _post(site, _url(User, "add"), {"username": "newstaff", "usable_password": "true", "password1": STRONG,
                                    "password2": STRONG})
    user = User.objects.get(username="newstaff")
    _post(site, _url(User, "change", user.pk), {"groups": [_role("sales_assistant")], "is_staff": True})
    created, updated = _new_entries(since)
    assert (created.operation, created.object_id) == ("created", str(user.pk))
    assert created.changes["username"] == [None, "newstaff"] and created.changes["password"] == [None, SECRET]
    assert updated.changes == {"groups": [[], ["sales_assistant"]], "is_staff": [False, True]}
    assert user.password not in json.dumps(created.changes)


def test_inline_rows_and_list_edits_are_audited(site, superuser, customer):
    contact = customer.contacts.get()
    template = _template()
    step = template.steps.get()
    since = _last_id()
    _post(site, _url(StageTemplate, "change", template.pk), {"steps-0-working_days": "3", "steps-0-DELETE": False})
    (entry,) = _new_entries(since)
    assert (entry.object_type, entry.object_id, entry.changes) == (
        "orders.stagetemplatestep", str(step.pk), {"working_days": [1, 3]})

    since = _last_id()
    _post(site, _url(Customer, "change", customer.pk), {"contacts-0-DELETE": True})
    (entry,) = _new_entries(since)
    assert (entry.object_type, entry.object_id, entry.operation) == ("masterdata.contact", str(contact.pk), "deleted")
    assert entry.changes["name"] == ["李*", None] and entry.changes["phone"] == ["13800001111", None]

    route = NotificationRoute.objects.create(event="order_received", role="warehouse", channels="inapp")
    since = _last_id()
    response = site.post(_url(NotificationRoute, "changelist"), {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(route.pk), "form-0-channels": "inapp,email", "form-0-enabled": "on", "_save": "保存"})
    assert response.status_code == 302
    (entry,) = _new_entries(since)
    assert (entry.object_type, entry.changes) == ("notifications.notificationroute", {"channels": ["inapp", "inapp,email"]})


def test_a_customers_licence_changed_in_the_admin_is_audited(site, superuser, customer):
    since = _last_id()
    _post(site, _url(Customer, "change", customer.pk), {"licence_expiry": "2031-06-30"})
    (entry,) = _new_entries(since)
    assert (entry.object_type, entry.changes) == ("masterdata.customer", {"licence_expiry": ["2099-12-31", "2031-06-30"]})


def test_a_stock_adjustment_in_the_admin_is_audited_on_its_level(site, superuser, product):
    since = _last_id()
    _post(site, _url(StockAdjustment, "add"), {
        "product": product.pk, "warehouse": "主仓库", "on_hand_change": "20", "reserved_change": "0",
        "reason": "期初库存"})
    level = StockLevel.objects.get(product=product)
    (entry,) = _new_entries(since)
    assert (entry.object_type, entry.object_id, entry.operation) == ("masterdata.stocklevel", str(level.pk), "created")
    assert entry.changes["reason"] == "期初库存" and entry.changes["on_hand"][0] is None
    assert float(entry.changes["on_hand"][1]) == 20
