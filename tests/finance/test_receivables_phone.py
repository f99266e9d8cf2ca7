"""应收账款 and 今日's receivables on a 390×844 phone, as finance and as the account manager: nothing scrolls
sideways or runs past the edge, no text is squeezed, every link in the cards is a finger's target (the measure of
tests/web/test_phone_pages.py), each overdue customer's details opened."""
import pytest

from tests.support.browser import PHONE
from tests.support.receivables import at, delivered_in_two_teams
from tests.support.phone import MEASURE, measured

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_receivables_fit_the_phone(browser, web_server, orders, users, product):
    delivered_in_two_teams(orders, users, product, at(2026, 3, 4))
    problems = {}
    with web_server.frozen_at(at(2026, 4, 20)):
        for role, paths in {"finance": ["/finance/receivables/", "/finance/receivables/?by=team", "/today/"],
                            "account_manager": ["/finance/receivables/?by=owner", "/today/"]}.items():
            context = browser.new_context(**PHONE)
            page = context.new_page()
            page.goto(f"{web_server.url}/login/")
            page.get_by_label("用户名").fill(role)
            page.get_by_label("密码").fill("orderloop")
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{web_server.url}/today/")
            for path in paths:
                measured(page, web_server.url + path, problems, role)
            context.close()
    assert MEASURE and problems == {}, "\n".join(f"{where}: {found}" for where, found in problems.items())
