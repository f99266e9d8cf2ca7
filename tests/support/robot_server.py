"""A local HTTP server standing in for the chat platforms: it records every
request and answers from a script of responses."""
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RobotServer:
    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict]] = []  # consumed in order; then {"errcode": 0}
        self.hold = threading.Event()
        self.holding = False
        self.received = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
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
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()
