"""A local HTTP server standing in for the chat platforms: it records every
request and answers from a script of responses."""
import json
import threading
import urllib.parse

from tests.support.local_http import LocalServer, QuietHandler


class RobotServer(LocalServer):
    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict]] = []  # consumed in order; then {"errcode": 0}
        self.hold = threading.Event()
        self.holding = False
        self.received = threading.Event()
        server = self

        class Handler(QuietHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                parsed = urllib.parse.urlsplit(self.path)
                server.requests.append({"path": parsed.path, "query": parsed.query, "body": body,
                                        "content_type": self.headers.get("Content-Type")})
                server.received.set()
                if server.holding:
                    server.hold.wait(30)
                status, answer = server.answers.pop(0) if server.answers else (200, {"errcode": 0, "errmsg": "ok"})
                self.answer_json(status, answer)

        self.serve(Handler)

    def close(self):
        self.hold.set()
        super().close()
