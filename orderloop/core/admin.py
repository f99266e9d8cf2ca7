"""Django's admin as the system administrator's back door, kept honest. Two kinds of model admin:

- ``ReadOnlyAdmin``: records with rules of their own (a ticket's steps, the calendar that deadlines are counted
  on, the approval rule, the outbox, the monthly review) are shown and never added, changed or deleted here;
  the admin's pages say where they are changed, through the service that keeps the rules and the audit.
- ``AuditedAdmin``: everything else the admin may change is an audit entry in the change's transaction — who,
  which object, each field's old → new value, many-to-many relations (a user's groups, that is their roles)
  and inline rows included; deletions too. Secrets (password hashes, token hashes, robot secrets and webhook
  addresses) are recorded as changed, never by value."""
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orderloop.core.audit import audit_record, diff
from orderloop.core.models import AuditEntry, CalendarOverride

# What the audit log shows for a secret that is set: it changed, never what it is (or was).
SECRET = "******"
SECRET_FIELDS = frozenset({"password", "key_hash", "secret", "webhook_url"})
EMPTY = (None, "", [], {})


def _plain(value):
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | time):  # to the second: the admin's forms drop the microseconds on saving
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def audit_values(obj) -> dict:
    """Every stored field of ``obj`` (a foreign key by its id, a file by its name) and its many-to-many relations
    (by name), as the audit log records them. Secrets still in clear: ``audit_changes`` masks them."""
    values = {field.name: _plain(field.value_from_object(obj)) for field in obj._meta.concrete_fields
              if not field.primary_key}
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(str(item) for item in getattr(obj, field.name).all())
    return values


def audit_changes(before: dict, after: dict, secrets=SECRET_FIELDS) -> dict:
    """old → new of each field that differs; a new object's (``before`` empty) and a deleted one's (``after``
    empty) without the fields that are empty anyway; a secret as ``SECRET`` on each side where it is set."""
    changes = diff(before, after)
    if not before or not after:
        changes = {name: change for name, change in changes.items() if any(v not in EMPTY for v in change)}
    return {name: [SECRET if value not in EMPTY else value for value in change] if name in secrets else change
            for name, change in changes.items()}


def _stored(obj):
    """``obj`` as the database holds it now (a form has already put the new values on the instance it edits)."""
    return type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk is not None else None


class AuditedAdmin:
    """Every add, change and delete through this model admin (its change form, its list's editable columns, its
    inlines and the delete action) is an audit entry, in the admin's transaction. A model admin whose
    ``save_model`` calls a service that audits the object itself (and does not call this one) writes no second
    entry for it; its inlines are still recorded here."""

    audit_secret_fields = SECRET_FIELDS

    def _audit(self, request, obj, operation, before, after):
        audit_record(actor=request.user, obj=obj, operation=operation,
                     changes=audit_changes(before, after, self.audit_secret_fields))

    def save_model(self, request, obj, form, change):
        stored = _stored(obj) if change else None
        form._audit_before = audit_values(stored) if stored is not None else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Django's order (the form's many-to-many, then the inlines), with the object's entry once its
        relations are saved."""
        form.save_m2m()
        before = getattr(form, "_audit_before", None)
        if before is not None:  # saved by save_model above, not by a service that audited it
            obj = form.instance
            self._audit(request, obj, "updated" if change else "created", before, audit_values(_stored(obj)))
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        stored = {o.pk: o for o in model._default_manager.filter(
            pk__in=[f.instance.pk for f in formset.initial_forms if f.instance.pk is not None])}
        before = {pk: audit_values(o) for pk, o in stored.items()}
        deleting = {id(f.instance): stored[f.instance.pk] for f in formset.deleted_forms if f.instance.pk in stored}
        super().save_formset(request, form, formset, change)
        for obj in formset.deleted_objects:  # their primary key is gone: recorded by the row they were
            gone = deleting[id(obj)]
            self._audit(request, gone, "deleted", before[gone.pk], {})
        for obj, _fields in formset.changed_objects:
            self._audit(request, obj, "updated", before[obj.pk], audit_values(_stored(obj)))
        for obj in formset.new_objects:
            self._audit(request, obj, "created", {}, audit_values(_stored(obj)))

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit(request, obj, "deleted", audit_values(obj), {})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit(request, obj, "deleted", audit_values(obj), {})
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin:
    """Shown, never added, changed or deleted in Django's admin: the record has rules that only its own page and
    service keep. ``readonly_page`` names that page; each of the admin's pages for the model says where it is."""

    readonly_page: tuple | None = None  # (URL name, its arguments, the page's name)
    readonly_reason = ""  # why, in a sentence

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def readonly_link(self, obj=None) -> tuple[str, str] | None:
        """(URL, name) of the page where ``obj`` (or the model's records) are changed."""
        if self.readonly_page is None:
            return None
        url_name, args, label = self.readonly_page
        return reverse(url_name, args=args), str(label)

    def _readonly_notice(self, request, obj=None):
        link = self.readonly_link(obj)
        if link is None:
            text = _("此处仅供查看。")
        else:
            text = mark_safe(conditional_escape(_("此处仅供查看，请在%(page)s处理。"))
                             % {"page": format_html('<a href="{}">{}</a>', *link)})
        messages.info(request, text)
        if self.readonly_reason:
            messages.info(request, str(self.readonly_reason))

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            self._readonly_notice(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            self._readonly_notice(request, self.get_object(request, unquote(object_id)))
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    readonly_page = ("setup:step", ("calendar",), gettext_lazy("“系统设置 → 工作日历”"))
    readonly_reason = gettext_lazy("保存时，进行中的期限会按新的日历重新计算，并记入审计日志。")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "actor", "object_type", "object_repr", "operation")
    list_filter = ("object_type", "operation")
    search_fields = ("object_repr", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
