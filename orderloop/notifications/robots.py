"""Team chat robots: WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书) webhooks.

Each builds the exact JSON its platform expects and signs it the way that
platform asks (CHINA.md section 2). ``post`` returns an outcome: sent,
throttled (try again later) or failed.
"""
import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

TIMEOUT = 10
WECOM_TEXT_BYTES = 2048


@dataclass(frozen=True)
class Outcome:
    ok: bool
    throttled: bool = False
    error: str = ""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """HMAC-SHA256 over "timestamp\\nsecret" keyed with the secret, Base64, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message, Base64."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _with_keyword(robot, text: str) -> str:
    return text if not robot.keyword or robot.keyword in text else f"【{robot.keyword}】{text}"


def _truncate_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def request_for(robot, text: str, *, now: float | None = None) -> tuple[str, dict]:
    """(url, JSON body) for one text message to ``robot``."""
    now = time.time() if now is None else now
    text = _with_keyword(robot, text)
    if robot.kind == "wecom":
        return robot.webhook_url, {"msgtype": "text", "text": {"content": _truncate_bytes(text, WECOM_TEXT_BYTES)}}
    if robot.kind == "dingtalk":
        url = robot.webhook_url
        if robot.secret:
            timestamp = int(now * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={dingtalk_sign(robot.secret, timestamp)}"
        return url, {"msgtype": "text", "text": {"content": text}, "at": {"atMobiles": [], "isAtAll": False}}
    if robot.kind == "feishu":
        body = {"msg_type": "text", "content": {"text": text}}
        if robot.secret:
            timestamp = int(now)
            body = {"timestamp": str(timestamp), "sign": feishu_sign(robot.secret, timestamp), **body}
        return robot.webhook_url, body
    raise ValueError(f"unknown robot kind {robot.kind!r}")


# Throttling answers: DingTalk 130101 (20/min, then 10 minutes off), Feishu 9499 / 11232, WeCom 45009.
THROTTLE_CODES = {130101, 9499, 11232, 45009}


def post(robot, text: str) -> Outcome:
    url, body = request_for(robot, text)
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return Outcome(False, throttled=exc.code == 429, error=f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Outcome(False, error=str(exc))
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code in (0, None):
        return Outcome(True)
    return Outcome(False, throttled=code in THROTTLE_CODES, error=f"{code} {answer.get('errmsg') or answer.get('msg', '')}")
