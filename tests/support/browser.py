"""The browser tests' helpers: the server's clock, logging in as a user (on a phone or at a desk), and the
folder screenshots land in. The ``browser`` and ``web_server`` fixtures are in conftest.py."""
import contextlib
from pathlib import Path

from orderloop.core import clock

ARTIFACTS = str(Path(__file__).resolve().parents[2] / "test-artifacts")


class Server:
    def __init__(self, url):
        self.url = url
        self.moment = None  # the product's clock in the server's requests; None: the machine's

    @contextlib.contextmanager
    def frozen_at(self, moment):
        """The server's requests, and the test itself, read the product's clock at ``moment``."""
        with clock.frozen_at(moment) as moment:
            self.moment = moment
            try:
                yield moment
            finally:
                self.moment = None

    def handler(self, app):
        """``app`` run on the product's clock at ``moment`` while one is set."""
        def handle(environ, start_response):
            if self.moment is None:
                return app(environ, start_response)
            with clock.frozen_at(self.moment):
                return app(environ, start_response)
        return handle


def accept_dialog(dialog):
    dialog.accept()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def log_in(browser, web_server, username, phone=False, password="orderloop"):
    page = browser.new_page(**(PHONE if phone else DESKTOP))
    # A destructive action asks first (window.confirm); the journeys answer yes. A test of the question
    # itself removes this handler.
    page.on("dialog", accept_dialog)
    page.goto(f"{web_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{web_server.url}/today/")
    return page


def open_menu(page):
    """On a phone the navigation and the session links fold behind 菜单 (base.html): opens it when it is
    folded; at a desk it is always open."""
    toggle = page.locator("header .menu-toggle")
    if toggle.is_visible():
        toggle.click()
        page.locator("#menu nav").wait_for(state="visible")
    return page
