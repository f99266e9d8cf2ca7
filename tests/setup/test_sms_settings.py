"""系统设置 › 短信: the administrator sets the SMS provider; the AccessKey secret is stored, never shown back, and
audited as changed only; enabled, the settings must have what a message needs."""
import json

from django.test import Client

from orderloop.core.models import AuditEntry
from orderloop.setup.models import SmsSettings

SECRET = "s3cr3t-AccessKey-value"


def _admin(users) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


def _form(**fields):
    return {"enabled": "on", "endpoint": "https://dysmsapi.aliyuncs.com/", "access_key_id": "LTAI5tExample",
            "access_key_secret": SECRET, "sign_name": "测试科技", "template_logistics_notice": "SMS_100000001",
            "template_rating": "SMS_100000002", "template_ticket_resolved": "", **fields}


def test_the_secret_is_kept_never_shown_and_audited_masked(users):
    client = _admin(users)
    assert "AccessKey Secret" in client.get("/setup/sms/").content.decode()
    assert client.post("/setup/sms/", _form()).status_code == 302
    row = SmsSettings.current()
    assert (row.enabled, row.access_key_secret, row.sign_name) == (True, SECRET, "测试科技")
    page = client.get("/setup/sms/").content.decode()
    assert SECRET not in page and "LTAI5tExample" in page
    # saved again without typing the secret: the stored one stays
    assert client.post("/setup/sms/", _form(access_key_secret="", sign_name="新签名")).status_code == 302
    row.refresh_from_db()
    assert (row.access_key_secret, row.sign_name) == (SECRET, "新签名")
    entries = AuditEntry.objects.filter(object_type="setup.smssettings").order_by("id")
    assert entries.count() == 2
    assert SECRET not in json.dumps([e.changes for e in entries], ensure_ascii=False)
    assert entries[0].changes["access_key_secret"] == [None, "******"]
    assert "access_key_secret" not in entries[1].changes
    guide = client.get("/setup/").content.decode()
    assert SECRET not in guide and "新签名" in guide


def test_enabled_without_a_key_or_template_is_refused_and_changes_nothing(users):
    client = _admin(users)
    response = client.post("/setup/sms/", _form(access_key_secret="", template_logistics_notice=""))
    assert response.status_code == 422
    page = response.content.decode()
    assert "请填写 AccessKey Secret" in page and "请填写物流预告的模板 CODE" in page
    assert not SmsSettings.objects.exists()


def test_only_the_administrator_sets_sms(users):
    client = Client()
    client.force_login(users["logistics"])
    assert client.post("/setup/sms/", _form()).status_code == 403
    assert not SmsSettings.objects.exists()
