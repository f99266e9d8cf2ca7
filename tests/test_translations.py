"""English is complete: every interface string of the catalog is translated, and the compiled catalog
the app loads holds the same translations."""
import gettext

from tests.support.catalog import LOCALE, po_entries


def test_every_string_is_translated_and_none_is_fuzzy():
    entries = [e for e in po_entries() if e[0]]  # the header has an empty msgid
    assert len(entries) > 300
    assert [m for m, s, _ in entries if not s] == []
    assert [m for m, _, fuzzy in entries if fuzzy] == []


def test_the_compiled_catalog_matches():
    with open(LOCALE / "django.mo", "rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    stale = [m for m, s, _ in po_entries() if m and "\\" not in m and catalog.gettext(m) != s]
    assert stale == []
