"""An SMS gateway for tests: a real HTTP server that HttpGatewayBackend posts to.

Like the gateways it stands in for, it honours the idempotency key: a
message whose key it has already accepted is answered with the first id
and not delivered again, and it counts such repeats, so a test can tell
what reached a phone from what the workers posted.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SmsSink:
    def __init__(self):
        self.lock = threading.Lock()
        self.delivered: dict[str, str] = {}  # key → the id answered
        self.repeats = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with sink.lock:
                    if body["key"] in sink.delivered:
                        sink.repeats += 1
                    else:
                        sink.delivered[body["key"]] = f"sink-{len(sink.delivered) + 1}"
                    answer = sink.delivered[body["key"]]
                reply = json.dumps({"id": answer}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/send"

    def worker_env(self) -> dict:
        """The settings that make a worker send its SMS here."""
        return {"USE_SMS_GATEWAY": "true", "SMS_GATEWAY_URL": self.url, "SMS_API_KEY": "sink"}

    def keys(self) -> set[str]:
        with self.lock:
            return set(self.delivered)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
