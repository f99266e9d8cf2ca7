"""The suite's own rules: fixtures come from conftest.py and helpers from tests/support/; a test module never
imports another test module (nor conftest.py, which pytest loads itself), and tests/support/ holds no fixture."""
import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
MODULES = sorted(path for path in TESTS.rglob("*.py") if "vendor" not in path.relative_to(TESTS).parts)
# what a test module is called when imported: by its path under the project (tests.web.test_browser), or, with
# its folder on sys.path, by its name alone (test_browser, conftest)
TEST_MODULES = {path.stem for path in MODULES if path.stem.startswith("test_") or path.stem == "conftest"}


def imported_names(source: str):
    """(line, dotted name) of every import, those inside functions included; ``from a import b`` gives both
    ``a`` and ``a.b``, since b may be a module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}" if node.module else f"{module}{alias.name}"


def imports_of_test_modules(source: str) -> list[str]:
    found = []
    for line, name in imported_names(source):
        parts = name.lstrip(".").split(".")
        ours = name.startswith(".") or parts[0] == "tests" or parts[0] in TEST_MODULES
        hits = [i for i, part in enumerate(parts) if part in TEST_MODULES]
        if ours and hits:
            module = name[:len(name) - len(".".join(parts))] + ".".join(parts[:hits[0] + 1])
            if f"line {line}: {module}" not in found:
                found.append(f"line {line}: {module}")
    return found


def test_no_module_of_the_suite_imports_a_test_module_or_conftest():
    offenders = {str(path.relative_to(TESTS)): found for path in MODULES
                 if (found := imports_of_test_modules(path.read_text()))}
    assert offenders == {}, "move what is shared to tests/support/ (helpers) or conftest.py (fixtures)"


def test_the_check_sees_each_way_of_importing_a_test_module():
    assert imports_of_test_modules("from tests.web.test_browser import log_in") == ["line 1: tests.web.test_browser"]
    assert imports_of_test_modules("def f():\n    from tests import test_browser") != []
    assert imports_of_test_modules("from conftest import act") != []
    assert imports_of_test_modules("import tests.conftest") != []
    assert imports_of_test_modules("from .test_browser import log_in") != []
    assert imports_of_test_modules("from tests.support.orders import act\nfrom django.test import Client") == []


def test_support_holds_helpers_and_no_fixture():
    fixtures = []
    for path in sorted((TESTS / "support").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                decorators = [ast.unparse(d) for d in node.decorator_list]
                if any(d.split("(")[0].endswith("fixture") for d in decorators):
                    fixtures.append(f"{path.name}: {node.name}")
    assert fixtures == [], "fixtures belong in conftest.py"
