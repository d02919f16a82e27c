"""The model package is the bottom layer: it imports nothing from sshr_cli outside sshr_cli.model,
so its files can travel inside a checkpoint folder as the model's own code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sshr_cli.model

MODEL_DIR = Path(sshr_cli.model.__file__).parent


def _sshr_imports(path: Path) -> list[str]:
    """Absolute module names under sshr_cli that a file imports (relative imports stay in the package)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "sshr_cli"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "sshr_cli":
            found += [f"{node.module}.{a.name}" if node.module == "sshr_cli" else node.module for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level > 1:
            found.append("." * node.level + (node.module or ""))  # above sshr_cli.model
    return found


@pytest.mark.parametrize("path", sorted(MODEL_DIR.glob("*.py")), ids=lambda p: p.name)
def test_model_files_import_only_their_siblings(path):
    outside = [name for name in _sshr_imports(path) if not name.startswith("sshr_cli.model")]
    assert not outside, f"{path.name} imports {outside}; the model package must not import the rest of sshr_cli"


def test_the_checker_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from sshr_cli.hub import REPO_ID\nfrom .. import io\nfrom .vocab import Vocab\n")
    assert _sshr_imports(bad) == ["sshr_cli.hub", ".."]
