"""The site's address in every link sent outside (the customer's receipt and rating links, the links in e-mails and
chat messages): ``site_url(path)``. Whose address wins, first to last:

1. ``ORDERLOOP_BASE_URL`` from the environment: the operator's explicit choice;
2. the address the administrator set in 系统设置 › 网站地址 (prefilled from their own request);
3. the address the first colleague signed in at (recorded at sign-in, ``address_seen``): a signed-in person's
   browser names the host it reached, unlike an anonymous request whose Host header anyone can forge; a loopback
   address gives way to the first other one seen;
4. the address ``orderloop run`` serves at (``ORDERLOOP_SERVED_AT``, set by it for its web and worker processes),
   else ``DEFAULT``, where it serves on its own.

Links are often made in the worker, without a request: so what a request tells is stored, and every link reads it
here."""
import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError

from orderloop.core import clock
from orderloop.core.prepared import PreparedQuery
from orderloop.setup.models import SiteAddress

DEFAULT = "http://127.0.0.1:8000"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "0.0.0.0", ""}


def loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def operator_address() -> str:
    return (getattr(settings, "ORDERLOOP_BASE_URL", "") or "").strip()


_SITE_ADDRESS = PreparedQuery(SiteAddress, lambda: SiteAddress.objects.order_by("pk")[:1], params=0)  # every link


def site_address() -> tuple[str, str]:
    """``(address, source)``: source is "operator", "setting", "seen" or "default"."""
    if operator_address():
        return operator_address().rstrip("/"), "operator"
    try:
        row = next(iter(_SITE_ADDRESS.all()), None)
    except DatabaseError:  # no table yet (before migrate): the default
        row = None
    if row and row.url:
        return row.url.rstrip("/"), "setting"
    if row and row.seen_url:
        return row.seen_url.rstrip("/"), "seen"
    return (getattr(settings, "ORDERLOOP_SERVED_AT", "") or DEFAULT).rstrip("/"), "default"


def site_url(path: str = "/") -> str:
    """``path`` (``/r/…``) as a reader outside the app follows it: the site's address in front."""
    return site_address()[0] + "/" + path.lstrip("/")


def request_address(request) -> str:
    """The address the request reached the app at (its host checked against ALLOWED_HOSTS); "" when it names none."""
    try:
        return request.build_absolute_uri("/").rstrip("/")
    except (KeyError, DisallowedHost):  # a request made up in code (the test client's login) names no host
        return ""


def address_seen(request) -> None:
    """A colleague signed in at this request's address: remember it for links, unless a better one is known."""
    address = request_address(request)
    if not address:
        return
    row = SiteAddress.objects.order_by("pk").first()
    if row is None:
        SiteAddress.objects.create(seen_url=address, seen_at=clock.now())
    elif not row.seen_url or (loopback(row.seen_url) and not loopback(address)):
        SiteAddress.objects.filter(pk=row.pk).update(seen_url=address, seen_at=clock.now())
