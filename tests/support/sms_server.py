"""A local HTTP server standing in for Aliyun SMS (dysmsapi SendSms): it checks each request's signature the way
the provider does — recomputed here, independently of the product's code, from Aliyun's "RPC signature" steps
with the AccessKey secret it was given — records the request, and answers like the provider (``Code: OK``, or
``SignatureDoesNotMatch``, or a scripted refusal)."""
import base64
import hashlib
import hmac
import urllib.parse

from tests.support.local_http import LocalServer, QuietHandler

SECRET = "testSecret-敏感"  # noqa: S105 (a test's own key)
KEY_ID = "LTAI-test-key"


def _encode(value: str) -> str:
    # Aliyun's recipe: form-encode (java.net.URLEncoder), then + → %20, * → %2A, %7E → ~
    return urllib.parse.quote_plus(value, encoding="utf-8").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def expected_signature(secret: str, params: dict) -> str:
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = "GET&" + _encode("/") + "&" + _encode(query)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class SmsServer(LocalServer):
    def __init__(self, secret: str = SECRET):
        self.secret = secret
        self.requests: list[dict] = []  # each request's parameters, decoded
        self.answers: list[dict] = []   # scripted answers, consumed in order after the signature passes
        server = self

        class Handler(QuietHandler):
            def do_GET(self):
                parsed = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
                good = params.get("Signature") == expected_signature(server.secret, params)
                server.requests.append({"path": parsed.path, "params": params, "signature_ok": good})
                if not good:
                    status, answer = 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
                else:
                    status, answer = 200, (server.answers.pop(0) if server.answers else
                                           {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0",
                                            "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"})
                self.answer_json(status, answer)

        self.serve(Handler)
        self.url += "/"


def sms_settings(url: str, *, secret: str = SECRET, **fields):
    """The SMS settings of 系统设置 pointing at ``url``, every template set."""
    from orderloop.setup.models import SmsSettings

    values = {"enabled": True, "endpoint": url, "access_key_id": KEY_ID, "access_key_secret": secret,
              "sign_name": "测试科技", "template_logistics_notice": "SMS_100000001", "template_rating": "SMS_100000002",
              "template_ticket_resolved": "SMS_100000003", **fields}
    return SmsSettings.objects.create(**values)
