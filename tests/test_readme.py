"""The README's API example runs as written against `make run`'s server: `orderloop run` on a fresh data folder,
serving the demo."""
import json
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.support.serving import serving

README = Path(__file__).resolve().parent.parent / "README.md"


def api_commands() -> str:
    """The README's ```sh blocks that talk to the API."""
    blocks = re.findall(r"^```sh\n(.*?)^```", README.read_text(), re.S | re.M)
    return "\n".join(block for block in blocks if "localhost:8000/api/" in block)


def json_documents(text: str) -> list:
    """What the commands printed: JSON documents one after another."""
    decoder, documents, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    return documents


def api_get(port: int, path: str, username: str) -> dict:
    base = f"http://127.0.0.1:{port}/api"
    login = urllib.request.Request(f"{base}/auth/token", data=json.dumps({"username": username, "password": "orderloop"}).encode(),
                                   headers={"Content-Type": "application/json"})
    token = json.load(urllib.request.urlopen(login, timeout=10))["token"]
    return json.load(urllib.request.urlopen(urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}),
                                            timeout=10))


@pytest.mark.slow
def test_the_readme_api_example_runs_as_written_on_the_demo(tmp_path):
    commands = api_commands()
    assert "curl" in commands and "localhost:8000" in commands
    with serving(tmp_path, "--no-worker") as port:
        # only the address changes: the test server's port instead of 8000
        done = subprocess.run(["bash", "-c", commands.replace("localhost:8000", f"127.0.0.1:{port}")], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
        listing, approved = json_documents(done.stdout)
        # the token worked (no 401), and the list shows the demo's large order waiting for approval
        assert "code" not in listing, listing
        pending, = listing["items"]
        assert (pending["status"], pending["customer_name"], pending["total_amount"]) == (
            "pending_approval", "贸易公司", "120000.00")
        # the approval answered 200 with the order (an error is {"detail", "errors", "code"}): now with the director
        assert "code" not in approved, approved
        assert (approved["ref"], approved["status"]) == (pending["ref"], "pending_director")
        assert approved["version"] > pending["version"]
        # and so the director sees it
        order = api_get(port, f"/orders/{pending['ref']}", "sales_director")
        assert (order["status"], order["version"]) == ("pending_director", approved["version"])
