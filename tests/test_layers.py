"""The layering of docs/architecture.md, checked: every module of ``orderloop`` sits in one room, a room imports
only from its own and the rooms below it, no import cycle anywhere (imports inside functions count: hiding an
import in a function does not make it go away), and ``core`` imports no app."""
import ast
from collections import defaultdict
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "orderloop"

# From the bottom up; the first pattern a module matches places it.
ROOMS = [
    ("kernel", ["orderloop.core", "orderloop.core.*"]),
    ("what is stored, roles and permissions", ["orderloop.*.models", "orderloop.accounts.roles",
                                               "orderloop.accounts.permissions", "orderloop.masterdata.uscc",
                                               "orderloop.setup.site"]),
    ("people and master data", ["orderloop.accounts.services", "orderloop.accounts.throttle",
                                "orderloop.masterdata.services", "orderloop.masterdata.schemas",
                                "orderloop.masterdata.stock", "orderloop.masterdata.search",
                                "orderloop.masterdata.payment_terms"]),
    ("telling people", ["orderloop.notifications.services", "orderloop.notifications.robots", "orderloop.notifications.sms",
                        "orderloop.notifications.tasks", "orderloop.notifications.delivery"]),
    ("the order's record", ["orderloop.orders.access", "orderloop.orders.events", "orderloop.orders.lines",
                            "orderloop.orders.timers", "orderloop.orders.links", "orderloop.orders.customer_messages", "orderloop.orders.dates",
                            "orderloop.orders.uploads", "orderloop.orders.payloads", "orderloop.orders.schemas",
                            "orderloop.orders.lifecycle", "orderloop.orders.lifecycle.table",
                            "orderloop.orders.lifecycle.spec", "orderloop.orders.handoffs", "orderloop.orders.payments"]),
    ("after-sales", ["orderloop.aftersales.lifecycle", "orderloop.aftersales.services"]),
    ("money", ["orderloop.finance.plans", "orderloop.finance.gates", "orderloop.finance.receipts",
               "orderloop.finance.invoices", "orderloop.finance.receivables"]),
    ("the process", ["orderloop.orders.steps", "orderloop.orders.steps.*", "orderloop.orders.lifecycle.engine",
                     "orderloop.orders.customer", "orderloop.orders.services", "orderloop.orders.review",
                     "orderloop.masterdata.qualification"]),
    ("reads and documents", ["orderloop.orders.selectors", "orderloop.orders.labels", "orderloop.orders.today",
                             "orderloop.orders.board", "orderloop.orders.outcomes", "orderloop.orders.registers",
                             "orderloop.orders.saved_filters", "orderloop.orders.documents", "orderloop.orders.work",
                             "orderloop.orders.xlsx", "orderloop.reviews.report", "orderloop.reviews.services",
                             "orderloop.reviews.template_changes", "orderloop.reviews.documents",
                             "orderloop.finance.registers", "orderloop.finance.statements",
                             "orderloop.finance.receivables_export",
                             "orderloop.finance.queue", "orderloop.orders.pickers"]),
    ("intake from files and mail", ["orderloop.orders.reading", "orderloop.orders.reading.*",
                                    "orderloop.orders.importing", "orderloop.orders.mail",
                                    "orderloop.orders.sheets", "orderloop.finance.bank_statements"]),
    ("going live", ["orderloop.golive.tables", "orderloop.golive.customers", "orderloop.golive.products",
                    "orderloop.golive.stock", "orderloop.golive.orders", "orderloop.golive.kinds",
                    "orderloop.golive.services", "orderloop.golive.quality", "orderloop.golive.accounting"]),
    ("setup", ["orderloop.setup.services", "orderloop.setup.forms"]),
    ("web, worker and wiring", ["*.views", "*.api", "*.urls", "*.forms", "*.admin", "*.apps", "*.tasks", "*.context", "*.templatetags.*",
                                "*.management.commands.*", "orderloop.setup.demo", "orderloop.setup.checks",
                                "orderloop.accounts.sessions",
                                "orderloop.config.*", "orderloop.cli"]),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}


def _type_checking(node) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and getattr(test, "id", getattr(test, "attr", "")) == "TYPE_CHECKING"


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The orderloop modules ``name`` imports, anywhere in its text (inside functions too)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def resolve(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in child.names] + [base]
            else:
                visit(child)
                continue
            for target in targets:
                if target.startswith("orderloop"):
                    resolved = resolve(target)
                    if resolved and resolved != name:
                        found.add(resolved)
                        break

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _room(name: str) -> int | None:
    for rank, (_room_name, patterns) in enumerate(ROOMS):
        if any(fnmatch(name, pattern) for pattern in patterns):
            return rank
    return None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_every_module_has_a_room():
    graph = _graph()
    homeless = sorted(name for name, imports in graph.items() if _room(name) is None and imports)
    assert homeless == [], "place these modules in a room of tests/test_layers.py ROOMS (and docs/architecture.md)"


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def test_no_room_imports_from_a_room_above_it():
    upward = []
    for name, imports in sorted(_graph().items()):
        here = _room(name)
        for target in sorted(imports):
            there = _room(target)
            if here is not None and there is not None and there > here:
                upward.append(f"{name} ({ROOMS[here][0]}) → {target} ({ROOMS[there][0]})")
    assert upward == []


def test_core_imports_no_app():
    apps = defaultdict(set)
    for name, imports in _graph().items():
        if name.startswith("orderloop.core"):
            for target in imports:
                if not target.startswith("orderloop.core"):
                    apps[name].add(target)
    assert dict(apps) == {}


def test_the_check_sees_an_import_hidden_in_a_function(tmp_path):
    """The contract is only as good as its reading of the code: an import inside a function counts."""
    module = tmp_path / "hidden.py"
    module.write_text("def later():\n    from orderloop.orders.models import SalesOrder\n", encoding="utf-8")
    assert _imports("orderloop.core.hidden", module, _modules()) == {"orderloop.orders.models"}
