"""Deployment checks of our own, run by ``orderloop check --deploy`` with Django's: what a production install must
not keep from a first try — the demo's accounts with their published password, customer links pointing at this
machine, and a data folder others on the machine can read."""
import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from orderloop.setup.site import loopback, site_address


@register(Tags.security, deploy=True)
def demo_accounts_check(app_configs=None, **kwargs):
    from orderloop.accounts.models import User
    from orderloop.setup.demo import PASSWORD, USERS

    try:
        demo = [user.username for user in User.objects.filter(username__in=[u[0] for u in USERS], is_active=True)
                if user.check_password(PASSWORD)]
    except DatabaseError:  # no database to ask (yet): nothing to warn about
        return []
    if not demo:
        return []
    return [Warning(f"The demo accounts {', '.join(demo)} are active with the demo password.",
                    hint="Deactivate them or set their passwords (orderloop changepassword USERNAME) before going live.",
                    id="orderloop.W001")]


@register(Tags.security, deploy=True)
def customer_link_address_check(app_configs=None, **kwargs):
    url, source = site_address()
    if source in ("operator", "setting") and not loopback(url):
        return []
    return [Warning(f"The address in links sent to customers is {url} ({source_names[source]}): the receipt and rating "
                    "links may not open for them.",
                    hint="Set it in 系统设置 › 网站地址, or set ORDERLOOP_BASE_URL to the address customers reach, "
                         "e.g. https://orders.example.com.",
                    id="orderloop.W002")]


source_names = {"operator": "ORDERLOOP_BASE_URL", "setting": "系统设置 › 网站地址",
                "seen": "the address a colleague signed in at, not confirmed in 系统设置", "default": "not set"}


def _data_paths() -> list[Path]:
    paths = [Path(settings.VAR_DIR), Path(settings.MEDIA_ROOT)]
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        paths.append(Path(database["NAME"]))
    return [path for path in dict.fromkeys(paths) if path.exists()]


def _exposed(path: Path) -> bool:
    """Others on the machine can reach ``path``: it is open to them, and so is every folder above it."""
    mode = path.stat().st_mode
    opened = mode & (stat.S_IROTH | stat.S_IXOTH) if path.is_dir() else mode & stat.S_IROTH
    return bool(opened) and all(parent.stat().st_mode & stat.S_IXOTH for parent in path.resolve().parents)


@register(Tags.security, deploy=True)
def data_folder_check(app_configs=None, **kwargs):
    readable = [str(path) for path in _data_paths() if _exposed(path)]
    if not readable:
        return []
    return [Warning(f"Others on this machine can read {', '.join(readable)}: the database, uploads and keys are in it.",
                    hint="chmod 700 the folder and 600 its files (orderloop run creates them so).",
                    id="orderloop.W003")]
