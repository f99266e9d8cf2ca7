"""Security: production settings pass `check --deploy`, a strict Content-Security-Policy with no inline code in
the pages, login throttling, expiring sessions and tokens, password rules, and uploads served as downloads."""
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from orderloop.accounts.models import ApiToken, LoginFailure, Session, User
from orderloop.accounts.services import token_hash
from orderloop.core import clock
from orderloop.orders.uploads import attachment_store

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "orderloop").rglob("templates/**/*.html"))
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
LOCKED = "登录失败次数过多，请 15 分钟后再试"
T0 = timezone.make_aware(timezone.datetime(2030, 3, 4, 10, 0))


# 1. Production settings ------------------------------------------------------------------------------------------

def _settings_env(tmp_path, **env):
    """The process environment without any of the project's settings, plus ``env``."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DJANGO_", "ORDERLOOP_", "DATABASE_URL", "HUEY_", "EMAIL_"))}
    return {**clean, "DJANGO_SETTINGS_MODULE": "orderloop.config.settings", "ORDERLOOP_VAR_DIR": str(tmp_path), **env}


PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k3Jq8vT-" + "x7Lm2pQz9Rw4" * 6, "ORDERLOOP_HTTPS": "1",
              "DJANGO_ALLOWED_HOSTS": "orders.example.com", "ORDERLOOP_BASE_URL": "https://orders.example.com"}


def _settings_in(env) -> dict:
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({n: getattr(s, n)"
            " for n in ['SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS',"
            " 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SECURE_PROXY_SSL_HEADER', 'X_FRAME_OPTIONS',"
            " 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'SESSION_COOKIE_AGE']}))")
    done = subprocess.run([sys.executable, "-c", code], check=False, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_check_deploy_reports_no_issues_with_the_production_environment(tmp_path):
    done = subprocess.run([sys.executable, "-m", "orderloop.cli", "check", "--deploy", "--fail-level", "WARNING"],
                          check=False, env=_settings_env(tmp_path, **PRODUCTION), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr


@pytest.mark.slow
def test_https_settings_follow_orderloop_https_and_the_embedded_run_stays_plain_http(tmp_path):
    production = _settings_in(_settings_env(tmp_path, **PRODUCTION, ORDERLOOP_PROXY_SSL_HEADER="X-Forwarded-Proto"))
    assert production == {
        "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"], "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True, "SECURE_REFERRER_POLICY": "same-origin", "SESSION_COOKIE_AGE": 12 * 3600,
    }
    embedded = _settings_in(_settings_env(tmp_path))  # `make run`: http://127.0.0.1:8000
    assert not embedded["SECURE_SSL_REDIRECT"] and not embedded["SESSION_COOKIE_SECURE"]
    assert not embedded["CSRF_COOKIE_SECURE"] and embedded["SECURE_HSTS_SECONDS"] == 0
    assert embedded["SECURE_PROXY_SSL_HEADER"] is None
    assert _settings_in(_settings_env(tmp_path, ORDERLOOP_SESSION_HOURS="8"))["SESSION_COOKIE_AGE"] == 8 * 3600


def test_operations_guide_documents_the_production_environment():
    guide = (ROOT / "docs" / "operations.md").read_text()
    for name in ["ORDERLOOP_HTTPS", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_DEBUG", "DATABASE_URL",
                 "ORDERLOOP_PROXY_SSL_HEADER", "ORDERLOOP_PROXY_COUNT", "DJANGO_SECURE_HSTS_SECONDS",
                 "DJANGO_SECURE_HSTS_PRELOAD", "ORDERLOOP_SESSION_HOURS", "DJANGO_CSRF_TRUSTED_ORIGINS",
                 "Content-Security-Policy", "ORDERLOOP_LOGIN_FAILURES_PER_USERNAME"]:
        assert name in guide, name


# 2. Content-Security-Policy --------------------------------------------------------------------------------------

def _assert_hardened(response):
    assert response["Content-Security-Policy"] == CSP
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    if not response.get("Content-Type", "").startswith(("text/css", "text/javascript", "application/javascript")):
        assert response["X-Frame-Options"] == "DENY"  # static files (WhiteNoise) rely on frame-ancestors alone
    assert response["Referrer-Policy"] == "same-origin"


def test_every_response_carries_the_content_security_policy(users, orders):
    order = orders.at("confirmed")
    anonymous = Client()
    for path in ["/login/", "/today/", "/static/css/orderloop.css", "/static/js/orderloop.js", "/no-such-page/"]:
        _assert_hardened(anonymous.get(path))
    web = Client()
    web.force_login(users["sales_manager"])
    for path in ["/today/", "/orders/", f"/orders/{order.ref}/", "/board/", "/registers/progress/", "/tickets/"]:
        response = web.get(path)
        assert response.status_code == 200, path
        _assert_hardened(response)
    api = Client()
    refused = api.post("/api/auth/token", {"username": "sales_manager", "password": "nope"}, content_type="application/json")
    assert refused.status_code == 401
    _assert_hardened(refused)
    token = api.post("/api/auth/token", {"username": "sales_manager", "password": "orderloop"},
                     content_type="application/json")
    _assert_hardened(token)
    listed = api.get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    assert listed.status_code == 200
    _assert_hardened(listed)
    _assert_hardened(api.get("/api/orders"))  # 401


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "orderloop")))
def test_templates_hold_no_inline_script_handler_or_style(template):
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert "<style" not in text and "javascript:" not in text.lower()
    assert "hx-on" not in text  # htmx would evaluate it as a script


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code():
    base = (ROOT / "orderloop" / "templates" / "base.html").read_text()
    config = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", base)
    assert config and json.loads(config.group(1)) == {"includeIndicatorStyles": False, "allowEval": False}
    assert "js/orderloop.js' %}\" defer" in base


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_main_pages_raise_no_csp_violation_in_a_browser(browser, web_server):
    call_command("demo", force=True)
    from orderloop.aftersales.models import Ticket
    from orderloop.orders.models import SalesOrder

    order = SalesOrder.objects.get(number="202405-002")
    ticket = Ticket.objects.order_by("pk").first()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script("window.__violations = []; document.addEventListener('securitypolicyviolation',"
                            " function (e) { window.__violations.push(e.violatedDirective + ' ' + e.blockedURI); });")
    messages = []
    context.on("console", lambda message: messages.append(message.text))
    violations = []

    page = context.new_page()
    page.goto(f"{web_server.url}/login/")
    violations += page.evaluate("window.__violations")
    page.get_by_label("用户名").fill("sales_manager")
    page.get_by_label("密码").fill("orderloop")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{web_server.url}/today/")
    paths = ["/today/", "/orders/", f"/orders/{order.ref}/", "/board/", "/registers/progress/", "/registers/logistics/",
             "/registers/feedback/", "/tickets/", "/reviews/", "/reviews/2024-05/", "/inbox/",
             "/api/docs"]  # Swagger UI from ninja's static files (ninja in INSTALLED_APPS), not a CDN and inline script
    if ticket:
        paths.append(f"/tickets/{ticket.pk}/")
    for path in paths:
        response = page.goto(f"{web_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("load")
        if path == "/api/docs":
            page.wait_for_selector("#swagger-ui .opblock")
        if path == "/reviews/2024-05/":  # Chart.js draws from the static script, styling through the CSSOM
            page.wait_for_function("!document.getElementById('chart-on-time')"
                                   " || document.getElementById('chart-on-time').dataset.drawn === 'true'")
        violations += [f"{path}: {v}" for v in page.evaluate("window.__violations")]

    # the language switch (a static script now, no inline handler) still works
    page.goto(f"{web_server.url}/today/")
    page.get_by_label("Language / 语言").select_option("en")
    page.wait_for_function("document.documentElement.lang === 'en'")
    violations += page.evaluate("window.__violations")
    context.close()

    assert violations == []
    assert not [m for m in messages if "Content Security Policy" in m or "Content-Security-Policy" in m], messages


# 3. Login throttling -----------------------------------------------------------------------------------------------

def _web_login(username, password, ip="10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})


def _api_login(username, password, ip="10.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/api/auth/token", {"username": username, "password": password},
                                       content_type="application/json")


def test_five_failures_for_a_username_from_one_address_lock_it_there_for_fifteen_minutes(users):
    with clock.frozen_at(T0):
        for _ in range(5):
            response = _web_login("sales_manager", "wrong", ip="10.0.0.1")
            assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
        # the right password from that address is refused now, with how long to wait
        refused = _web_login("sales_manager", "orderloop", ip="10.0.0.1")
        assert refused.status_code == 429 and refused["Retry-After"] == "900"
        assert LOCKED in refused.content.decode() and "用户名或密码错误" not in refused.content.decode()
        assert "_auth_user_id" not in refused.wsgi_request.session
        api = _api_login("sales_manager", "orderloop", ip="10.0.0.1")
        assert api.status_code == 429
        assert api.json() == {"detail": LOCKED, "errors": {}, "code": "too_many_attempts"}
        # another user from that address is not affected, nor the user from another address
        assert _web_login("sales_director", "orderloop", ip="10.0.0.1").status_code == 302
        assert _api_login("sales_manager", "orderloop", ip="10.9.9.9").status_code == 200
    with clock.frozen_at(T0 + timedelta(minutes=10)):
        refused = _web_login("sales_manager", "orderloop")
        assert refused.status_code == 429 and "请 5 分钟后再试" in refused.content.decode()
    with clock.frozen_at(T0 + timedelta(minutes=15)):
        assert _web_login("sales_manager", "orderloop").status_code == 302


def test_refused_attempts_do_not_prolong_the_lockout_and_a_success_clears_the_failures(users):
    with clock.frozen_at(T0):
        for _ in range(5):
            _api_login("account_manager", "wrong")
    with clock.frozen_at(T0 + timedelta(minutes=14)):
        for _ in range(10):
            assert _api_login("account_manager", "wrong").status_code == 429
    assert LoginFailure.objects.filter(username="account_manager").count() == 5
    with clock.frozen_at(T0 + timedelta(minutes=15)):
        for _ in range(4):
            assert _web_login("account_manager", "wrong").status_code == 200
        assert _api_login("account_manager", "orderloop").status_code == 200  # clears the four
        for _ in range(4):
            assert _web_login("account_manager", "wrong").status_code == 200
        assert _web_login("account_manager", "orderloop").status_code == 302  # four more are not five


def test_failures_spread_over_more_than_the_window_do_not_lock(users):
    for minute in [0, 4, 8, 12, 16, 20]:  # never five within 15 minutes
        with clock.frozen_at(T0 + timedelta(minutes=minute)):
            assert _web_login("warehouse", "wrong").status_code == 200
    with clock.frozen_at(T0 + timedelta(minutes=21)):
        assert _web_login("warehouse", "orderloop").status_code == 302


def test_twenty_failures_from_one_address_lock_that_address(users):
    with clock.frozen_at(T0):
        for i in range(20):
            assert _api_login(f"nobody{i}", "wrong", ip="192.0.2.7").status_code == 401
        # any username from that address, existing or not, gets the same answer
        for username in ["logistics", "no-such-user"]:
            response = _api_login(username, "orderloop", ip="192.0.2.7")
            assert response.status_code == 429 and response.json()["detail"] == LOCKED
            assert LOCKED in _web_login(username, "orderloop", ip="192.0.2.7").content.decode()
        assert _api_login("logistics", "orderloop", ip="192.0.2.8").status_code == 200  # another address
    with clock.frozen_at(T0 + timedelta(minutes=15)):
        assert _api_login("logistics", "orderloop", ip="192.0.2.7").status_code == 200


def test_a_lockout_does_not_reveal_whether_the_username_exists(users):
    with clock.frozen_at(T0):
        answers = []
        for username in ["production", "ghost"]:
            for _ in range(5):
                _web_login(username, "wrong", ip="10.1.1.1")
            web = _web_login(username, "wrong", ip="10.1.1.1")
            api = _api_login(username, "wrong", ip="10.1.1.1")
            page = re.sub(r"[A-Za-z0-9]{64}", "", web.content.decode()).replace(username, "?")  # CSRF tokens
            answers.append((web.status_code, page, api.status_code, api.json()))
        assert answers[0] == answers[1]
        assert answers[0][0] == 429 and answers[0][2] == 429


def test_the_admin_login_is_throttled_too(users):
    with clock.frozen_at(T0):
        for _ in range(5):
            Client().post("/admin/login/", {"username": "admin", "password": "wrong"})
        response = Client().post("/admin/login/", {"username": "admin", "password": "orderloop"})
        assert LOCKED in response.content.decode() and "_auth_user_id" not in response.wsgi_request.session


def test_behind_a_proxy_the_forwarded_client_address_counts(users, settings):
    settings.ORDERLOOP_PROXY_COUNT = 1
    with clock.frozen_at(T0):
        for i in range(20):
            Client(REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=f"1.2.3.4, 198.51.100.{i % 2}").post(
                "/api/auth/token", {"username": f"x{i}", "password": "y"}, content_type="application/json")
        # two clients behind the same proxy, ten failures each: neither is locked; a spoofed left entry is ignored
        client = Client(REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="198.51.100.0")
        ok = client.post("/api/auth/token", {"username": "logistics", "password": "orderloop"}, content_type="application/json")
        assert ok.status_code == 200
    assert set(LoginFailure.objects.values_list("ip_address", flat=True)) == {"198.51.100.0", "198.51.100.1"}


# 4. Sessions, tokens, passwords --------------------------------------------------------------------------------

def test_a_session_ends_with_the_browser_and_after_twelve_hours(users, settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = Client()
    assert client.post("/login/", {"username": "sales_manager", "password": "orderloop"}).status_code == 302
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    session = Session.objects.get(session_key=cookie.value)
    assert abs((session.expire_date - timezone.now()) - timedelta(hours=12)) < timedelta(minutes=1)
    assert client.get("/today/").status_code == 200
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/today/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_expired_and_revoked_api_tokens_get_401(users):
    client = Client()
    with clock.frozen_at(T0):
        key = client.post("/api/auth/token", {"username": "sales_manager", "password": "orderloop"},
                          content_type="application/json").json()["token"]
        assert client.get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    token = ApiToken.objects.get(key_hash=token_hash(key))
    assert token.key_hash != key  # only the hash is stored
    with clock.frozen_at(token.expires_at):
        expired = client.get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert expired.status_code == 401 and expired.json()["errors"] == {}
    with clock.frozen_at(T0 + timedelta(days=1)):
        assert client.get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=clock.now())
        assert client.get("/api/orders", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


@pytest.mark.parametrize("weak", ["12345678", "password", "newstaff1", "ab1"])
def test_the_admin_refuses_a_weak_password_for_a_new_user(users, weak):
    admin_user = users["admin"]
    User.objects.filter(pk=admin_user.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    response = client.post("/admin/accounts/user/add/", {"username": "newstaff", "password1": weak, "password2": weak,
                                                        "usable_password": "true", "_save": "1"})
    assert response.status_code == 200  # the form again, with the reason
    assert response.context["adminform"].form.errors.get("password2"), response.context["adminform"].form.errors
    assert not User.objects.filter(username="newstaff").exists()
    strong = "Hx7-qL2m-Vr9t"
    response = client.post("/admin/accounts/user/add/", {"username": "newstaff", "password1": strong, "password2": strong,
                                                        "usable_password": "true", "_save": "1"})
    assert response.status_code == 302 and User.objects.get(username="newstaff").check_password(strong)


# 5. Uploads --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("claimed, name, content", [
    ("text/html", "invoice.html", b"<html><script>alert(document.cookie)</script></html>"),
    ("image/svg+xml", "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
])
def test_an_attachment_claiming_html_or_svg_is_served_as_a_download(users, orders, claimed, name, content):
    order = orders.at("received")
    # as a mail's attachment arrives, whatever type the sender claims: the stored type is what the content shows
    attachment = attachment_store(order=order, kind="mail_attachment", filename=name, content=content, actor=None,
                                  now=clock.now())
    client = Client()
    client.force_login(users["sales_assistant"])
    for query in ["", "?inline=1"]:
        response = client.get(f"/orders/{order.ref}/attachments/{attachment.pk}/{query}")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == CSP
        assert b"".join(response.streaming_content) == content
    # and uploaded files are not reachable under MEDIA_URL, which would skip both the checks and the download
    assert Client().get(f"/media/{attachment.file.name}").status_code in (302, 404)


def test_only_a_recognised_photo_is_shown_inline(users, orders):
    order = orders.at("received")
    from tests.support.orders import PNG
    photo = attachment_store(order=order, kind="photo", filename="a.png", content=PNG,
                             actor=None, now=clock.now())
    client = Client()
    client.force_login(users["sales_assistant"])
    inline = client.get(f"/orders/{order.ref}/attachments/{photo.pk}/?inline=1")
    assert inline["Content-Type"] == "image/png" and "attachment" not in inline.get("Content-Disposition", "")
    assert inline["X-Content-Type-Options"] == "nosniff"
    download = client.get(f"/orders/{order.ref}/attachments/{photo.pk}/")
    assert download["Content-Type"] == "application/octet-stream" and download["Content-Disposition"].startswith("attachment;")
