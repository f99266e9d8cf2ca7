"""SMS to customers through Aliyun SMS (阿里云短信服务, dysmsapi ``SendSms``, API version 2017-05-25), in the RPC
style: every parameter in the query of a GET, signed as Aliyun's "RPC signature" documentation asks —

1. the parameters (the common ones and SendSms's own, not ``Signature``) sorted by name, name and value each
   percent-encoded (RFC 3986: only A–Z a–z 0–9 - _ . ~ kept; a space is %20, never +), joined as ``k=v&k=v``;
2. StringToSign = ``"GET" + "&" + percentEncode("/") + "&" + percentEncode(that query)``;
3. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)), sent as the ``Signature`` parameter.

``send`` returns an outcome: sent, refused for good (a wrong number, template or key: trying again changes
nothing), or failed for now (network, the provider's throttling: the worker tries again later)."""
import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

TIMEOUT = 10
API_VERSION = "2017-05-25"
# Aliyun's answers worth trying again later: its throttling, and its own trouble.
RETRY_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User", "ServiceUnavailable", "InternalError",
               "SignatureNonceUsed"}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retry: bool = False  # failed for now: try again later
    error: str = ""


def percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun asks: UTF-8, only unreserved characters kept (a space %20, ``*`` %2A, ``~`` kept)."""
    return urllib.parse.quote(str(value), safe="-_.~")


def canonical_query(params: dict) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(params: dict, method: str = "GET") -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, params: dict, method: str = "GET") -> str:
    """Base64(HMAC-SHA1(secret + "&", StringToSign)) of ``params`` (without ``Signature``)."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def request_url(settings, *, phone: str, template: str, params: dict, out_id: str = "",
                now: datetime | None = None, nonce: str | None = None) -> str:
    """The signed SendSms GET URL for one message to ``phone``."""
    now = now or datetime.now(timezone.utc)
    query = {
        "AccessKeyId": settings.access_key_id, "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce or uuid.uuid4().hex, "SignatureVersion": "1.0",
        "Timestamp": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": API_VERSION,
        "PhoneNumbers": phone, "SignName": settings.sign_name, "TemplateCode": template,
        "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
    }
    if out_id:
        query["OutId"] = out_id[:250]
    signed = f"Signature={percent_encode(signature(settings.access_key_secret, query))}&{canonical_query(query)}"
    return settings.endpoint.rstrip("/") + "/?" + signed


def send(settings, *, phone: str, kind: str, params: dict, out_id: str = "") -> Outcome:
    """Send one templated SMS of ``kind`` (the template set for it in 系统设置) to ``phone``."""
    if settings is None or not settings.ready_for(kind):
        return Outcome(False, error="短信未启用或未设置该类消息的模板")
    url = request_url(settings, phone=phone, template=settings.template_for(kind), params=params, out_id=out_id)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=TIMEOUT) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            answer = json.loads(exc.read() or b"{}")
        except ValueError:
            return Outcome(False, retry=exc.code == 429 or exc.code >= 500, error=f"HTTP {exc.code}")
        code = answer.get("Code", "")
        return Outcome(False, retry=code in RETRY_CODES or exc.code >= 500, error=f"{code} {answer.get('Message', '')}".strip())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Outcome(False, retry=True, error=str(exc))
    code = answer.get("Code", "")
    if code == "OK":
        return Outcome(True)
    return Outcome(False, retry=code in RETRY_CODES, error=f"{code} {answer.get('Message', '')}".strip())
