"""Complete Chinese: every page each role can open, in the default language (简体中文), shows no interface
text left in English. What may be Latin is data (order references, model codes, tracking numbers, the
demo's remarks), file formats, URLs in the audit log, the product's name and the language switch."""
import html
import re

import pytest
from django.test import Client

from orderloop.accounts.models import User
from tests.test_permission_matrix import ROLES, concrete, demo, matrix  # noqa: F401  (demo: fixture)

ALLOWED = {
    "orderloop",                                   # the product's name
    "Language",                                    # the language switch: "Language / 语言", for those who need it
    "PDF", "JPG", "PNG", "xlsx", "csv", "eml",     # file formats
    "logo",                                        # demo data: 202405-001's remark 需定制logo
    "Excel", "WPS",                                # the spreadsheet programs the help names
    "Webhook",                                     # the chat platforms' own word: 企业微信/钉钉/飞书 say "Webhook 地址"
}
DATA = [
    r"https?://\S+", r"(?<![\w/])/[\w\-./?=&%{}]+",  # links and paths (the audit log records the path of a download)
    r"[\w.+-]+@[\w.-]+",                           # e-mail addresses
    r"\bTMP-[A-Z0-9]+\b", r"\b\d{6}-\d{3,}\b",     # provisional references, order numbers
    r"\b[A-Z]{1,3}-\d+\b", r"\b[A-Z]{2}\d+\b",      # model codes (S-001, SV-01, N-100), tracking numbers (SF…)
]


def visible_text(content: str) -> str:
    content = re.sub(r"(?s)<(script|style)[^>]*>.*?</\1>", " ", content)
    content = re.sub(r"(?s)<!--.*?-->", " ", content)
    content = re.sub(r'(?s)<(\w+)[^>]*\btranslate="no"[^>]*>.*?</\1>', " ", content)  # data marked as not to translate
    attributes = " ".join(re.findall(r'(?:placeholder|title|aria-label|alt)="([^"]*)"', content))
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", content) + " " + attributes)
    for pattern in DATA:
        text = re.sub(pattern, " ", text)
    return text


def english_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text) if word not in ALLOWED}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_every_role_is_in_chinese(role, demo):  # noqa: F811
    client = Client()
    client.force_login(User.objects.get(username=role))
    found = {}
    for method, path, expected in matrix("Pages"):
        if method != "GET" or expected[role] != 200 or path.startswith("/admin/"):  # Django's admin: Django's words
            continue
        response = client.get(concrete(path, demo))
        if "text/html" in response.get("Content-Type", ""):
            words = english_words(visible_text(response.content.decode()))
            if words:
                found[path] = sorted(words)
    assert found == {}


def test_the_crawl_would_see_english():
    assert english_words(visible_text("<p>订单 <span>Approved</span> TMP-ABCD1234 S-001</p>")) == {"Approved"}
    assert english_words(visible_text('<td translate="no">chen_wei</td><td>Active</td>')) == {"Active"}
