"""Mail intake keeps to the teams: a mail is its customer's team's, an unmatched one every team's and nobody
learns another team's customer, contact or order from it; an attachment named like a path is kept under a
safe name and the mail is taken in, uploaded or from the mailbox."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.accounts.models import Team
from orderloop.masterdata.models import Contact, Customer, Qualification
from orderloop.orders.mail import mail_receive, mail_refuse, mailbox_poll
from orderloop.orders.models import Attachment, IncomingMail, SalesOrder
from tests.support.hostile import XLSX, mail_with
from tests.support.mails import order_mail
from tests.support.users import make_user
from tests.support.workbooks import row, workbook

OTHER_SENDER = "王* <wang@huadong.example>"


@pytest.fixture
def other_team(users):
    """A second team (华东销售二组) with its own sales assistant, account manager, manager and a customer whose
    contact wang@huadong.example sends mail."""
    team = Team.objects.create(name="华东销售二组")
    people = {role: make_user(f"{role}_2", role, team=team) for role in ("sales_assistant", "account_manager",
                                                                         "sales_manager")}
    team.manager = people["sales_manager"]
    team.save()
    customer = Customer.objects.create(name="华东机密客户", owner=people["account_manager"],
                                       qualification=Qualification.QUALIFIED)
    Contact.objects.create(customer=customer, name="王*", phone="13900009999", email="wang@huadong.example")
    return {"team": team, "customer": customer, **people}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_upload_from_another_teams_contact_waits_for_that_team_and_names_nothing_of_it(users, customer, product,
                                                                                          other_team):
    raw = order_mail(sender=OTHER_SENDER, message_id="<po-9@huadong.example>")
    mine = logged_in(users["sales_assistant"])
    response = mine.post("/orders/mail/", {"file": SimpleUploadedFile("order.eml", raw)}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and SalesOrder.objects.count() == 0
    assert "邮件已保存，将由负责该客户的同事生成订单" in page
    theirs = other_team["customer"]
    assert "客户不存在" not in page and theirs.name not in page and "13900009999" not in page
    incoming = IncomingMail.objects.get()
    assert (incoming.state, incoming.customer) == ("waiting", theirs)
    assert "wang@huadong.example" not in mine.get("/orders/mail/").content.decode()  # not on our list
    their_page = logged_in(other_team["sales_assistant"]).get("/orders/mail/").content.decode()
    assert "wang@huadong.example" in their_page


def test_another_teams_mail_cannot_be_taken_in(users, customer, product, other_team):
    incoming = mail_receive(raw=order_mail(sender=OTHER_SENDER, message_id="<po-9@huadong.example>"),
                            actor=users["sales_assistant"])  # waits for the other team
    assert incoming.state == "waiting"
    response = logged_in(users["sales_assistant"]).post("/orders/mail/", {"incoming": incoming.pk,
                                                                          "customer_id": customer.pk})
    assert response.status_code == 404
    incoming.refresh_from_db()
    assert incoming.state == "waiting" and SalesOrder.objects.count() == 0
    theirs = logged_in(other_team["sales_assistant"]).post(
        "/orders/mail/", {"incoming": incoming.pk, "customer_id": other_team["customer"].pk})
    incoming.refresh_from_db()
    assert incoming.state == "converted" and theirs.url == f"/orders/{incoming.order.ref}/"


def test_a_mail_another_team_took_in_does_not_lead_to_their_order(users, customer, product, other_team):
    raw = order_mail(sender=OTHER_SENDER, message_id="<po-9@huadong.example>")
    theirs = mail_receive(raw=raw, actor=other_team["sales_assistant"]).order
    response = logged_in(users["sales_assistant"]).post("/orders/mail/", {"file": SimpleUploadedFile("o.eml", raw)},
                                                        follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [("/orders/mail/", 302)]
    assert theirs.ref not in page and "该邮件已生成订单" in page
    converted = IncomingMail.objects.get()
    again = logged_in(users["sales_assistant"]).post("/orders/mail/", {"incoming": converted.pk,
                                                                       "customer_id": customer.pk})
    assert again.status_code == 404


def test_our_customer_named_on_upload_takes_nothing_of_another_teams_contact(users, customer, product, other_team):
    raw = order_mail(sender=OTHER_SENDER, message_id="<po-9@huadong.example>")
    logged_in(users["sales_assistant"]).post("/orders/mail/", {"file": SimpleUploadedFile("o.eml", raw),
                                                               "customer_id": customer.pk})
    order = SalesOrder.objects.get()
    assert order.customer == customer and order.contact_phone == "" and order.contact_name == "王*"  # the mail's own


def test_unmatched_mail_is_every_teams_and_mail_of_a_customer_its_teams(users, customer, product, other_team):
    mail_receive(raw=order_mail(sender="采购部 <buyer@unknown.example>", message_id="<u-1@unknown.example>"))
    refused = mail_refuse(raw=order_mail(sender=OTHER_SENDER, message_id="<po-9@huadong.example>"),
                          reason="表格超过 10000 行（不含表头），未读取")
    assert refused.customer == other_team["customer"]
    for user in (users["sales_assistant"], users["account_manager"], other_team["sales_assistant"]):
        assert "buyer@unknown.example" in logged_in(user).get("/orders/mail/").content.decode()
    assert "wang@huadong.example" not in logged_in(users["sales_assistant"]).get("/orders/mail/").content.decode()
    assert "wang@huadong.example" in logged_in(other_team["sales_assistant"]).get("/orders/mail/").content.decode()


ATTACK_NAMES = ["../../../etc/cron.d/订单.pdf", "..\\..\\报价单.xlsx", "..", "合同\u202egpj.exe", "a/b/../c.pdf", "x\x00y.pdf"]


def _hostile_mail(message_id="<names-1@keji.example>") -> bytes:
    pdf = (b"%PDF-1.4 scanned purchase order", ("application", "pdf"))
    attachments = [(name, *pdf) for name in ATTACK_NAMES if not name.endswith(".xlsx")]
    attachments.append((ATTACK_NAMES[1], workbook([row("PO-1", quantity=10, price=5000)]), XLSX))
    return mail_with(attachments, message_id=message_id)


def _assert_kept_safely(order):
    # (an IMAP server may deliver the NUL as U+FFFD, a visible mark)
    shown = sorted(a.filename.replace("\ufffd", "") for a in order.attachments.filter(kind=Attachment.Kind.MAIL_ATTACHMENT))
    assert shown == sorted(["订单.pdf", "报价单.xlsx", "attachment", "合同gpj.exe", "c.pdf", "xy.pdf"])
    for attachment in order.attachments.all():
        stored = Path(attachment.file.name)
        assert stored.parts[0] == "orders" and ".." not in stored.parts and len(stored.parts) == 4
        assert Path(attachment.file.path).resolve().is_relative_to(Path(attachment.file.storage.location).resolve())


def test_attachments_named_like_paths_are_kept_under_safe_names_from_an_upload(users, customer, product):
    customer.contacts.update(email="li@keji.example")
    response = logged_in(users["sales_assistant"]).post(
        "/orders/mail/", {"file": SimpleUploadedFile("order.eml", _hostile_mail())})
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response.url == f"/orders/{order.ref}/"
    _assert_kept_safely(order)
    assert order.lines.count() == 1  # the spreadsheet named ..\..\报价单.xlsx was read
    page = logged_in(users["sales_assistant"]).get(f"/orders/{order.ref}/").content.decode()
    assert "报价单.xlsx" in page and "../" not in page


def test_attachments_named_like_paths_are_taken_in_from_the_mailbox(imap_server, users, customer, product, settings):
    customer.contacts.update(email="li@keji.example")
    imap_server.deliver(_hostile_mail())
    settings.ORDERLOOP_ORDER_MAILBOX = imap_server.url
    assert mailbox_poll() == 1 and imap_server.unseen() == 0
    incoming = IncomingMail.objects.get()
    assert incoming.state == "converted"
    _assert_kept_safely(incoming.order)
