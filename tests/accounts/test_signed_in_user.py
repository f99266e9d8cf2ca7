"""The user of a signed-in request (session or bearer token) is read with their roles in one statement."""
from django.contrib.auth.models import Group
from django.db import connection
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
