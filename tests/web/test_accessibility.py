"""Accessibility basics checked by axe-core (vendored under tests/vendor, never served) inside a real
browser: no serious or critical violation on the pages each role uses, on the demo data."""
import os

import pytest

from tests.support.matrix import concrete, matrix, subjects
from tests.support.users import ROLES

AXE = os.path.join(os.path.dirname(__file__), "..", "vendor", "axe-core", "axe.min.js")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def violations(page) -> list[str]:
    if not page.evaluate("() => typeof axe !== 'undefined'"):  # not put in by the context (set_content)
        page.add_script_tag(path=AXE)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")
    return found


def test_no_serious_or_critical_violation_on_any_page(browser, web_server):
    from orderloop.setup.demo import load_demo

    load_demo()
    values = subjects()
    found = {}
    for role in ROLES:
        context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})  # axe is injected
        # into every page the context opens, by the browser itself: sent once, not 650 kB again for each page
        context.add_init_script(path=AXE)
        page = context.new_page()
        page.goto(f"{web_server.url}/login/")
        page.get_by_label("用户名").fill(role)
        page.get_by_label("密码").fill("orderloop")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{web_server.url}/today/")
        for method, path, expected in matrix("Pages"):
            if method != "GET" or expected[role] != 200 or path.startswith("/admin/") or "/attachments/" in path \
                    or not path.endswith("/"):  # pages, not files
                continue
            page.goto(web_server.url + concrete(path, values))
            problems = violations(page)
            if problems:
                found[f"{role} {path}"] = problems
        context.close()
    assert found == {}


def test_axe_would_see_a_violation(browser):
    page = browser.new_context(bypass_csp=True).new_page()
    page.set_content("<html lang='zh-hans'><head><title>x</title></head><body><main><img src='x.png'></main></body></html>")
    assert any(problem.startswith("image-alt") for problem in violations(page))


def test_axe_put_in_by_the_context_would_see_a_violation(browser, web_server):
    """As the pages' test runs it: axe in every page by the context's init script, on a page loaded from the server."""
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(path=AXE)
    page = context.new_page()
    page.goto(f"{web_server.url}/login/")
    assert page.evaluate("() => typeof axe.run") == "function"
    page.evaluate("() => { document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"x.png\">'); }")
    assert any(problem.startswith("image-alt") for problem in violations(page))
