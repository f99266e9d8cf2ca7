"""The user of a signed-in request (session or bearer token) is read with their roles in one statement; a page's
session, user and unread count in one (accounts.sessions)."""
import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from orderloop.accounts.services import api_token_issue, api_token_user
from orderloop.accounts.throttle import ThrottledModelBackend
from tests.support.users import make_user


def test_the_session_s_user_comes_with_every_role_and_no_statement_more(db):
    user = make_user("both", "sales_manager", "finance")
    with CaptureQueriesContext(connection) as read:
        signed_in = ThrottledModelBackend().get_user(user.pk)
        assert signed_in.roles == {"sales_manager", "finance"}
        assert signed_in.has_role("finance") and not signed_in.has_role("warehouse")
    assert len(read.captured_queries) == 1


def test_a_user_without_a_group_has_no_role_and_an_inactive_one_is_not_signed_in(db):
    user = make_user("nobody", "warehouse")
    user.groups.clear()
    assert ThrottledModelBackend().get_user(user.pk).roles == frozenset()
    user.groups.add(Group.objects.get(name="warehouse"))
    user.is_active = False
    user.save()
    assert ThrottledModelBackend().get_user(user.pk) is None


def test_a_bearer_token_s_user_comes_with_their_roles_in_the_token_s_statement(db):
    user = make_user("apiuser", "account_manager")
    key = api_token_issue(username="apiuser", password="orderloop")
    with CaptureQueriesContext(connection) as read:
        found = api_token_user(key)
        assert found == user and found.roles == {"account_manager"}
    # the token with its user and roles; then only the note of its first use (last_used_at)
    assert [q["sql"].split()[0] for q in read.captured_queries] == ["SELECT", "UPDATE"]


def test_someone_without_a_role_is_told_to_ask_an_administrator_for_one(db, client):
    """An account made before its roles are given: every page says why nothing is there and whom to ask, and the
    header shows the name without empty role brackets; once a role is given, the notice is gone."""
    user = make_user("no_role_yet")
    client.force_login(user)
    for path in ("/today/", "/orders/"):
        page = client.get(path).content.decode()
        assert 'id="no-role"' in page and "请联系系统管理员" in page and "「系统设置 → 用户与角色」" in page, path
        assert "（）" not in page, path
    client.cookies["django_language"] = "en"
    english = client.get("/orders/").content.decode()
    assert "Ask your system administrator to give you a role under Settings → Users and roles." in english
    del client.cookies["django_language"]
    user.groups.add(Group.objects.get(name="account_manager"))
    page = client.get("/orders/").content.decode()
    assert 'id="no-role"' not in page and "（客户经理）" in page


def _inbox_notice(user, n):
    from orderloop.core import clock
    from orderloop.notifications.models import Notification

    return Notification.objects.create(key=f"test:{user.pk}:{n}", event="test", channel="inapp", recipient=user,
                                       subject=f"通知 {n}", created_at=clock.now())


def test_a_signed_in_page_reads_its_session_user_roles_and_unread_count_in_one_statement(db, client):
    """accounts.sessions: the session, its user with their roles and the menu's unread count come in one statement;
    a request that marks notices read counts them again, so the page after it shows the new count."""
    user = make_user("reader", "sales_manager")
    for n in range(2):
        _inbox_notice(user, n)
    client.post("/login/", {"username": "reader", "password": "orderloop"})
    with CaptureQueriesContext(connection) as read:
        page = client.get("/inbox/").content.decode()
    assert 'id="unread-count">2<' in page and "（销售经理）" in page
    about_user = [q["sql"] for q in read.captured_queries if any(
        table in q["sql"] for table in ('FROM "accounts_session"', 'FROM "accounts_user"', '"notifications_notification"."read_at" IS NULL'))]
    assert len(about_user) == 1 and 'FROM "accounts_session"' in about_user[0], about_user
    client.post("/inbox/read/")
    assert 'id="unread-count"' not in client.get("/inbox/").content.decode()


def test_the_session_keeps_who_signed_in_and_django_still_checks_the_password(db, client):
    """The session's row names its user once signed in (none before); the user read with it still passes Django's
    checks: a new password or a deactivated account ends the sign-in, a logout ends the session."""
    from orderloop.accounts.models import Session

    user = make_user("holder", "account_manager")
    client.get("/login/")
    client.post("/login/", {"username": "holder", "password": "orderloop"})
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    assert session.user_id == user.pk
    assert client.get("/orders/").status_code == 200
    user.set_password("a-new-pass-2026")
    user.save()
    assert client.get("/orders/")["Location"].startswith("/login/")
    client.post("/login/", {"username": "holder", "password": "a-new-pass-2026"})
    assert client.get("/orders/").status_code == 200
    User = type(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/orders/")["Location"].startswith("/login/")
    User.objects.filter(pk=user.pk).update(is_active=True)
    client.post("/login/", {"username": "holder", "password": "a-new-pass-2026"})
    key = client.cookies["sessionid"].value
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()


# serialized_rollback: the database is restored as the migrations left it (the tests after this one find it whole).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_upgrade_keeps_everyone_signed_in(client):
    """accounts 0006: the sessions still open move from Django's table to accounts.Session with their user; an
    expired one is left behind; Django's table is emptied. A browser signed in before the upgrade stays signed in."""
    from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
    from django.contrib.sessions.models import Session as DjangoSession

    from orderloop.accounts.models import Session

    user = make_user("before_upgrade", "account_manager")
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0005_finance_role")])
    signed_in = DjangoSessionStore()
    signed_in.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                      HASH_SESSION_KEY: user.get_session_auth_hash()})
    signed_in.create()
    anonymous = DjangoSessionStore()
    anonymous["django_language"] = "en"
    anonymous.create()
    expired = DjangoSessionStore()
    expired[SESSION_KEY] = str(user.pk)
    expired.set_expiry(-60)
    expired.create()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    moved = dict(Session.objects.values_list("session_key", "user_id"))
    assert moved == {signed_in.session_key: user.pk, anonymous.session_key: None}
    assert not DjangoSession.objects.exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = signed_in.session_key
    assert client.get("/orders/").status_code == 200
    executor = MigrationExecutor(connection)  # and back: the open sessions return to Django's table
    executor.migrate([("accounts", "0005_finance_role")])
    assert set(DjangoSession.objects.values_list("session_key", flat=True)) == {signed_in.session_key,
                                                                               anonymous.session_key}
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_an_async_save_keeps_who_signed_in(db):
    """Django's async session saves (asave, alogin, acycle_key) write the row's user as the sync ones do."""
    from asgiref.sync import async_to_sync

    from orderloop.accounts.sessions import SessionStore

    user = make_user("async_holder", "account_manager")
    store = SessionStore()
    store._session_key = "k" * 32  # a key already made: no statement to make one
    assert async_to_sync(store.acreate_model_instance)({SESSION_KEY: str(user.pk)}).user_id == user.pk
    assert async_to_sync(store.acreate_model_instance)({SESSION_KEY: "not a number"}).user_id is None
