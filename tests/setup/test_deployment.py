"""``orderloop check --deploy`` warns about what a production install must not keep from a first try: the demo's
accounts with their published password, customer links pointing at this machine, a data folder others can read;
and attachments are served by what their content is, not by what a mail's sender declared."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.test import Client, override_settings

from orderloop.core import clock
from orderloop.orders.uploads import attachment_store
from orderloop.setup.checks import customer_link_address_check, demo_accounts_check
from tests.support.orders import PNG
from tests.support.users import make_user


def _ids(messages) -> set[str]:
    return {message.id for message in messages}


def test_demo_accounts_with_the_demo_password_are_warned_about(db):
    director = make_user("sales_director", "sales_director")  # the demo's login, with the demo's password
    assert _ids(demo_accounts_check()) == {"orderloop.W001"}
    director.set_password("a-password-of-its-own")
    director.save()
    assert demo_accounts_check() == []


@pytest.mark.parametrize("url, warned", [
    ("http://127.0.0.1:8000", True), ("http://localhost:8000", True), ("http://[::1]/", True), ("", True),
    ("https://orders.example.com", False), ("http://192.168.1.20:8000", False),
])
@pytest.mark.django_db
def test_a_customer_link_address_on_this_machine_is_warned_about(url, warned):
    with override_settings(ORDERLOOP_BASE_URL=url):
        assert (_ids(customer_link_address_check()) == {"orderloop.W002"}) is warned


def _check_deploy(var_dir) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"ORDERLOOP_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "orderloop.config.settings",
                "ORDERLOOP_BASE_URL": "https://orders.example.com"})
    done = subprocess.run([sys.executable, "-m", "orderloop.cli", "check", "--deploy"], env=env, capture_output=True,
                          text=True, timeout=120)
    return done.stdout + done.stderr


@pytest.mark.slow
def test_a_data_folder_others_can_read_is_warned_about(tmp_path):
    with tempfile.TemporaryDirectory() as top:  # beside pytest's own folders, which are closed to others
        Path(top).chmod(0o755)
        shared = Path(top) / "var"
        shared.mkdir()
        shared.chmod(0o755)
        assert "orderloop.W003" in _check_deploy(shared)
    private = tmp_path / "var"
    private.mkdir(mode=0o700)
    output = _check_deploy(private)
    assert "orderloop.W003" not in output and "orderloop.W002" not in output, output


def test_a_mail_attachment_is_served_by_its_content_not_by_the_senders_claim(users, orders):
    """A "photo" whose bytes are a web page is stored as bytes: never shown inline, always a download."""
    order = orders.at("received")
    page = attachment_store(order=order, kind="mail_attachment", filename="photo.png",
                            content=b"<html><script>alert(1)</script></html>", actor=None, now=clock.now())
    photo = attachment_store(order=order, kind="mail_attachment", filename="scan.bin", content=PNG, actor=None,
                             now=clock.now())
    assert (page.content_type, photo.content_type) == ("application/octet-stream", "image/png")
    client = Client()
    client.force_login(users["sales_assistant"])
    response = client.get(f"/orders/{order.ref}/attachments/{page.pk}/?inline=1")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert client.get(f"/orders/{order.ref}/attachments/{photo.pk}/?inline=1")["Content-Type"] == "image/png"
