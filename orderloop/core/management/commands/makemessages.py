from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """Also extract strings marked with ``N_`` (our alias of gettext_noop)."""

    xgettext_options = makemessages.Command.xgettext_options + ["--keyword=N_"]
