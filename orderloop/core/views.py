from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from orderloop.core.help import SECTIONS


@login_required
def help_page(request):
    sections = [(key, _(title), [_(text) for text in paragraphs]) for key, (title, paragraphs) in SECTIONS.items()]
    return render(request, "help.html", {"sections": sections})
