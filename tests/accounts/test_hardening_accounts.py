"""Accounts hardening: API tokens end with a new password (however it is set), with a deactivated account and when
revoked — by their user or an administrator, on a page and through the API, each revoke audited — and note when
they were last used, at most once a minute; login lockouts count a username's failures per client address (and
per address), so wrong passwords sent from elsewhere lock nobody out, and an administrator can lift a lockout."""
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orderloop.accounts.models import ApiToken, LoginFailure, User
from orderloop.accounts.services import token_hash
from orderloop.core import clock
from orderloop.core.models import AuditEntry

T0 = timezone.make_aware(timezone.datetime(2030, 3, 4, 10, 0))
LOCKED = "登录失败次数过多，请 15 分钟后再试"
NEW_PASSWORD = "Kx7-tunnel-harbour"



def _token(username, password="orderloop", ip="10.0.0.1") -> str:
    response = Client(REMOTE_ADDR=ip).post("/api/auth/token", {"username": username, "password": password},
                                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _call(key, method="get", path="/api/orders"):
    return getattr(Client(), method)(path, HTTP_AUTHORIZATION=f"Bearer {key}")


def _revoke(key, token_id):
    return _call(key, "post", f"/api/tokens/{token_id}/revoke")


def _row(key) -> ApiToken:
    return ApiToken.objects.get(key_hash=token_hash(key))


def _superuser(users) -> User:
    User.objects.filter(pk=users["admin"].pk).update(is_staff=True, is_superuser=True)
    return User.objects.get(pk=users["admin"].pk)


# A. API tokens ------------------------------------------------------------------------------------------------------

def test_a_new_password_ends_every_token_of_the_user_and_is_audited(users):
    first, second, other = _token("sales_manager"), _token("sales_manager"), _token("sales_director")
    assert _call(first).status_code == 200 and _call(second).status_code == 200
    manager = User.objects.get(username="sales_manager")
    manager.set_password(NEW_PASSWORD)
    manager.save()
    for key in (first, second):
        response = _call(key)
        assert response.status_code == 401 and response.json()["code"] == "unauthorized"
        assert _row(key).end_reason == ApiToken.End.PASSWORD_CHANGED and _row(key).revoked_at is not None
    assert _call(other).status_code == 200  # another user's token answers
    entry = AuditEntry.objects.get(operation="api_tokens_revoked")
    assert (entry.object_type, entry.object_id) == ("accounts.user", str(manager.pk))
    assert entry.changes == {"end_reason": "password_changed", "api_tokens": 2}
    assert _call(_token("sales_manager", NEW_PASSWORD)).status_code == 200  # a token under the new password works


def test_a_password_set_by_the_admin_in_its_password_form_ends_the_tokens(users):
    key = _token("warehouse")
    client = Client()
    client.force_login(_superuser(users))
    response = client.post(f"/admin/accounts/user/{users['warehouse'].pk}/password/",
                           {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _call(key).status_code == 401


def test_a_password_set_by_the_changepassword_command_ends_the_tokens(users, monkeypatch):
    import getpass
    from io import StringIO

    from django.core.management import call_command

    key = _token("sales_director")
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", "sales_director", stdout=StringIO())
    assert User.objects.get(username="sales_director").check_password(NEW_PASSWORD)
    assert _call(key).status_code == 401


def test_a_password_written_past_the_model_still_ends_the_tokens(users):
    """The token keeps a fingerprint of the password hash: even an UPDATE that bypasses User.save ends it."""
    key = _token("logistics")
    User.objects.filter(username="logistics").update(password=make_password(NEW_PASSWORD))
    assert _call(key).status_code == 401
    client = Client()
    client.force_login(User.objects.get(username="logistics"))
    assert "密码已更改" in client.get("/account/tokens/").content.decode()  # listed until its state says otherwise


def test_a_hash_upgraded_at_login_is_no_new_password_and_the_tokens_stay(users, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    key = _token("production")
    settings.PASSWORD_HASHERS = ["tests.support.hashers.FastPBKDF2Hasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]
    assert Client().post("/login/", {"username": "production", "password": "orderloop"}).status_code == 302
    assert User.objects.get(username="production").password.startswith("pbkdf2_fast_test$")  # stored again
    assert _call(key).status_code == 200
    assert not AuditEntry.objects.filter(operation="api_tokens_revoked").exists()


def test_deactivation_ends_the_tokens_and_reactivation_does_not_bring_them_back(users):
    key = _token("after_sales")
    engineer = User.objects.get(username="after_sales")
    engineer.is_active = False
    engineer.save()
    assert _call(key).status_code == 401
    assert _row(key).end_reason == ApiToken.End.DEACTIVATED
    engineer.is_active = True
    engineer.save()
    assert _call(key).status_code == 401
    assert AuditEntry.objects.get(operation="api_tokens_revoked").changes == {"end_reason": "deactivated",
                                                                            "api_tokens": 1}


def test_logging_out_of_the_browser_leaves_the_tokens_alone(users):
    """docs/decisions.md: tokens are for scripts, sessions for the browser; a logout ends its session only."""
    key = _token("account_manager")
    browser = Client()
    assert browser.post("/login/", {"username": "account_manager", "password": "orderloop"}).status_code == 302
    assert browser.post("/logout/").status_code == 302
    assert browser.get("/today/").status_code == 302
    assert _call(key).status_code == 200


def test_through_the_api_users_list_and_revoke_their_own_tokens_and_the_admin_anyones(users):
    own, spare = _token("sales_assistant"), _token("sales_assistant")
    others = _token("account_manager")
    listed = _call(own, path="/api/tokens").json()
    assert {t["id"] for t in listed} == {_row(own).pk, _row(spare).pk}  # not the account manager's
    assert set(listed[0]) == {"id", "user", "key_prefix", "created_at", "expires_at", "last_used_at", "revoked_at",
                              "state"}
    assert {t["key_prefix"] for t in listed} == {own[:6], spare[:6]} and {t["state"] for t in listed} == {"active"}
    # another user's token is out of reach: 404 in the one error format, and it still answers
    refused = _revoke(own, _row(others).pk)
    assert refused.status_code == 404 and refused.json() == {"detail": "未找到该接口令牌", "errors": {},
                                                             "code": "not_found"}
    assert _call(others).status_code == 200
    # one's own: ended at once, gone from the list, shown with include_ended
    revoked = _revoke(own, _row(spare).pk)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked" and revoked.json()["revoked_at"]
    assert _call(spare).status_code == 401
    assert [t["id"] for t in _call(own, path="/api/tokens").json()] == [_row(own).pk]
    ended = {t["id"]: t["state"] for t in _call(own, path="/api/tokens?include_ended=true").json()}
    assert ended[_row(spare).pk] == "revoked"
    # the administrator sees everyone's and revokes any
    admin = _token("admin")
    assert {t["user"] for t in _call(admin, path="/api/tokens").json()} == {"sales_assistant", "account_manager", "admin"}
    assert [t["user"] for t in _call(admin, path="/api/tokens?user=account_manager").json()] == ["account_manager"]
    assert _revoke(admin, _row(others).pk).status_code == 200
    assert _call(others).status_code == 401
    assert _revoke(admin, _row(others).pk).status_code == 200  # again: nothing more
    entries = AuditEntry.objects.filter(operation="revoked", object_type="accounts.apitoken").order_by("id")
    assert [(e.actor.username, e.object_id, e.changes["user"]) for e in entries] == [
        ("sales_assistant", str(_row(spare).pk), "sales_assistant"), ("admin", str(_row(others).pk), "account_manager")]
    assert _row(others).revoked_by.username == "admin"
    assert _revoke(own, 999999).status_code == 404


def test_on_the_token_page_users_see_and_revoke_their_own_tokens_and_the_admin_anyones(users):
    own, others = _token("sales_manager"), _token("warehouse")
    manager = Client()
    manager.force_login(users["sales_manager"])
    page = manager.get("/account/tokens/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="tokens-link"' in html and f"{own[:6]}…" in html and f"{others[:6]}…" not in html
    assert manager.post(f"/account/tokens/{_row(others).pk}/revoke/").status_code == 404
    assert _call(others).status_code == 200
    response = manager.post(f"/account/tokens/{_row(own).pk}/revoke/", follow=True)
    assert response.redirect_chain[-1][0] == "/account/tokens/"
    assert f"已撤销接口令牌 {own[:6]}…" in response.content.decode()
    assert _call(own).status_code == 401
    assert f"{own[:6]}…" not in manager.get("/account/tokens/").content.decode()  # only live tokens by default
    assert "已撤销" in manager.get("/account/tokens/?ended=1").content.decode()
    assert manager.get(f"/account/tokens/{_row(own).pk}/revoke/").status_code == 405
    admin = Client()
    admin.force_login(users["admin"])
    html = admin.get("/account/tokens/").content.decode()
    assert f"{others[:6]}…" in html and "<th>用户</th>" in html
    assert admin.post(f"/account/tokens/{_row(others).pk}/revoke/").status_code == 302
    assert _call(others).status_code == 401
    assert AuditEntry.objects.filter(operation="revoked").count() == 2
    # the audit log names what happened
    log = admin.get("/audit/?object_type=accounts.apitoken").content.decode()
    assert "接口令牌" in log and "撤销" in log


def test_last_used_at_is_written_at_most_once_a_minute_by_one_guarded_update(users):
    with clock.frozen_at(T0):
        key = _token("sales_director")
        assert _row(key).last_used_at is None
        with CaptureQueriesContext(connection) as first:
            assert _call(key).status_code == 200
        assert _row(key).last_used_at == T0
    updates = [q["sql"] for q in first.captured_queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]
    assert len(updates) == 1 and "last_used_at" in updates[0].split("WHERE", 1)[1]  # only if nobody wrote it since
    with clock.frozen_at(T0 + timedelta(seconds=59)):
        with CaptureQueriesContext(connection) as within:
            assert _call(key).status_code == 200
        assert _row(key).last_used_at == T0
    assert not [q for q in within.captured_queries if q["sql"].startswith("UPDATE")]
    with clock.frozen_at(T0 + timedelta(minutes=1, seconds=1)):
        assert _call(key).status_code == 200
        assert _row(key).last_used_at == T0 + timedelta(minutes=1, seconds=1)


# B. Lockout per username and address ----------------------------------------------------------------------------------

def _web_login(username, password, ip):
    return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})


def test_wrong_passwords_from_elsewhere_do_not_lock_the_administrator_out(users):
    with clock.frozen_at(T0):
        for _ in range(5):
            assert _web_login("admin", "wrong", ip="203.0.113.9").status_code == 200
        for i in range(4):  # and one each from four more addresses
            assert _web_login("admin", "wrong", ip=f"198.51.100.{i}").status_code == 200
        refused = _web_login("admin", "orderloop", ip="203.0.113.9")
        assert refused.status_code == 429 and LOCKED in refused.content.decode()
        assert _web_login("admin", "orderloop", ip="10.0.0.8").status_code == 302  # the admin's own address
        api = Client(REMOTE_ADDR="10.0.0.8").post("/api/auth/token", {"username": "admin", "password": "orderloop"},
                                                   content_type="application/json")
        assert api.status_code == 200
        assert Client(REMOTE_ADDR="203.0.113.9").post(
            "/api/auth/token", {"username": "admin", "password": "orderloop"},
            content_type="application/json").status_code == 429


def _unlock(admin_client, failure):
    return admin_client.post("/admin/accounts/loginfailure/", {"action": "unlock", "_selected_action": [str(failure.pk)],
                                                               "index": "0"})


def test_the_administrator_lifts_a_lockout_in_the_admin_and_it_is_audited(users):
    admin_client = Client()
    admin_client.force_login(_superuser(users))
    with clock.frozen_at(T0):
        for _ in range(5):
            _web_login("sales_assistant", "wrong", ip="192.0.2.10")
        assert _web_login("sales_assistant", "orderloop", ip="192.0.2.10").status_code == 429
        changelist = admin_client.get("/admin/accounts/loginfailure/").content.decode()
        assert 'value="unlock"' in changelist and 'value="delete_selected"' not in changelist
        response = _unlock(admin_client, LoginFailure.objects.filter(username="sales_assistant").first())
        assert response.status_code == 302
        assert LoginFailure.objects.filter(username="sales_assistant", unlocked=True).count() == 5
        entry = AuditEntry.objects.get(operation="unlocked")
        assert entry.actor.username == "admin" and entry.object_type == "accounts.loginfailure"
        assert entry.changes == {"username": "sales_assistant", "ip_address": "192.0.2.10", "locks_address": False,
                                 "failures": 5}
        # the failures lifted count for nothing: one more wrong password is one, not six
        assert _web_login("sales_assistant", "wrong", ip="192.0.2.10").status_code == 200
        assert _web_login("sales_assistant", "orderloop", ip="192.0.2.10").status_code == 302
        # a locked address is lifted too when one of its rows is chosen
        for i in range(20):
            _web_login(f"guess{i}", "wrong", ip="192.0.2.66")
        assert _web_login("logistics", "orderloop", ip="192.0.2.66").status_code == 429
        _unlock(admin_client, LoginFailure.objects.filter(ip_address="192.0.2.66").first())
        assert _web_login("logistics", "orderloop", ip="192.0.2.66").status_code == 302
        assert AuditEntry.objects.filter(operation="unlocked").latest("id").changes["locks_address"] is True
    log = admin_client.get("/audit/?object_type=accounts.loginfailure").content.decode()
    assert "解除登录锁定" in log and "sales_assistant" in log


def test_only_an_administrator_may_lift_a_lockout(users):
    """Staff without the admin role (e.g. given admin access for another model) are not offered the unlock."""
    from django.contrib.auth.models import Permission

    clerk = users["warehouse"]
    User.objects.filter(pk=clerk.pk).update(is_staff=True)
    clerk = User.objects.get(pk=clerk.pk)
    clerk.user_permissions.add(Permission.objects.get(codename="view_loginfailure"))
    with clock.frozen_at(T0):
        for _ in range(5):
            _web_login("sales_assistant", "wrong", ip="192.0.2.10")
        client = Client()
        client.force_login(clerk)
        assert 'value="unlock"' not in client.get("/admin/accounts/loginfailure/").content.decode()
        _unlock(client, LoginFailure.objects.first())
        assert _web_login("sales_assistant", "orderloop", ip="192.0.2.10").status_code == 429
    assert not AuditEntry.objects.filter(operation="unlocked").exists()


@pytest.mark.parametrize("former", [True, False], ids=["former-name", "new-name"])
def test_the_limit_per_username_and_address_is_read_from_either_name(tmp_path, former):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    name = "ORDERLOOP_LOGIN_FAILURES_PER_USERNAME" if former else "ORDERLOOP_LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ORDERLOOP_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "orderloop.config.settings", "ORDERLOOP_VAR_DIR": str(tmp_path), name: "7"})
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps(s.ORDERLOOP_LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS))")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == 7
