"""验收 through the API: the same per-item answers as the phone form (数量, 规格, 外观 each 合格 or 不合格), validated
the same way: an item not answered or a 不合格 one without its note is refused, naming the item, and changes nothing;
a 不合格 one with its photos opens a ticket."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orderloop.aftersales.models import Ticket
from tests.support.api_client import Api
from tests.support.orders import PNG


@pytest.fixture
def shipped(orders):
    return orders.at("shipped")


def test_every_item_must_be_answered_and_a_failed_one_needs_its_note(shipped):
    api = Api("account_manager")
    missing = api.action(shipped.number, "accept", quantity_ok=True, appearance_ok=True)
    assert missing.status_code == 422
    assert missing.json()["detail"] == "请逐项验收：规格 尚未选择合格或不合格"
    assert missing.json()["errors"] == {"spec_ok": ["请选择「规格」合格或不合格"]}
    no_note = api.action(shipped.number, "accept", quantity_ok=False, spec_ok=True, appearance_ok=True)
    assert no_note.status_code == 422
    assert no_note.json()["errors"] == {"quantity_note": ["「数量」不合格：请填写说明"]}
    shipment = shipped.shipments.get()
    shipment.refresh_from_db()
    assert shipment.accepted_at is None and not Ticket.objects.exists()


def test_a_failed_item_with_its_photos_opens_a_ticket(shipped):
    api = Api("account_manager")
    photo = api.upload(f"/orders/{shipped.number}/attachments", kind="photo",
                       file=SimpleUploadedFile("short.png", PNG, content_type="image/png"))
    assert photo.status_code == 201, photo.json()
    stranger = api.action(shipped.number, "accept", quantity_ok=False, quantity_note="少 1 台",
                          quantity_photo_attachment_ids=[photo.json()["id"] + 1000], spec_ok=True, appearance_ok=True)
    assert stranger.status_code == 422 and "quantity_photo_attachment_ids.0" in stranger.json()["errors"]
    response = api.action(shipped.number, "accept", quantity_ok=False, quantity_note="少 1 台",
                          quantity_photo_attachment_ids=[photo.json()["id"]], spec_ok=True, appearance_ok=True)
    assert response.status_code == 200, response.json()
    ticket = Ticket.objects.get(order=shipped)
    assert (ticket.ticket_type, ticket.description) == ("wrong_quantity", "验收问题（第 1 批，数量不合格）：少 1 台")
    assert [p.filename for p in ticket.photos.all()] == ["short.png"]
    event = api.get(f"/orders/{shipped.number}/events").json()[-1]
    assert event["type"] == "accepted" and event["payload"]["answers"] == [
        {"item": "quantity", "answer": "fail", "note": "少 1 台", "photos": ["short.png"]},
        {"item": "spec", "answer": "pass", "note": "", "photos": []},
        {"item": "appearance", "answer": "pass", "note": "", "photos": []}]
