"""A customer's qualification in the app (the seed's 确认客户资质: 新客户需补充营业执照、信用记录等; SPEC section 9).

The account manager who owns the customer uploads the business licence (营业执照, a PDF or an image, with its expiry)
and the credit record (信用记录: a note, and a credit report's file if there is one) on the customer's page: the
qualification becomes 待审核 and the sales manager of the customer's team is told. The sales manager of that team, the
director or an admin finds it 合格, or 不合格 with the reason, and the account manager is told. Each is one transaction,
audited with old and new values; a refused one changes nothing and keeps no file. An order of a customer that is not
合格 does not pass review (masterdata.services.customer_qualification_problems, orders/steps/intake.py)."""
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.accounts.permissions import QUALIFICATION_SUBMITTERS
from orderloop.accounts.roles import Role
from orderloop.core import clock
from orderloop.core.audit import audit_record, diff, snapshot
from orderloop.core.dates import parse_date
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed, NotFound
from orderloop.masterdata.models import Customer, Qualification
from orderloop.masterdata.services import (customer_create, customers_visible_to, qualification_authority,
                                           qualification_material_problems)
from orderloop.notifications.services import notify, users_with_role
from orderloop.orders.uploads import checked_upload, file_stored, filename_shown, filename_stored, files_kept_on_commit

FIELDS = ("qualification", "licence_expiry", "credit_record", "qualification_note", "qualification_submitted_by",
          "qualification_decided_by")
MAX_CREDIT_RECORD = 4000
VERDICTS = (Qualification.QUALIFIED, Qualification.UNQUALIFIED)


def _snapshot(customer: Customer) -> dict:
    return {**snapshot(customer, FIELDS), "business_licence": customer.business_licence.name or "",
            "credit_report": customer.credit_report.name or ""}


def may_submit_qualification(actor, customer: Customer) -> bool:
    """The account manager who owns ``customer``; and whoever may decide on it (they may upload the papers too)."""
    owns = customer.owner_id is not None and customer.owner_id == actor.pk and actor.has_role(*QUALIFICATION_SUBMITTERS)
    return owns or qualification_authority(actor, customer)


def may_decide_qualification(actor, customer: Customer) -> bool:
    return qualification_authority(actor, customer)


def _visible(actor, customer_id) -> Customer:
    customer = customers_visible_to(actor).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("客户不存在"))
    return customer


def _locked(customer_id) -> Customer:
    return Customer.objects.select_for_update(of=("self",)).select_related("owner").get(pk=customer_id)


def _keep(fieldfile, upload_name: str, content: bytes) -> None:
    from django.core.files.base import ContentFile

    fieldfile.save(filename_stored(filename_shown(upload_name)), ContentFile(content), save=False)
    file_stored(fieldfile)  # removed again if the transaction does not commit


def qualification_reviewers(customer: Customer) -> list[User]:
    """Who is asked to decide: the manager of the owner's team; the directors where there is none."""
    team = customer.owner.team if customer.owner and customer.owner.team_id else None
    manager = team.manager if team is not None and team.manager_id else None
    if manager is not None and manager.is_active:
        return [manager]
    return list(users_with_role(Role.SALES_DIRECTOR))


def customer_url(customer: Customer) -> str:
    return reverse("masterdata:customer", args=[customer.pk])


def qualification_submit(*, actor, customer_id, licence=None, licence_expiry="", credit_record: str = "",
                         credit_report=None) -> Customer:
    """The papers uploaded for review: ``licence`` and ``credit_report`` are uploaded files (PDF, JPG or PNG; the
    licence needed unless one is already kept), ``licence_expiry`` the licence's last valid day (not past),
    ``credit_record`` the credit record as written (needed unless a credit report's file is kept). The
    qualification becomes 待审核 and the reviewers are told."""
    customer = _visible(actor, customer_id)
    if not may_submit_qualification(actor, customer):
        raise NotAllowed(_("只有负责该客户的客户经理可以上传资质资料"))
    errors: dict[str, list[str]] = {}
    files = {}
    for field, upload in (("business_licence", licence), ("credit_report", credit_report)):
        if upload:
            try:
                files[field] = checked_upload(upload, field=field)
            except InvalidInput as exc:
                errors.update(exc.errors)
    if not licence and not customer.business_licence:
        errors.setdefault("business_licence", []).append(_("请上传营业执照扫描件（PDF、JPG 或 PNG）"))
    expiry = None
    text = (licence_expiry or "").strip()
    if not text:
        errors["licence_expiry"] = [_("请填写营业执照有效期至")]
    else:
        try:
            expiry = parse_date(text)
        except ValueError:
            errors["licence_expiry"] = [_("日期格式应为 YYYY-MM-DD")]
        else:
            if expiry < clock.today():
                errors["licence_expiry"] = [_("营业执照已于 %(date)s 过期，请上传有效的营业执照") % {"date": expiry.isoformat()}]
    record = (credit_record or "").strip()
    if len(record) > MAX_CREDIT_RECORD:
        errors["credit_record"] = [_("信用记录最多 %(n)s 字") % {"n": MAX_CREDIT_RECORD}]
    elif not record and not credit_report and not customer.credit_report:
        errors["credit_record"] = [_("请填写信用记录，或上传征信报告")]
    if errors:
        raise InvalidInput(_("资质资料有误，未提交"), errors=errors)
    with files_kept_on_commit():
        customer = _locked(customer.pk)
        before = _snapshot(customer)
        for field, (_kind, filename, _type, content) in files.items():
            _keep(getattr(customer, field), filename, content)
        customer.licence_expiry = expiry
        customer.credit_record = record
        customer.qualification = Qualification.PENDING
        customer.qualification_submitted_at = clock.now()
        customer.qualification_submitted_by = actor
        customer.qualification_decided_at = None
        customer.qualification_decided_by = None
        customer.qualification_note = ""
        customer.save()
        audit_record(actor=actor, obj=customer, operation="qualification_submitted",
                     changes=diff(before, _snapshot(customer)))
        notify(event="qualification_submitted",
               key=f"customer:{customer.pk}:qualification:{customer.qualification_submitted_at.timestamp()}",
               roles={"recipient": qualification_reviewers(customer)}, url=customer_url(customer),
               subject=_("客户「%(customer)s」的资质资料已上传，请审核") % {"customer": customer.name},
               body=_("%(who)s 上传了营业执照和信用记录。请在客户页审核资质：合格后该客户的订单才能通过初步审核。") % {
                   "who": str(actor)})
    return customer


def qualification_decide(*, actor, customer_id, verdict: str, reason: str = "") -> Customer:
    """合格 (the papers complete and valid) or 不合格 (with the reason), by the sales manager of the customer's team,
    the director or an admin; the account manager who owns the customer is told."""
    customer = _visible(actor, customer_id)
    if not may_decide_qualification(actor, customer):
        raise NotAllowed(_("只有销售经理（本团队的客户）、销售总监或系统管理员可以审核客户资质"))
    reason = (reason or "").strip()
    if verdict not in VERDICTS:
        raise InvalidInput(_("请选择审核结论"), errors={"verdict": [_("可选：合格、不合格")]})
    if verdict == Qualification.UNQUALIFIED and not reason:
        raise InvalidInput(_("不合格必须填写原因"), errors={"reason": [_("必填")]})
    if len(reason) > MAX_CREDIT_RECORD:
        raise InvalidInput(_("原因最多 %(n)s 字") % {"n": MAX_CREDIT_RECORD},
                           errors={"reason": [_("最多 %(n)s 字") % {"n": MAX_CREDIT_RECORD}]})
    with transaction.atomic():
        customer = _locked(customer.pk)
        if customer.qualification == verdict:
            raise InvalidTransition(_("客户资质已是「%(state)s」") % {"state": customer.get_qualification_display()})
        if verdict == Qualification.QUALIFIED:
            missing = qualification_material_problems(customer, today=clock.today())
            if missing:
                raise InvalidInput(_("资质资料不全，不能审核合格：%(missing)s") % {"missing": "；".join(missing)},
                                   errors={"verdict": missing})
        before = _snapshot(customer)
        customer.qualification = verdict
        customer.qualification_decided_at = clock.now()
        customer.qualification_decided_by = actor
        customer.qualification_note = reason
        customer.save()
        audit_record(actor=actor, obj=customer, operation="qualification_decided",
                     changes=diff(before, _snapshot(customer)))
        if customer.owner is not None and customer.owner.is_active:
            label = customer.get_qualification_display()
            notify(event="qualification_decided",
                   key=f"customer:{customer.pk}:decided:{customer.qualification_decided_at.timestamp()}",
                   roles={"recipient": [customer.owner]}, url=customer_url(customer),
                   subject=_("客户「%(customer)s」资质审核：%(state)s") % {"customer": customer.name, "state": label},
                   body=reason)
    return customer


def customer_create_with_papers(*, actor, data, licence=None, licence_expiry="", credit_record: str = "",
                                credit_report=None) -> Customer:
    """A new customer and, when any of its papers are given (营业执照, its expiry, 信用记录 or 征信报告), those papers
    submitted for review (``qualification_submit``) — one transaction: refused papers keep no customer either."""
    papers = bool(licence or (licence_expiry or "").strip() or (credit_record or "").strip() or credit_report)
    with files_kept_on_commit():
        customer = customer_create(actor=actor, data=data)
        if papers:
            customer = qualification_submit(actor=actor, customer_id=customer.pk, licence=licence,
                                            licence_expiry=licence_expiry, credit_record=credit_record,
                                            credit_report=credit_report)
    return customer
