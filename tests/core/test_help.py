"""Short Chinese help linked from each page: the 帮助 link of every page a role opens leads to a section
written for that page."""
import re

from django.test import Client

from orderloop.accounts.models import User
from tests.support.matrix import concrete, matrix
from tests.support.users import ROLES


def test_every_page_links_to_its_own_help(crawl_demo):
    clients = {}
    help_ids = None
    missing, checked = [], 0
    for method, path, expected in matrix("Pages"):
        role = next((r for r in ROLES if expected[r] == 200), None)
        if method != "GET" or role is None or path.startswith("/admin/"):
            continue
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(User.objects.get(username=role))
        response = clients[role].get(concrete(path, crawl_demo))
        page = response.content.decode() if "text/html" in response.get("Content-Type", "") else ""
        link = re.search(r'<a href="/help/([^"]*)" id="help-link">', page)
        if not link:
            continue  # printable documents, the customer's pages: no menu, no help link
        if help_ids is None:
            help_ids = set(re.findall(r'<section class="card help" id="([^"]+)">', clients[role].get("/help/").content.decode()))
        checked += 1
        if not link.group(1).startswith("#") or link.group(1)[1:] not in help_ids:
            missing.append((path, link.group(1)))
    assert missing == []
    assert checked > 20


def test_the_help_is_in_chinese_and_english(client, users):
    client.force_login(users["warehouse"])
    assert "每天从这里开始" in client.get("/help/").content.decode()
    client.cookies["django_language"] = "en"
    assert "Start every day here" in client.get("/help/").content.decode()
