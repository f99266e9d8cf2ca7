"""The README's screenshots, taken from the demo data by a real browser: the today page, the board, an
order page and the monthly review. Each page is checked for what it must show before it is captured.
They land in test-artifacts/; with ORDERLOOP_README_SCREENSHOTS=1 they also replace docs/screenshots/."""
import os
import shutil

import pytest

from tests.support.browser import ARTIFACTS, log_in

README_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def capture(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    page.screenshot(path=path, full_page=name != "order-page")
    if os.environ.get("ORDERLOOP_README_SCREENSHOTS") == "1":
        shutil.copy(path, os.path.join(README_DIR, f"{name}.png"))
    return path


def test_the_readme_pages_from_the_demo_data(browser, web_server):
    from orderloop.setup.demo import load_demo

    load_demo()
    page = log_in(browser, web_server, "sales_manager")
    assert page.locator("#waiting li").count() >= 1  # the large order waits for the manager's approval
    capture(page, "today")

    page.goto(f"{web_server.url}/board/")
    assert page.locator(".board-card").count() >= 1  # the demo's order in production is on the board
    capture(page, "board")

    page.goto(f"{web_server.url}/orders/202405-003/")
    assert page.locator("#visit").inner_text().count("3 分") == 1 and page.locator("#tickets").is_visible()
    capture(page, "order-page")

    page.goto(f"{web_server.url}/reviews/2024-05/")
    page.wait_for_selector("#chart-phases[data-drawn=true]")
    assert page.locator("#on-time-rate").inner_text() == "100.0%"
    capture(page, "monthly-review")
    page.close()
