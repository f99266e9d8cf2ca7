"""Complete Chinese: every page each role can open, in the default language (简体中文), shows no interface
text left in English. What may be Latin is data (order references, model codes, tracking numbers, the
demo's remarks), file formats, URLs in the audit log, the product's name and the language switch."""
import html
import re

import pytest
from django.test import Client

from orderloop.accounts.models import User
from tests.support.matrix import concrete, matrix
from tests.support.users import ROLES

ALLOWED = {
    "orderloop",                                   # the product's name
    "Language",                                    # the language switch: "Language / 语言", for those who need it
    "PDF", "JPG", "PNG", "xlsx", "csv", "eml",     # file formats
    "logo",                                        # demo data: 202405-001's remark 需定制logo
    "Excel", "WPS",                                # the spreadsheet programs the help names
    "Webhook",                                     # the chat platforms' own word: 企业微信/钉钉/飞书 say "Webhook 地址"
    "ORDERLOOP_BASE_URL",                          # the environment variable the site's address page names
    "DSO",                                         # 应收账款周转天数: Chinese finance reports name it so too
}
DATA = [
    r"https?://\S+", r"(?<![\w/])/[\w\-./?=&%{}]+",  # links and paths (the audit log records the path of a download)
    r"[\w.+-]+@[\w.-]+",                           # e-mail addresses
    r"\bTMP-[A-Z0-9]+\b", r"\b\d{6}-\d{3,}\b",     # provisional references, order numbers
    r"\b[A-Z]{1,3}-\d+\b", r"\b[A-Z]{2}\d+\b",      # model codes (S-001, SV-01, N-100), tracking numbers (SF…)
]


def visible_text(content: str) -> str:
    content = re.sub(r"(?s)<(script|style|template)[^>]*>.*?</\1>", " ", content)  # never shown as they are
    content = re.sub(r"(?s)<!--.*?-->", " ", content)
    content = re.sub(r'(?s)<(\w+)[^>]*\btranslate="no"[^>]*>.*?</\1>', " ", content)  # data marked as not to translate
    attributes = " ".join(re.findall(r'(?:placeholder|title|aria-label|alt)="([^"]*)"', content))
    text = html.unescape(re.sub(r"(?s)<[^>]+>", " ", content) + " " + attributes)
    for pattern in DATA:
        text = re.sub(pattern, " ", text)
    return text


def english_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text) if word not in ALLOWED}


class TestEveryPageOfEveryRole:
    """Both languages, each role: the tests of the class ask one load of the demo (``crawl_demo``)."""

    @pytest.mark.parametrize("role", ROLES)
    def test_every_page_of_every_role_is_in_chinese(self, role, crawl_demo):
        client = Client()
        client.force_login(User.objects.get(username=role))
        found = {}
        for method, path, expected in matrix("Pages"):
            if method != "GET" or expected[role] != 200 or path.startswith("/admin/"):  # Django's admin: Django's words
                continue
            response = client.get(concrete(path, crawl_demo))
            if "text/html" in response.get("Content-Type", ""):
                words = english_words(visible_text(response.content.decode()))
                if words:
                    found[path] = sorted(words)
        assert found == {}

    @pytest.mark.parametrize("role", ROLES)
    def test_every_page_of_every_role_is_in_english_when_chosen(self, role, crawl_demo):
        msgids, data = catalog_msgids(), stored_text()
        client = Client()
        client.force_login(User.objects.get(username=role))
        client.cookies["django_language"] = "en"
        found = {}
        for method, path, expected in matrix("Pages"):
            if method != "GET" or expected[role] != 200 or path.startswith("/admin/"):
                continue
            response = client.get(concrete(path, crawl_demo))
            if "text/html" in response.get("Content-Type", ""):
                left = chinese_interface_strings(visible_text(response.content.decode()), msgids, data)
                if left:
                    found[path] = sorted(left)
        assert found == {}


def test_the_crawl_would_see_english():
    assert english_words(visible_text("<p>订单 <span>Approved</span> TMP-ABCD1234 S-001</p>")) == {"Approved"}
    assert english_words(visible_text('<td translate="no">chen_wei</td><td>Active</td>')) == {"Active"}


def chinese_interface_strings(text: str, msgids: set[str], data: str = "") -> set[str]:
    """Runs of Chinese on a page that are, whole, a string of the catalog: interface text left untranslated.
    Data — what people entered and what was stored as it was said (names, remarks, messages sent, the audit
    log's records) — is Chinese in the demo and stays so: a run found in ``data`` is not counted."""
    runs = re.findall(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef《》「」、：；（）]+", text)
    return {run for run in runs if (run in msgids or run.rstrip("：:") in msgids) and run.rstrip("：:") not in data}


def stored_text() -> str:
    """Every text and JSON value the database holds, as one string."""
    import json

    from django.apps import apps
    from django.db import models

    values = []
    for model in apps.get_models():
        if not model.__module__.startswith("orderloop."):
            continue
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
        for row in model.objects.values_list(*fields) if fields else []:
            values += [json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v for v in row if v]
    return "\n".join(values)


def catalog_msgids() -> set[str]:
    from tests.support.catalog import po_entries

    return {msgid for msgid, _, _ in po_entries() if re.search(r"[\u3400-\u9fff]", msgid) and "%" not in msgid}


def test_the_english_crawl_would_see_chinese():
    assert chinese_interface_strings("Order 202405-001 已接收 科技有限公司 服务器", {"已接收", "服务器"}, "服务器A型") == {"已接收"}
