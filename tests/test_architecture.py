"""The layout holds: apps depend in one direction, modules import in no cycle, layers are packages.

The imports are read with ``ast`` from the source, including imports inside
functions, so a cycle hidden in a function body still fails.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lower first: an app may import the apps before it, never those after it.
APP_ORDER = ("core", "branches", "members", "training", "assessments", "demo")
# config wires the apps together and bench measures them: they may import any app.
WIRING = ("config", "bench")
LAYERS = ("views", "forms", "services", "selectors", "urls", "exports")
MAX_LINES = 600
ONE_IDEA = "# One idea:"


def _modules() -> dict[str, Path]:
    found = {}
    for top in (*APP_ORDER, *WIRING, "tests"):
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """First-party modules that *name* imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            targets.add(module)
            targets.update(f"{module}.{alias.name}" for alias in node.names)
    return {target for target in targets if target in MODULES and target != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_modules():
    assert _cycles(GRAPH) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _rank(module: str) -> int | None:
    top = module.split(".")[0]
    return APP_ORDER.index(top) if top in APP_ORDER else None


def test_apps_depend_in_one_direction_only():
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if _rank(name) is not None
        for target in targets
        if _rank(target) is not None and _rank(target) > _rank(name)
    )
    assert wrong == []


def test_no_domain_app_imports_the_demo_app():
    users = sorted(name for name, targets in GRAPH.items() if any(t.startswith("demo") for t in targets))
    assert all(name.startswith(("demo", "bench", "tests")) for name in users), users


def test_no_module_is_named_by_a_prefix_that_a_package_should_carry():
    prefixed = re.compile(rf"^\w+_({'|'.join(LAYERS)})$")
    offenders = sorted(
        name for name in MODULES if prefixed.match(leaf := name.rpartition(".")[2]) and not leaf.startswith("test_")
    )
    assert offenders == []


def test_layers_are_packages_in_every_domain_app():
    for app in ("members", "training", "assessments"):
        for layer in ("views", "forms", "services", "selectors"):
            assert (ROOT / app / layer / "__init__.py").exists(), f"{app}/{layer}/ is not a package"
            assert not (ROOT / app / f"{layer}.py").exists(), f"{app}/{layer}.py beside the package"


def test_no_module_is_longer_than_the_limit_unless_it_says_why():
    long = sorted(
        f"{path.relative_to(ROOT)} ({count} lines)"
        for path in MODULES.values()
        if (count := len(path.read_text().splitlines())) > MAX_LINES
        and ONE_IDEA not in "".join(path.read_text().splitlines(keepends=True)[:3])
    )
    assert long == []
