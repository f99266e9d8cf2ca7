"""Shared fixtures: users for every role, a qualified customer, products, orders driven through the real
lifecycle to any state, the demo the crawls ask, and a browser with a server of its own. Helpers that are
not fixtures are in tests/support/."""
import os
import shutil
from decimal import Decimal

import pytest

pytest.register_assert_rewrite("tests.support")  # the helpers' asserts explain themselves, as the tests' do

from orderloop.accounts.models import Team  # noqa: E402
from orderloop.core.process_cache import ProcessCache  # noqa: E402
from orderloop.masterdata.models import Product  # noqa: E402
from tests.support.ci import IN_CI  # noqa: E402
from tests.support.customers import make_customer  # noqa: E402
from tests.support.orders import OrderBuilder  # noqa: E402
from tests.support.users import ROLES, make_user  # noqa: E402


@pytest.hookimpl(tryfirst=True)  # before -m selects: ``-m "not slow"`` (make test-fast) leaves the browser out
def pytest_collection_modifyitems(items):
    """Every browser test is slow."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def _static_files_listed_once():
    """WhiteNoise lists every static file (a stat and headers for each) when its middleware starts: once per
    process in production, but once per test client here, and the matrix's and crawls' tests start hundreds.
    The listing is taken once per run (for the same static settings) and given to every later start: the files
    do not change while the tests run."""
    from django.conf import settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    listing = WhiteNoiseMiddleware.add_files_from_finders
    listed = {}

    def add_files_from_finders(self):
        key = repr([getattr(settings, name, None) for name in (
            "DEBUG", "STATIC_URL", "STATIC_ROOT", "STATICFILES_DIRS", "STATICFILES_FINDERS", "INSTALLED_APPS",
            "FORCE_SCRIPT_NAME")] + [(name, getattr(settings, name)) for name in sorted(dir(settings))
                                     if name.startswith("WHITENOISE_")])
        if key not in listed:
            listing(self)
            listed[key] = dict(self.files)
        else:
            self.files.update(listed[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders
    yield
    WhiteNoiseMiddleware.add_files_from_finders = listing


@pytest.fixture(autouse=True)
def _nothing_kept_from_an_earlier_test():
    """Each test starts as a process just started: the per-process caches (calendar, routes, deadlines) are
    filled within it, so a statement count never depends on whether an earlier test's value aged past its TTL
    while this one ran."""
    ProcessCache.forget_all()


@pytest.fixture
def team(db):
    return Team.objects.create(name="华北销售一组")


@pytest.fixture
def users(db, team):
    """One user per role, named by the role code; the sales staff and manager form one team."""
    result = {}
    for role in ROLES:
        result[role] = make_user(role, role, team=team if role in {"sales_assistant", "account_manager", "sales_manager"} else None)
    team.manager = result["sales_manager"]
    team.save()
    return result


@pytest.fixture
def customer(users):
    """科技有限公司, qualified (tests/support/customers.py: customers are qualified unless a test asks otherwise)."""
    return make_customer(owner=users["account_manager"])


@pytest.fixture
def product(db):
    return Product.objects.create(name="服务器A型", model="S-001", unit="台", list_price=Decimal("5000.00"),
                                  cost_price=Decimal("4000.00"))


@pytest.fixture
def orders(users, customer, product):
    return OrderBuilder(users, customer, product)


@pytest.fixture
def imap_server():
    """A real IMAP server (Dovecot) of the test's own; skipped where Dovecot cannot run, but never in CI."""
    from tests.support.imap_server import ImapServer, why_not

    reason = why_not()
    if reason:
        if IN_CI:
            pytest.fail(f"the IMAP test must run in CI: {reason}")
        pytest.skip(reason)
    server = ImapServer()
    yield server
    server.stop()


@pytest.fixture(scope="class")
def _crawl_demo_loaded(django_db_setup, django_db_blocker):
    """The demo loaded on the product's clock at ``CRAWL_AT``, once for a test class, in a transaction of the
    class's own that is rolled back after its last test: each test's own transaction (``db``) nests in it, so what
    a test changes is undone before the next, and the class's tests all ask the same demo. A test function
    outside a class has it to itself, as before."""
    from django.core.management import call_command

    from orderloop.core import clock
    from tests.support.matrix import CRAWL_AT, subjects
    from tests.support.shared_db import kept_for_the_scope

    with kept_for_the_scope(django_db_blocker):
        with django_db_blocker.unblock(), clock.frozen_at(CRAWL_AT):
            call_command("demo", force=True)
            values = subjects()
        yield values


@pytest.fixture
def crawl_demo(_crawl_demo_loaded, db):
    """The demo, loaded and asked for on the product's clock at ``CRAWL_AT``; what the permission matrix's
    placeholders stand for in it (tests/support/matrix.py). Tests of one class share one load of it (the
    crawls run it once per role and language)."""
    from orderloop.core import clock
    from tests.support.matrix import CRAWL_AT

    with clock.frozen_at(CRAWL_AT):
        yield dict(_crawl_demo_loaded)


# ------------------------------------------------------------------------------------------------------------
# In a real browser (Playwright driving Debian's Chromium)


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        if IN_CI:
            pytest.fail("Chromium is required in CI (.ci/run installs Debian's chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests need it")
    return path


@pytest.fixture(scope="session")
def _chromium():
    """One Chromium for the run, launched at the first browser test's demand (a launch takes a second or more; a
    context is cheap). Between browser tests Playwright's event loop is put aside, so that the tests in between
    run in a thread with no event loop, as they would without a browser before them."""
    import asyncio

    state = {}

    def resume(path):
        from playwright.sync_api import sync_playwright

        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
        if "loop" in state:
            asyncio._set_running_loop(state.pop("loop"))
        if "playwright" not in state:
            state["manager"] = sync_playwright()
            state["playwright"] = state["manager"].__enter__()
        if "browser" not in state or not state["browser"].is_connected():  # one test's crash is not the next one's
            state["browser"] = state["playwright"].chromium.launch(
                executable_path=path, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        return state["browser"]

    def pause():
        state["loop"] = asyncio._get_running_loop()
        asyncio._set_running_loop(None)

    yield resume, pause
    if "loop" in state:
        asyncio._set_running_loop(state.pop("loop"))
    if "browser" in state:
        state["browser"].close()
    if "manager" in state:
        state["manager"].__exit__(None, None, None)


@pytest.fixture
def browser(_chromium, chromium_path, web_server):  # its pages closed before the server stops, so their connections end first
    """The run's Chromium, with no context open: every context (and page) the test opens is closed when it ends,
    so tests share no cookies, storage or pages."""
    from django.db import connections

    resume, pause = _chromium
    browser = resume(chromium_path)
    try:
        yield browser
    finally:
        try:
            for context in browser.contexts:
                context.close()
        finally:
            # Django queries made while Playwright's loop runs get connections of their own; close them here.
            connections.close_all()
            pause()


@pytest.fixture
def web_server(transactional_db):
    """A server for this test alone, stopped (and its database connections closed) when the test ends.
    pytest-django's session-wide live server outlives the test database on PostgreSQL."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    from tests.support.browser import Server

    class JoiningServer(ThreadedWSGIServer):
        daemon_threads = False  # server_close() waits for request threads, which close their connections

    class ServerThread(LiveServerThread):
        server_class = JoiningServer

    # static files come from the app itself (WhiteNoise), as in production
    server = Server("")
    thread = ServerThread("127.0.0.1", server.handler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    server.url = f"http://127.0.0.1:{thread.port}"
    yield server
    thread.terminate()
