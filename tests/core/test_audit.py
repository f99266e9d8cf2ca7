"""The audit log: append-only, every export and document download recorded, and a viewer for managers."""
import pytest
from django.core.management import call_command
from django.test import Client

from orderloop.accounts.models import User
from orderloop.core.models import AuditEntry
from tests.support.shared_db import kept_for_the_scope


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module: every test here asks it, and what each changes is rolled back before
    the next (tests/support/shared_db.py)."""
    with kept_for_the_scope(django_db_blocker):
        with django_db_blocker.unblock():
            call_command("demo", force=True)
        yield


@pytest.fixture
def demo(_demo_loaded, db):
    """The demo as loaded, each test's changes undone."""


def login(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_audit_entries_cannot_be_changed_or_deleted(demo):
    entry = AuditEntry.objects.first()
    entry.operation = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.filter(operation="tampered").count() == 0


def test_every_export_and_document_download_is_recorded_with_its_filter_and_rows(demo):
    manager = login("sales_manager")
    assert manager.get("/registers/progress.xlsx", {"q": "202405-002"}).status_code == 200
    assert manager.get("/orders/202405-001/documents/confirmation.pdf").status_code == 200
    assert manager.get("/reviews/2024-05.pdf").status_code == 200
    taken = AuditEntry.objects.filter(operation="downloaded").order_by("id")
    assert [(e.actor.username, e.changes["what"]) for e in taken] == [
        ("sales_manager", "订单跟进进度表.xlsx"), ("sales_manager", "订单确认单"), ("sales_manager", "订单复盘报告 2024-05.pdf")]
    export = taken[0]
    assert export.changes["path"] == "/registers/progress.xlsx?q=202405-002" and export.changes["rows"] == 3
    assert taken[1].object_repr == "202405-001 订单确认单"
    # a refused download is not a download
    assert login("account_manager2").get("/orders/202405-001/documents/confirmation.pdf").status_code == 404
    assert taken.count() == 3


def test_the_viewer_filters_by_person_object_and_time_and_is_for_managers_only(demo):
    login("account_manager").get("/registers/feedback.csv")
    manager = login("sales_manager")
    page = manager.get("/audit/", {"actor": "account_manager", "operation": "downloaded"}).content.decode()
    assert "客户反馈与售后记录表.csv" in page
    by_order = manager.get("/audit/", {"object": "202405-001"}).content.decode()
    assert "202405-001" in by_order and "客户反馈与售后记录表.csv" not in by_order
    assert "客户反馈与售后记录表.csv" not in manager.get("/audit/", {"until": "2024-05-31"}).content.decode()
    # the other team's manager does not read this team's exports or orders
    other = login("sales_manager2").get("/audit/", {"actor": "account_manager"}).content.decode()
    assert "客户反馈与售后记录表.csv" not in other
    assert login("account_manager").get("/audit/").status_code == 403
    assert login("admin").get("/audit/", {"object": "202405-001"}).status_code == 200
