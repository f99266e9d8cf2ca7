"""The documentation shows the lifecycle as the code declares it."""
from pathlib import Path

from orderloop.orders.lifecycle.table import TRANSITIONS
from orderloop.orders.steps import ACTIONS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_architecture_doc_has_every_row_of_the_lifecycle_table():
    text = (DOCS / "architecture.md").read_text()
    for t in TRANSITIONS:
        row = (f"| `{t.action}` | {ACTIONS[t.action].label} | {', '.join(sorted(t.sources))} | "
               f"{', '.join(sorted(t.targets))} | {', '.join(sorted(t.roles))} |")
        assert row in text, row
