"""A new customer's qualification in the app (issue 21; SPEC section 9): the account manager who owns the customer
uploads the business licence and the credit record on the customer's page (待审核, the sales manager told); the
sales manager of the customer's team, the director or an admin finds it 合格 or 不合格 with a reason, audited; an
order of a customer that is not 合格 does not pass review, and the refusal says the state and what to do."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.accounts.models import Team
from orderloop.core import clock
from orderloop.core.exceptions import NotAllowed, NotFound
from orderloop.core.models import AuditEntry
from orderloop.masterdata.models import Qualification
from orderloop.masterdata.qualification import qualification_decide, qualification_submit
from orderloop.notifications.models import Notification
from orderloop.setup.demo import LICENCE_SCAN
from tests.support.api_client import Api
from tests.support.customers import make_customer
from tests.support.orders import OrderBuilder
from tests.support.users import make_user



@pytest.fixture(autouse=True)
def frozen():
    """A working day in December 2026: a licence valid to 2031 is valid, one that ended in 2020 is not."""
    with clock.frozen_at(datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


@pytest.fixture
def newcomer(users):
    """A new customer of the account manager: nothing uploaded yet, 待审核 as every new customer."""
    return make_customer("新星贸易有限公司", owner=users["account_manager"], qualification=Qualification.PENDING, licence=False,
                         licence_expiry=None, credit_record="")


@pytest.fixture
def order(users, newcomer, product):
    return OrderBuilder(users, newcomer, product).received()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf(name="营业执照.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% licence\n", content_type="application/pdf")


def _upload(user, customer, **fields):
    data = {"business_licence": _pdf(), "licence_expiry": "2031-06-30", "credit_record": "人行征信无逾期，无涉诉记录",
            **fields}
    return _client(user).post(f"/customers/{customer.pk}/qualification/", {k: v for k, v in data.items() if v is not None})


def _decide(user, customer, verdict, reason=""):
    return _client(user).post(f"/customers/{customer.pk}/qualification/decision/", {"verdict": verdict, "reason": reason})


def _audits(customer, operation):
    return list(AuditEntry.objects.filter(object_type="masterdata.customer", object_id=str(customer.pk),
                                          operation=operation).order_by("id"))


def _review_pass(order):
    return Api("sales_assistant").action(order.ref, "review", verdict="pass")


def test_the_owner_uploads_the_team_manager_approves_and_only_then_the_review_passes(users, newcomer, order):
    refused = _review_pass(order)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "客户「新星贸易有限公司」的资质为「待审核」，订单不能审核通过：请先在客户页完成资质审核"
    assert refused.json()["errors"]["customer_id"][0] == (
        "客户资质待审核：请客户经理在客户页上传营业执照和信用记录，由销售经理审核合格")

    assert _upload(users["account_manager"], newcomer).status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.qualification == Qualification.PENDING and newcomer.business_licence.read() == b"%PDF-1.4\n% licence\n"
    assert newcomer.licence_expiry == date(2031, 6, 30) and newcomer.qualification_submitted_by == users["account_manager"]
    told = Notification.objects.filter(event="qualification_submitted", channel="inapp")
    assert [n.recipient for n in told] == [users["sales_manager"]]
    assert told[0].url == f"/customers/{newcomer.pk}/" and "新星贸易有限公司" in told[0].subject
    [submitted] = _audits(newcomer, "qualification_submitted")
    assert submitted.actor == users["account_manager"]
    assert submitted.changes["licence_expiry"] == [None, "2031-06-30"]
    assert submitted.changes["credit_record"] == ["", "人行征信无逾期，无涉诉记录"]
    assert submitted.changes["business_licence"][0] == "" and submitted.changes["business_licence"][1].startswith("licences/")

    still = _review_pass(order)
    assert still.status_code == 422
    assert still.json()["errors"]["customer_id"] == ["客户资质待审核：资料已提交，请销售经理在客户页审核资质"]

    assert _decide(users["sales_manager"], newcomer, "qualified").status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.qualification == Qualification.QUALIFIED and newcomer.qualification_decided_by == users["sales_manager"]
    [decided] = _audits(newcomer, "qualification_decided")
    assert decided.actor == users["sales_manager"] and decided.changes["qualification"] == ["pending", "qualified"]
    assert [n.recipient for n in Notification.objects.filter(event="qualification_decided", channel="inapp")] == [
        users["account_manager"]]

    passed = _review_pass(order)
    assert passed.status_code == 200, passed.json()
    assert passed.json()["status"] == "pending_approval"


def test_an_account_manager_cannot_approve_and_nothing_changes(users, newcomer):
    _upload(users["account_manager"], newcomer)
    response = _decide(users["account_manager"], newcomer, "qualified")
    assert response.status_code == 403
    assert "只有销售经理（本团队的客户）、销售总监或系统管理员可以审核客户资质" in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.qualification == Qualification.PENDING and not _audits(newcomer, "qualification_decided")
    with pytest.raises(NotAllowed):
        qualification_decide(actor=users["sales_assistant"], customer_id=newcomer.pk, verdict="qualified")


def test_another_teams_manager_cannot_decide_nor_see_the_customer(users, newcomer):
    east = Team.objects.create(name="华东销售二组")
    manager = make_user("sm_east", "sales_manager", team=east)
    east.manager = manager
    east.save()
    _upload(users["account_manager"], newcomer)
    assert _decide(manager, newcomer, "qualified").status_code == 404
    assert _client(manager).get(f"/customers/{newcomer.pk}/").status_code == 404
    with pytest.raises(NotFound):
        qualification_decide(actor=manager, customer_id=newcomer.pk, verdict="qualified")
    newcomer.refresh_from_db()
    assert newcomer.qualification == Qualification.PENDING and not _audits(newcomer, "qualification_decided")


@pytest.mark.parametrize("role", ["sales_director", "admin"])
def test_the_director_and_an_admin_decide_for_every_team(users, newcomer, role):
    _upload(users["account_manager"], newcomer)
    assert qualification_decide(actor=users[role], customer_id=newcomer.pk, verdict="qualified").is_qualified


def test_unqualified_needs_a_reason_which_the_review_refusal_repeats(users, newcomer, order):
    _upload(users["account_manager"], newcomer)
    missing = _decide(users["sales_manager"], newcomer, "unqualified")
    assert missing.status_code == 422 and "不合格必须填写原因" in missing.content.decode()
    assert _decide(users["sales_manager"], newcomer, "unqualified", "营业执照经营范围不含设备采购").status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.qualification == Qualification.UNQUALIFIED
    [decided] = _audits(newcomer, "qualification_decided")
    assert decided.changes["qualification_note"] == ["", "营业执照经营范围不含设备采购"]
    refused = _review_pass(order)
    assert refused.json()["detail"].startswith("客户「新星贸易有限公司」的资质为「不合格」")
    assert refused.json()["errors"]["customer_id"] == [
        "客户资质审核不合格（原因：营业执照经营范围不含设备采购）：请客户经理在客户页重新上传资料，由销售经理审核合格"]
    # the account manager uploads again: 待审核 once more, the reason cleared
    assert _upload(users["account_manager"], newcomer, business_licence=None).status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.qualification == Qualification.PENDING and newcomer.qualification_note == ""


def test_qualified_needs_the_papers_complete(users, newcomer):
    response = _decide(users["sales_manager"], newcomer, "qualified")
    assert response.status_code == 422
    page = response.content.decode()
    assert "资质资料不全，不能审核合格" in page and "缺少营业执照扫描件" in page and "缺少信用记录" in page
    newcomer.refresh_from_db()
    assert newcomer.qualification == Qualification.PENDING and not _audits(newcomer, "qualification_decided")


def test_an_upload_that_is_not_a_pdf_or_image_keeps_nothing(users, newcomer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = _upload(users["account_manager"], newcomer,
                       business_licence=SimpleUploadedFile("licence.pdf", b"MZ not a pdf", content_type="application/pdf"))
    assert response.status_code == 422 and "只能上传 PDF、JPG 或 PNG 文件" in response.content.decode()
    expired = _upload(users["account_manager"], newcomer, licence_expiry="2020-01-01",
                      credit_report=SimpleUploadedFile("征信.png", LICENCE_SCAN, content_type="image/png"))
    assert expired.status_code == 422 and "营业执照已于 2020-01-01 过期" in expired.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.business_licence and not newcomer.credit_report and newcomer.qualification_submitted_at is None
    assert not list(tmp_path.rglob("*.*")) and not _audits(newcomer, "qualification_submitted")
    assert not Notification.objects.filter(event="qualification_submitted").exists()


def test_only_the_owner_among_the_sales_staff_uploads(users, newcomer):
    assert _upload(users["sales_assistant"], newcomer).status_code == 403
    other = make_user("am_two", "account_manager", team=users["account_manager"].team)
    assert _upload(other, newcomer).status_code == 404  # not their customer: out of reach
    with pytest.raises(NotAllowed):
        qualification_submit(actor=users["sales_assistant"], customer_id=newcomer.pk, licence=_pdf(),
                             licence_expiry="2031-06-30", credit_record="良好")


def test_the_customer_pages_show_what_each_may_see(users, newcomer, customer, order):
    page = _client(users["account_manager"]).get("/customers/").content.decode()
    assert "新星贸易有限公司" in page and "科技有限公司" in page and 'href="/customers/"' in page
    assert _client(users["warehouse"]).get("/customers/").status_code == 403
    assert 'href="/customers/"' not in _client(users["warehouse"]).get("/today/").content.decode()
    detail = _client(users["account_manager"]).get(f"/customers/{newcomer.pk}/").content.decode()
    assert 'id="qualification-upload"' in detail and 'id="qualification-decision"' not in detail
    assert order.ref in detail and "客户资质待审核" in detail
    manager = _client(users["sales_manager"]).get(f"/customers/{newcomer.pk}/").content.decode()
    assert 'id="qualification-decision"' in manager
    licence = _client(users["sales_manager"]).get(f"/customers/{customer.pk}/files/licence")
    assert licence.status_code == 200 and licence["Content-Type"] == "image/png"
    assert _client(users["logistics"]).get(f"/customers/{customer.pk}/files/licence").status_code == 403
    assert _client(users["sales_manager"]).get(f"/customers/{newcomer.pk}/files/licence").status_code == 404
