"""Step 3 in depth: shipment preparation waits for every stage and a passed QC, with the
QC report kept; risks go to the manager at once and are resolved with a mitigation."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orderloop.core import clock
from orderloop.notifications.models import Notification
from orderloop.orders.models import Attachment, FulfillmentStage, Risk, SalesOrder
from tests.support.api_client import Api
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PLAN = [{"name": "生产", "owner": "production", "planned_date": "2030-05-15"},
        {"name": "质检", "owner": "warehouse", "planned_date": "2030-05-16"}]
READY = {"goods": "服务器A型 S-001 × 10", "quantity_checked": True, "qc_passed": True, "qc_report": "10台全部质检合格"}


@pytest.fixture
def in_production(orders, users):
    return act(orders.at("confirmed"), "start_fulfillment", users["production"], stages=PLAN)


def stored_files() -> set[str]:
    root = settings.MEDIA_ROOT
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_shipment_preparation_waits_for_every_stage_and_a_passed_qc(in_production, users):
    api = Api("warehouse")
    ref = in_production.number
    refused = api.action(ref, "prepare_shipment", **READY)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "不能执行「发货准备」：以下环节尚未完成：生产、质检"

    act(in_production, "track", users["production"], stage="生产", record="生产完成", actual_date="2024-05-15")
    refused = api.action(ref, "prepare_shipment", **READY)
    assert refused.status_code == 409 and "质检" in refused.json()["detail"] and "生产" not in refused.json()["detail"]

    act(in_production, "track", users["warehouse"], stage="质检", record="质检完成", actual_date="2024-05-16")
    failed = api.action(ref, "prepare_shipment", **{**READY, "qc_passed": False, "qc_report": "2台外观划伤"})
    assert failed.status_code == 409
    assert failed.json()["detail"] == "不能执行「发货准备」：质检未通过：请处理后重新质检"
    assert failed.json()["errors"] == {"qc_passed": ["质检未通过：请处理后重新质检"]}
    unchecked = api.action(ref, "prepare_shipment", **{**READY, "quantity_checked": False})
    assert unchecked.status_code == 409 and "核对产品数量" in unchecked.json()["detail"]
    assert SalesOrder.objects.get(pk=in_production.pk).status == "in_fulfillment"
    assert not Notification.objects.filter(event="shipment_prepared").exists()

    done = api.action(ref, "prepare_shipment", **READY)
    assert done.status_code == 200 and done.json()["status"] == "ready_to_ship"
    told = set(Notification.objects.filter(event="shipment_prepared").values_list("recipient__username", "channel"))
    assert told == {("logistics", "inapp"), ("logistics", "email"), ("sales_assistant", "inapp")}


def finish_stages(order, users):
    for stage in PLAN:  # done early: an actual date is never in the future
        act(order, "track", users["warehouse"], stage=stage["name"], record="完成", actual_date="2024-05-20")


def test_the_qc_report_uploaded_with_the_form_is_kept_and_on_the_shipment_slip(in_production, users):
    finish_stages(in_production, users)
    web = Client()
    web.force_login(users["warehouse"])
    page = web.get(f"/orders/{in_production.number}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="qc_report_attachment_id"' in page
    form = {**READY, "quantity_checked": "on", "qc_passed": "on",
            "qc_report_attachment_id": SimpleUploadedFile("质检报告.pdf", PDF, content_type="application/pdf")}
    response = web.post(f"/orders/{in_production.number}/actions/prepare_shipment/", form)
    assert response.status_code == 302
    report = Attachment.objects.get(order=in_production, kind="qc_report")
    assert report.filename == "质检报告.pdf" and report.file.read() == PDF
    slip = web.get(f"/orders/{in_production.number}/documents/shipment/").content.decode()
    assert "发货准备单" in slip and "10台全部质检合格" in slip and "质检报告.pdf" in slip
    assert f"/orders/{in_production.number}/attachments/{report.pk}/" in slip
    logistics = Client()
    logistics.force_login(users["logistics"])
    download = logistics.get(f"/orders/{in_production.number}/attachments/{report.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_a_refused_preparation_keeps_no_uploaded_file(in_production, users):
    web = Client()
    web.force_login(users["warehouse"])
    finish_stages(in_production, users)
    before = stored_files()
    form = {**READY, "quantity_checked": "on",  # QC not passed
            "qc_report_attachment_id": SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")}
    response = web.post(f"/orders/{in_production.number}/actions/prepare_shipment/", form)
    assert response.status_code == 409
    assert "质检未通过" in response.content.decode()
    assert stored_files() == before
    assert not Attachment.objects.filter(order=in_production).exists()


def test_the_api_uploads_a_report_first_and_refers_to_it(in_production, users, orders):
    finish_stages(in_production, users)
    api = Api("warehouse")
    ref = in_production.number
    before = stored_files()
    not_a_pdf = api.upload(f"/orders/{ref}/attachments", kind="qc_report",
                           file=SimpleUploadedFile("report.html", b"<html><script>alert(1)</script>"))
    assert not_a_pdf.status_code == 422 and not_a_pdf.json()["errors"] == {"file": ["只能上传 PDF、JPG 或 PNG 文件"]}
    assert stored_files() == before
    assert Api("logistics").upload(f"/orders/{ref}/attachments", kind="qc_report",
                                   file=SimpleUploadedFile("r.pdf", PDF)).status_code == 403
    uploaded = api.upload(f"/orders/{ref}/attachments", kind="qc_report", file=SimpleUploadedFile("r.pdf", PDF))
    assert uploaded.status_code == 201 and uploaded.json()["content_type"] == "application/pdf"
    other = act(orders.at("confirmed"), "start_fulfillment", users["production"], stages=PLAN)
    foreign = api.upload(f"/orders/{other.number}/attachments", kind="qc_report", file=SimpleUploadedFile("o.pdf", PDF))
    wrong = api.action(ref, "prepare_shipment", **READY, qc_report_attachment_id=foreign.json()["id"])
    assert wrong.status_code == 422 and wrong.json()["errors"] == {"qc_report_attachment_id": ["不是本订单的质检报告"]}
    done = api.action(ref, "prepare_shipment", **READY, qc_report_attachment_id=uploaded.json()["id"])
    assert done.status_code == 200
    event = api.get(f"/orders/{ref}/events").json()[-1]
    assert event["type"] == "shipment_prepared" and event["payload"]["qc_report_file"] == "r.pdf"


class Boom(Exception):
    pass


def test_a_risk_and_the_managers_notification_are_one_transaction(in_production, users):
    with pytest.raises(Boom), transaction.atomic():
        act(in_production, "raise_risk", users["production"], risk_type="material_shortage", description="芯片缺货")
        assert Notification.objects.filter(event="risk_raised", recipient=users["sales_manager"]).exists()
        raise Boom
    assert not Risk.objects.exists() and not Notification.objects.filter(event="risk_raised").exists()

    act(in_production, "raise_risk", users["production"], risk_type="material_shortage", description="芯片缺货")
    told = Notification.objects.filter(event="risk_raised", recipient=users["sales_manager"])
    assert set(told.values_list("channel", flat=True)) == {"inapp", "email"}
    manager = Client()
    manager.force_login(users["sales_manager"])
    today = manager.get("/today/").content.decode()
    assert "原材料短缺" in today and "芯片缺货" in today and in_production.number in today


def test_a_delay_agreed_with_the_customer_reopens_the_date_and_returns_to_production(in_production, users):
    order = act(in_production, "raise_risk", users["production"], risk_type="equipment_failure", description="注塑机故障")
    risk = order.risks.get()
    order = act(order, "resolve_risk", users["sales_manager"], risk_id=risk.pk, mitigation_type="negotiate_delay",
                mitigation="设备维修需3天，与客户协商延期至6月5日")
    assert order.status == "date_negotiation"
    risk.refresh_from_db()
    assert (risk.mitigation_type, risk.resolved_by) == ("negotiate_delay", users["sales_manager"])
    assert Notification.objects.filter(event="date_negotiation", recipient=users["account_manager"]).exists()
    order = act(order, "agree_date", users["account_manager"], agreed_date="2030-06-05", talk="客户同意延期至6月5日")
    assert order.status == "in_fulfillment" and order.promised_date.isoformat() == "2030-06-05"
    assert [s.name for s in order.stages.filter(superseded=False)] == ["生产", "质检"]  # the plan goes on
    assert order.timers.filter(kind="tracking", state="running").count() == 1


def test_resolving_a_risk_needs_a_mitigation(in_production, users):
    order = act(in_production, "raise_risk", users["production"], risk_type="other", description="包装材料未到")
    response = Api("sales_manager").action(order.number, "resolve_risk", risk_id=order.risks.get().pk, mitigation="")
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"mitigation_type", "mitigation"}
    assert order.risks.get().is_open


def test_the_progress_sheet_prints_stages_records_and_risks(in_production, users):
    with clock.frozen_at(datetime(2030, 5, 17, 9, 0, tzinfo=SH)):
        act(in_production, "track", users["production"], stage="生产", record="生产完成", problem="晚一天",
            actual_date="2030-05-16")
        act(in_production, "raise_risk", users["production"], risk_type="material_shortage", description="包材短缺")
        client = Client()
        client.force_login(users["sales_assistant"])
        sheet = client.get(f"/orders/{in_production.number}/documents/progress/").content.decode()
    assert "生产备货进度表" in sheet
    assert "<td>生产</td><td>production</td><td>2030-05-15</td><td>2030-05-16</td>" in sheet
    assert "已完成（延期）" in sheet and "<strong>已延期</strong>" in sheet  # 质检 was due on the 16th
    assert "<td>生产完成</td><td>晚一天</td>" in sheet and "包材短缺" in sheet


def test_the_order_page_makes_as_many_queries_for_fifty_of_everything_as_for_one(in_production, users):
    order = act(in_production, "raise_risk", users["production"], risk_type="other", description="风险 0")
    manager = Client()
    manager.force_login(users["sales_manager"])
    url = f"/orders/{order.number}/"
    assert manager.get(url).status_code == 200  # opened before: each look below finds new events (their ids, then them)
    act(order, "track", users["production"], stage="生产", record="记录 0")
    with CaptureQueriesContext(connection) as one:
        assert manager.get(url).status_code == 200
    for i in range(1, 50):
        act(order, "raise_risk", users["production"], risk_type="other", description=f"风险 {i}")
        act(order, "track", users["production"], stage="生产", record=f"记录 {i}")
    FulfillmentStage.objects.bulk_create(FulfillmentStage(order=order, position=3 + i, name=f"环节 {i}", planned_date="2030-05-20")
                                         for i in range(48))
    with CaptureQueriesContext(connection) as fifty:
        page = manager.get(url).content.decode()
    assert page.count("风险 ") >= 50 and page.count('data-event="progress_tracked"') == 50
    assert len(fifty) == len(one), [q["sql"] for q in fifty.captured_queries][len(one):]
