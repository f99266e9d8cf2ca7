"""``get_FOO_display`` by a table made once per field.

Django's ``get_FOO_display`` flattens the field's choices and builds a dictionary of them on every call, hashing
each label, which translates it: about 60 µs for the order's status (thirty states), fifty times for a page of
the order list's API. ``choice_labels_tabled`` gives each field with choices of orderloop's models a method that
looks the value up in a table made once from those choices; the label is still translated when it is shown, in
the language of the request. A model's own ``get_FOO_display`` is left alone."""
from functools import partialmethod

from django.utils.encoding import force_str


def _display(field):
    labels = dict(field.flatchoices)  # the choices are the models' enums: fixed while the process runs
    attname = field.attname

    def get_display(self):
        value = getattr(self, attname)
        try:
            return force_str(labels.get(value, value), strings_only=True)
        except TypeError:  # an unhashable value: Django's own way
            return self._get_FIELD_display(field)

    get_display.__name__ = f"get_{field.name}_display"
    return get_display


def choice_labels_tabled(models) -> None:
    for model in models:
        for field in model._meta.local_concrete_fields:
            name = f"get_{field.name}_display"
            if field.choices and isinstance(model.__dict__.get(name), partialmethod):
                setattr(model, name, _display(field))
