"""``{% main_nav %}``: the main navigation of every signed-in page (base.html), drawn from ``_nav.html``.

Its twenty links depend only on the language, on what the user may open (``may``, accounts/context.py) and on
where the site is mounted (the script prefix): nothing that changes while the process runs for the same three.
So it is drawn once for each combination met and kept, rather than its template nodes run on every page (about
a twentieth of a light page's time, bench/profile_pages.py). Nothing of the user, the order or the request other
than those three goes into it."""
from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

_DRAWN: dict[tuple, str] = {}
_MOST = 512  # languages × the role combinations people hold: a handful; a bound all the same


@register.simple_tag(takes_context=True)
def main_nav(context):
    may = context.get("may") or {}
    key = (get_language(), tuple(sorted(may.items())), get_script_prefix(), get_urlconf())
    html = _DRAWN.get(key)
    if html is None:
        html = render_to_string("_nav.html", {"may": may})
        if len(_DRAWN) >= _MOST:
            _DRAWN.clear()
        _DRAWN[key] = html
    return mark_safe(html)
