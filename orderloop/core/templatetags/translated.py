"""Django's ``i18n`` template library (settings.TEMPLATES' ``libraries`` loads it as ``i18n``), its
``{% translate "…" %}`` of a fixed text remembered per language.

A page holds dozens of fixed texts (the order page about eighty), and Django's tag looks each one up in the active
catalog on every render (its language, its catalog, the fallback, the escaping: a tenth of the order page's
template time). A fixed text with no filter, no ``as``, no ``noop`` and no ``context`` renders to the same string
for a language whatever the page, so each tag keeps what it rendered per language; every other form, and every other
tag of the library, is Django's own."""
from django import template
from django.templatetags import i18n
from django.utils import translation

register = template.Library()
register.tags.update(i18n.register.tags)
register.filters.update(i18n.register.filters)


class RememberedTranslateNode(template.Node):
    """Django's TranslateNode of a fixed text, rendered once per language."""

    child_nodelists = ()

    def __init__(self, node: i18n.TranslateNode):
        self.node, self.by_language = node, {}

    def render(self, context):
        language = translation.get_language()
        try:
            return self.by_language[language]
        except KeyError:
            return self.by_language.setdefault(language, self.node.render(context))


@register.tag("translate")
@register.tag("trans")
def do_translate(parser, token):
    node = i18n.do_translate(parser, token)
    expression = node.filter_expression
    if node.noop or node.asvar or node.message_context or expression.filters or expression.var.literal is None:
        return node
    return RememberedTranslateNode(node)
