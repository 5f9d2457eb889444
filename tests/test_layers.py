"""Imports go downwards only (docs/DESIGN.md "Layout"): no module imports a layer above its own.

Every `import awpo.x` / `from awpo.x import ...` counts, at module level or inside a function, and so does
`importlib.import_module("awpo.x")` with a literal name (a hidden import is still an import).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "python" / "awpo"

# From the top down; a module may import its own layer and the ones below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__", "__init__"),  # the entry point and the package's face (it re-exports `tool`)
    ("cli",),
    ("eval", "ablate"),
    ("train",),
    ("integrations", "bench"),
    ("config",),  # the whole training config: composes the configs of the layers below
    ("rollout",),
    ("rewards",),
    ("data",),
    ("algo", "tools", "overrides"),
    ("metric_names", "model", "stats", "errors", "hardware", "_native"),
)
LEVEL = {name: depth for depth, names in enumerate(LAYERS) for name in names}


def _top(dotted: str) -> str | None:
    """The layer name of `awpo.<top>...`, or None for anything outside awpo."""
    parts = dotted.split(".")
    if parts[0] != "awpo":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "awpo":  # `from awpo import x`: x is the layer
                found += [(node.lineno, f"awpo.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem


def test_every_module_has_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert _layer_of(path) in LEVEL, f"{path.relative_to(PACKAGE)}: add its layer to LAYERS and DESIGN.md"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    own = _layer_of(path)
    upward = []
    for line, name in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        target = _top(name)
        if target is not None and target in LEVEL and LEVEL[target] < LEVEL[own]:
            upward.append(f"line {line}: {name} ({target} is above {own})")
    assert not upward, f"{path.relative_to(PACKAGE)} imports upward:\n" + "\n".join(upward)


def test_the_check_sees_an_upward_import() -> None:
    tree = ast.parse(
        "def f():\n    from awpo.train import trainer\n    importlib.import_module('awpo.rollout.loop')\n"
    )
    targets = [_top(name) for _, name in _imports(tree)]
    assert targets == ["train", "rollout"]
    assert LEVEL["train"] < LEVEL["algo"] and LEVEL["rollout"] < LEVEL["rewards"]
