"""`orderloop run` as people start it: a real process on a fresh data folder and a free port."""
import contextlib
import http.cookiejar
import os
import socket
import subprocess
import re
import sys
import time
import urllib.parse
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(tmp_path, *options):
    """`orderloop run` on a fresh data folder, until it answers; stopped afterwards. What it prints is in
    tmp_path / "run.log"."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"ORDERLOOP_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "orderloop.config.settings"})
    tmp_path.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "run.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "orderloop.cli", "run", "--bind", f"127.0.0.1:{port}",
                                   "--web-workers", "1", *options], env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.5)  # waiting for a separate process to start listening, not for time in the product
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def web_session(port: int, username: str):
    """A browser's cookies on the server at ``port``, logged in as ``username`` through the login form."""
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": "orderloop"})
    with opener.open(urllib.request.Request(f"{base}/login/", data=form.encode()), timeout=10) as response:
        assert response.url == f"{base}/today/"
    return opener
