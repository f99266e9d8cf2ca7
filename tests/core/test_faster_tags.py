"""{% url %} and |date in every template are core.templatetags.faster's, {% translate %} core.fixed_texts':
the same output as Django's."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import defaultfilters
from django.template import engines
from django.urls import NoReverseMatch, reverse

from orderloop.core.templatetags.faster import CachedURLNode, _reverse


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_every_template_reverses_through_the_kept_answers():
    template = engines["django"].from_string("{% url 'orders:today' %}")
    assert any(isinstance(node, CachedURLNode) for node in template.template.nodelist)


@pytest.mark.parametrize("ref", ["202405-001", "临-2024 05 01?#%", "<b>&\""])
def test_the_links_are_django_s_for_any_argument_twice(ref):
    _reverse.cache_clear()
    expected = reverse("orders:detail", args=[ref])
    assert render("{% url 'orders:detail' ref %}", ref=ref) == render("{% url 'orders:detail' ref %}", ref=ref)
    html = render("{% url 'orders:detail' ref as link %}{{ link }}", ref=ref)
    assert html == render("{{ link }}", link=expected)
    assert _reverse.cache_info().hits >= 1


def test_an_unknown_view_is_still_an_error_and_as_var_still_empty():
    with pytest.raises(NoReverseMatch):
        render("{% url 'orders:no_such_page' %}")
    assert render("{% url 'orders:no_such_page' as link %}[{{ link }}]") == "[]"


DATES = [date(2024, 5, 10), date(999, 1, 2)]
MOMENTS = [datetime(2024, 5, 10, 23, 59, 59), datetime(2024, 5, 10, 16, 5, tzinfo=ZoneInfo("UTC"))]
NOT_DATES = [None, "", "2024-05-10"]


@pytest.mark.parametrize("value, fmt", [(v, f) for v in DATES for f in ["Y-m-d", "Y年n月j日"]]
                         + [(v, f) for v in MOMENTS + NOT_DATES for f in ["Y-m-d", "Y-m-d H:i", "Y年n月j日"]])
def test_dates_read_as_with_django_s_filter_in_local_time(value, fmt):
    assert render("{{ value|date:fmt }}", value=value, fmt=fmt) == defaultfilters.date(_local(value), fmt)


def test_a_moment_is_shown_in_shanghai_time():
    moment = datetime(2024, 5, 10, 16, 5, tzinfo=ZoneInfo("UTC"))
    assert render('{{ value|date:"Y-m-d H:i" }}', value=moment) == "2024-05-11 00:05"
    assert render('{{ value|date:"Y-m-d" }}', value=moment) == "2024-05-11"


def test_a_time_of_a_date_is_refused_as_django_refuses_it():
    with pytest.raises(TypeError, match="time-related"):
        render('{{ value|date:"Y-m-d H:i" }}', value=date(2024, 5, 10))


def _local(value):
    from django.utils import timezone

    return timezone.localtime(value) if isinstance(value, datetime) and value.tzinfo else value


def test_a_fixed_translate_text_is_rendered_once_per_language_and_every_other_form_as_django_s():
    """core.fixed_texts' tag is the ``translate`` of the ``i18n`` every template loads: a fixed text follows the
    language of each render (Chinese, English, Chinese again on the same template); a variable, a filter, ``as``,
    ``noop`` and ``context`` are Django's tag as it was."""
    from django.templatetags.i18n import TranslateNode
    from django.utils import translation

    from orderloop.core.fixed_texts import RememberedTranslateNode

    template = engines["django"].from_string('{% load i18n %}{% translate "订单列表" %}|{% translate "<b>100%</b>" %}')
    assert isinstance(template.template.nodelist[1], RememberedTranslateNode)
    shown = []
    for language in ("zh-hans", "en", "zh-hans", "en"):
        with translation.override(language):
            shown.append(template.render({}))
    assert shown == ["订单列表|<b>100%</b>", "Order list|<b>100%</b>"] * 2
    others = engines["django"].from_string(
        '{% load i18n %}{% translate label %}|{% translate "订单列表"|upper %}|{% translate "订单列表" as t %}{{ t }}|'
        '{% translate "订单列表" noop %}|{% translate "订单列表" context "菜单" %}')
    tags = [node for node in others.template.nodelist if isinstance(node, (TranslateNode, RememberedTranslateNode))]
    assert len(tags) == 5 and all(type(node) is TranslateNode for node in tags)
    with translation.override("en"):
        assert others.render({"label": "订单列表"}) == "Order list|ORDER LIST|Order list|订单列表|订单列表"  # no entry in that context
