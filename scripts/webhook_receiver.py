"""A local stand-in for the places Rapport posts messages to, for the tests: it answers as
each service does and records every request, one JSON line each, to the file named by its
first argument. It prints its port once it listens.

  /webhook        the organisation's receiver: verified with the `standardwebhooks` package
                  (PyPI) and the secret in WEBHOOK_SECRET; a bad signature is answered 400.
  /slack/NAME     a Slack incoming webhook: its limits are checked (50 blocks, 3,000
                  characters a section, 150 a header) and, like Slack, more than one message a
                  second is answered 429.
  /slack-gone/... a Slack webhook that was revoked: 404 no_service, as Slack answers.
  /teams/NAME     a Teams Workflows webhook: a card over 28 KB is refused 413, more than four
                  requests a second 429, anything else 202.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

RECORD = sys.argv[1]
SECRET = os.environ["WEBHOOK_SECRET"]
# A second, less what the network may add or take from the gap between two requests.
PACE_WINDOW = 0.9
lock = threading.Lock()
arrivals = {}  # path -> times of the requests it accepted


def slack_problems(payload):
    problems = []
    blocks = payload.get("blocks", [])
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks")
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > 3000:
            problems.append(f"a section of {len(text)} characters")
        if block.get("type") == "header" and len(text) > 150:
            problems.append(f"a header of {len(text)} characters")
    return problems


def teams_problems(payload):
    attachments = payload.get("attachments", [])
    if payload.get("type") != "message" or len(attachments) != 1:
        return ["not a message with one attachment"]
    card = attachments[0]
    if card.get("contentType") != "application/vnd.microsoft.card.adaptive":
        return [f"an attachment of type {card.get('contentType')}"]
    if card.get("content", {}).get("type") != "AdaptiveCard":
        return ["no AdaptiveCard"]
    return []


def too_fast(path, most, seconds, now):
    """Whether accepting one more on `path` now would make more than `most` in `seconds`."""
    recent = [at for at in arrivals.get(path, []) if now - at < seconds]
    arrivals[path] = recent
    return len(recent) >= most


class Receiver(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = time.monotonic()
        record = {"path": self.path, "at": now, "bytes": len(body), "headers": dict(self.headers)}
        with lock:
            status, text = self.judge(body, record, now)
            record["status"] = status
            with open(RECORD, "a") as out:
                out.write(json.dumps(record) + "\n")
        self.answer(status, text)

    def judge(self, body, record, now):
        if self.path == "/webhook":
            try:
                record["payload"] = Webhook(SECRET).verify(body, dict(self.headers))
                record["verified"] = True
                return 204, ""
            except WebhookVerificationError as error:
                record["verified"] = False
                record["error"] = str(error)
                return 400, str(error)
        if self.path.startswith("/slack-gone/"):
            return 404, "no_service"
        payload = json.loads(body)
        record["payload"] = payload
        if self.path.startswith("/slack/"):
            record["problems"] = slack_problems(payload)
            if record["problems"]:
                return 400, "invalid_blocks"
            if too_fast(self.path, 1, PACE_WINDOW, now):
                record["too_fast"] = True
                return 429, "rate_limited"
            arrivals.setdefault(self.path, []).append(now)
            return 200, "ok"
        if self.path.startswith("/teams/"):
            if len(body) > 28 * 1024:
                record["problems"] = [f"{len(body)} bytes"]
                return 413, "too large"
            record["problems"] = teams_problems(payload)
            if record["problems"]:
                return 400, "bad card"
            if too_fast(self.path, 4, PACE_WINDOW, now):
                record["too_fast"] = True
                return 429, "too many requests"
            arrivals.setdefault(self.path, []).append(now)
            return 202, ""
        return 404, "no such hook"


server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
server.serve_forever()
