"""``{% translate "…" %}`` of a fixed text rendered once per language: Django's ``i18n`` tag library, whose
``translate`` (and ``trans``) tag is made this module's when the app starts (CoreConfig.ready), so every template's
``{% load i18n %}`` gets it. (Registered under another library name, the tag would have needed every template to
load that name, and loading it in Django's place is what the system check templates.W003 warns of.)

A page holds dozens of fixed texts (the order page about eighty), and Django's tag looks each one up in the active
catalog on every render (its language, its catalog, the fallback, the escaping: a tenth of the order page's
template time). A fixed text with no filter, no ``as``, no ``noop`` and no ``context`` renders to the same string
for a language whatever the page, so each tag keeps what it rendered per language; every other form is parsed and
rendered by Django's own tag."""
from django import template
from django.templatetags import i18n
from django.utils import translation


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


def do_translate(parser, token):
    node = i18n.do_translate(parser, token)
    expression = node.filter_expression
    if node.noop or node.asvar or node.message_context or expression.filters or expression.var.literal is None:
        return node
    return RememberedTranslateNode(node)


def remember_fixed_texts() -> None:
    """Django's ``i18n`` library's ``translate`` and ``trans`` tags become ``do_translate`` (once, at start-up)."""
    i18n.register.tag("translate", do_translate)
    i18n.register.tag("trans", do_translate)
