"""The address in links sent outside (orderloop.setup.site): the customer's receipt link opens where the app
really serves — a random port here, never the 8000 of a default — and the administrator's 网站地址 wins."""
import re
import urllib.parse
import urllib.request

import pytest
from django.test import RequestFactory, override_settings

from orderloop.core.exceptions import InvalidInput
from orderloop.setup import services
from orderloop.setup.models import SiteAddress
from orderloop.setup.site import address_seen, site_address, site_url
from tests.support.serving import serving, web_session
from tests.support.users import make_user


@pytest.mark.slow
def test_the_customers_receipt_link_opens_on_the_port_the_app_serves(tmp_path, monkeypatch):
    monkeypatch.delenv("ORDERLOOP_BASE_URL", raising=False)  # no operator's choice: the app finds its address
    with serving(tmp_path / "var") as port:
        assert port != 8000
        base = f"http://127.0.0.1:{port}"
        # the link logistics copy from the order page to send the customer
        logistics = web_session(port, "logistics")
        order_page = logistics.open(f"{base}/orders/202405-002/", timeout=10).read().decode()
        copied = re.findall(r'class="receipt-link" readonly value="([^"]+)"', order_page)
        assert copied and all(url.startswith(f"{base}/receipt/") for url in copied), copied
        with urllib.request.urlopen(copied[0], timeout=10) as response:
            assert response.status == 200 and "202405-002" in response.read().decode()

        # 系统设置 › 网站地址: prefilled from the administrator's own request; what they save wins from then on
        admin = web_session(port, "admin")
        step = admin.open(f"{base}/setup/site/", timeout=10).read().decode()
        assert f'value="{base}"' in step
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', step).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "url": "https://orders.example.com"}).encode()
        with admin.open(urllib.request.Request(f"{base}/setup/site/", data=form, headers={"Referer": base}), timeout=10) as saved:
            assert saved.url == f"{base}/setup/"
        order_page = logistics.open(f"{base}/orders/202405-002/", timeout=10).read().decode()
        copied = re.findall(r'class="receipt-link" readonly value="([^"]+)"', order_page)
        assert copied and all(url.startswith("https://orders.example.com/receipt/") for url in copied), copied


@pytest.mark.django_db
@override_settings(ORDERLOOP_BASE_URL="", ORDERLOOP_SERVED_AT="", ALLOWED_HOSTS=["*"])
def test_the_address_is_the_operators_then_the_administrators_then_the_first_sign_ins():
    assert site_address() == ("http://127.0.0.1:8000", "default")
    address_seen(RequestFactory().get("/login/", HTTP_HOST="localhost:8000"))
    assert site_address() == ("http://localhost:8000", "seen")
    address_seen(RequestFactory().get("/login/", HTTP_HOST="192.168.1.20:8000"))  # a loopback gives way
    address_seen(RequestFactory().get("/login/", HTTP_HOST="elsewhere.example.com"))  # the first other one stays
    assert site_url("/receipt/x/") == "http://192.168.1.20:8000/receipt/x/"
    admin = make_user("admin", "admin")
    services.site_address_save(actor=admin, url="https://orders.example.com/")
    assert site_url("/receipt/x/") == "https://orders.example.com/receipt/x/"
    with override_settings(ORDERLOOP_BASE_URL="https://operator.example.com"):
        assert site_address() == ("https://operator.example.com", "operator")
    assert SiteAddress.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["ftp://orders.example.com", "https://orders.example.com/orderloop/", "orders"])
def test_an_address_with_a_path_or_another_scheme_is_refused(url):
    with pytest.raises(InvalidInput):
        services.site_address_save(actor=make_user("admin", "admin"), url=url)
    assert not SiteAddress.objects.exists()
