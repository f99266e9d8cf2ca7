"""A real IMAP server (Dovecot, Debian's dovecot-imapd) started for a test in a folder of its own."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def why_not() -> str | None:
    if not shutil.which("dovecot"):
        return "Dovecot is not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "the test IMAP server needs root to hand its mail folder to the 'nobody' user"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ImapServer:
    def __init__(self, user="orders", password="secret"):
        # Dovecot's own users must reach the folder, so not under pytest's private tmp folder.
        root = Path(tempfile.mkdtemp(prefix="orderloop-imap-"))
        self.root, self.user, self.password, self.port = root, user, password, free_port()
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(root / "mail", "nobody", "nogroup")
        shutil.chown(root / "home", "nobody", "nogroup")
        root.chmod(0o755)
        (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n")
        (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=self.port))
        self.process = subprocess.Popen(["dovecot", "-F", "-c", str(root / "dovecot.conf")],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Dovecot did not start: " + self.process.stdout.read().decode(errors="replace"))
                time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"

    def deliver(self, raw: bytes) -> None:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        client.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
        client.logout()

    def unseen(self) -> int:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        client.select("INBOX")
        count = len(client.search(None, "UNSEEN")[1][0].split())
        client.logout()
        return count

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        shutil.rmtree(self.root, ignore_errors=True)
