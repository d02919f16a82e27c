"""The import contract (pyproject.toml [tool.importlinter], docs/architecture.md) and the size rule.

`lint-imports` runs on the real tree, and once on a copy with a deliberate upward import, so
the contract is shown to bite rather than merely to pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sshr_cli"
MAX_MODULE_LINES = 400


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    assert exe.is_file(), f"{exe} missing: install the dev extra (bash scripts/setup.sh env)"
    env = {**os.environ, "PYTHONPATH": str(cwd)}  # the copy's sshr_cli, not the installed one
    return subprocess.run([str(exe), "--config", str(cwd / "pyproject.toml"), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _copy_tree(dest: Path) -> Path:
    shutil.copytree(PACKAGE, dest / "sshr_cli", ignore=shutil.ignore_patterns("__pycache__", "recipes"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_the_import_contract_holds(tmp_path):
    result = _lint_imports(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    tree = _copy_tree(tmp_path)
    target = tree / "sshr_cli" / "model" / "losses.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nfrom sshr_cli import hub  # noqa\n", encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "sshr_cli.model.losses -> sshr_cli.hub" in result.stdout


def test_a_cycle_breaks_the_contract(tmp_path):
    tree = _copy_tree(tmp_path)
    target = tree / "sshr_cli" / "data" / "manifest.py"
    target.write_text(target.read_text(encoding="utf-8") + "\nimport sshr_cli.data.prepare  # noqa\n",
                      encoding="utf-8")
    result = _lint_imports(tree)
    assert result.returncode != 0 and "No cycles are allowed in sshr_cli.data" in result.stdout


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"split these modules (>{MAX_MODULE_LINES} lines): {long}"



def _sshr_imports(path: Path):
    import ast

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sshr_cli"):
            yield node.module, [alias.name for alias in node.names]


def test_bench_and_recipe_scripts_import_what_exists():
    """bench/ and recipes/ scripts are not imported by the suite; a moved name must not break them."""
    import importlib

    scripts = sorted((ROOT / "bench").glob("*.py")) + sorted((ROOT / "recipes").rglob("*.py"))
    missing = []
    for script in scripts:
        for module, names in _sshr_imports(script):
            mod = importlib.import_module(module)
            missing += [f"{script.relative_to(ROOT)}: {module}.{n}" for n in names if not hasattr(mod, n)
                        and not _is_submodule(module, n)]
    assert scripts and not missing, missing


def _is_submodule(package: str, name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"{package}.{name}") is not None
