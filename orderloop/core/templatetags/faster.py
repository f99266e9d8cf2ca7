"""Django's ``{% url %}`` tag and ``|date`` filter, the same output for less work: a template builtin
(settings.TEMPLATES' ``builtins``), so every template uses them without loading them.

``{% url %}``: Django's ``reverse`` walks the URL patterns, fills and quotes the arguments and checks the result against the
pattern each time: about a tenth of a millisecond, and a page draws twenty to forty links (the navigation alone
twenty). The answer depends only on the view's name, its arguments, the URL configuration and the script prefix,
none of which change while the process runs, so it is kept for those; arguments other than text and whole
numbers (an object whose text form might change) are reversed each time as before.

``|date``: a page shows dozens of dates and moments as 年-月-日 and 年-月-日 时:分, and Django's filter parses the
format string again for each one. Those two formats of a date or a moment (already in local time: the filter asks
for it, as Django's does) are written directly; any other format or value goes to Django's filter."""
from datetime import date as Date
from datetime import datetime
from functools import lru_cache

from django import template
from django.template import defaultfilters, defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@lru_cache(maxsize=8192)
def _reverse(view_name: str, args: tuple, kwargs: tuple, current_app, prefix: str, urlconf) -> str:
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app, urlconf=urlconf)


def _plain(value) -> bool:
    """Text (a template's literals are SafeString) or a whole number (not a bool: True == 1 as a key)."""
    return isinstance(value, str) or type(value) is int


def cached_reverse(view_name, args=(), kwargs=None, current_app=None) -> str:
    kwargs = kwargs or {}
    if isinstance(view_name, str) and all(_plain(v) for v in (*args, *kwargs.values())):
        return _reverse(str(view_name), tuple(a if type(a) is int else str(a) for a in args),
                        tuple(sorted((k, v if type(v) is int else str(v)) for k, v in kwargs.items())),
                        current_app, get_script_prefix(), get_urlconf())
    return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)


class CachedURLNode(defaulttags.URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's ``{% url %}`` (same syntax, same errors), reversed through cached_reverse."""
    node = defaulttags.url(parser, token)
    node.__class__ = CachedURLNode
    return node


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's ``|date``; "Y-m-d" of a date or a moment and "Y-m-d H:i" of a moment without the format parser."""
    kind = type(value)
    if arg == "Y-m-d" and kind in (Date, datetime):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if arg == "Y-m-d H:i" and kind is datetime:
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"
    return defaultfilters.date(value, arg)
