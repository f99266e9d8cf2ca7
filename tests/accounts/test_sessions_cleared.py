"""The worker deletes the sessions past their expiry every night (accounts.tasks): a signed-in user's session stays
and still signs them in; an expired one, which signs in no one, is gone."""
from datetime import datetime

from django.contrib.auth import SESSION_KEY
from django.test import Client

from orderloop.accounts.models import Session
from orderloop.accounts.sessions import SessionStore
from orderloop.accounts.tasks import clear_expired_sessions
from tests.support.users import make_user


def test_the_nightly_run_deletes_the_expired_sessions_and_keeps_the_live_ones(db):
    user = make_user("signed_in", "sales_assistant")
    browser = Client()
    browser.force_login(user)
    expired = SessionStore()
    expired[SESSION_KEY] = str(user.pk)
    expired.set_expiry(-60)  # a minute past its expiry
    expired.save()
    assert Session.objects.count() == 2 and not SessionStore(expired.session_key).load()

    clear_expired_sessions.call_local()  # what the worker runs

    assert list(Session.objects.values_list("session_key", flat=True)) == [browser.session.session_key]
    assert browser.get("/today/").status_code == 200  # still signed in


def test_it_runs_every_night_and_only_then():
    runs = clear_expired_sessions.task_class().validate_datetime  # huey's schedule of the periodic task
    assert [minute for minute in range(24 * 60) if runs(datetime(2026, 3, 3, minute // 60, minute % 60))] == [3 * 60 + 40]
