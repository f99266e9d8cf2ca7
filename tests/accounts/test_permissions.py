"""Every set of roles the product checks is named once, in ``accounts/permissions.py`` (the lifecycle's own in
``orders/lifecycle/table.py``); no other module spells a role by its code."""
import ast
from pathlib import Path

from orderloop.accounts import permissions
from orderloop.accounts.roles import Role
from orderloop.orders.models import Attachment, TimerKind

PACKAGE = Path(__file__).resolve().parents[2] / "orderloop"
ALLOWED = {PACKAGE / "accounts" / "roles.py", PACKAGE / "accounts" / "permissions.py",
           PACKAGE / "setup" / "demo.py"}  # the demo's people are given their roles by name
CODES = set(Role.values)


def _role_literals(path: Path) -> list[int]:
    """Lines where a role code is written as a string: an argument of ``has_role``, a set, tuple or list literal
    of role codes, or one side of a comparison."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "has_role":
            candidates = node.args
        elif isinstance(node, (ast.Set, ast.Tuple, ast.List)):
            texts = [e for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            # a set of roles, not a list of field names that happens to hold one ("warehouse")
            candidates = texts if texts and all(e.value in CODES for e in texts) else []
        elif isinstance(node, ast.Compare):
            candidates = [node.left, *node.comparators]
        else:
            continue
        found += [c.lineno for c in candidates if isinstance(c, ast.Constant) and c.value in CODES]
    return found


def test_no_module_spells_a_role_by_its_code():
    spelled = {str(path.relative_to(PACKAGE)): lines for path in sorted(PACKAGE.rglob("*.py"))
               if "migrations" not in path.parts and path not in ALLOWED and (lines := _role_literals(path))}
    assert spelled == {}


def test_no_template_spells_a_role_by_its_code():
    """Templates ask ``may`` (accounts/context.py), never ``"admin" in user.roles``."""
    spelled = {str(path.relative_to(PACKAGE)): role for path in sorted(PACKAGE.rglob("*.html"))
               for role in CODES if f'"{role}" in user.roles' in path.read_text(encoding="utf-8")}
    assert spelled == {}


def test_the_check_sees_a_role_spelled_out(tmp_path):
    module = tmp_path / "view.py"
    module.write_text('def page(user):\n    return user.has_role("sales_director") or "admin" in user.roles\n',
                      encoding="utf-8")
    assert _role_literals(module) == [2, 2]


def test_the_sets_keyed_by_kind_name_real_kinds():
    assert set(permissions.ATTACHMENT_UPLOADERS) <= set(Attachment.Kind.values)
    assert set(permissions.DEADLINE_OWNERS) == set(TimerKind.values) - {TimerKind.RISK}
    assert permissions.UPLOADERS == frozenset().union(*permissions.ATTACHMENT_UPLOADERS.values())


def test_every_set_holds_roles_only():
    for name in [n for n in dir(permissions) if n.isupper()]:
        value = getattr(permissions, name)
        sets = value.values() if isinstance(value, dict) else [value] if isinstance(value, frozenset) else []
        for roles in sets:
            assert set(roles) <= CODES, name
