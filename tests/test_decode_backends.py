"""The decoder backends' registry, and the import rules of sshr_cli/decode (no cycles, no sibling backends)."""

import ast
from pathlib import Path

import pytest

from helpers_decode import CHAR_VOCAB, frame_log_probs, spell
from sshr_cli.decode import DecodeOptions
from sshr_cli.decode.backends import BeamOptions, BeamSpec, backend_class, backend_names, beam_choices
from sshr_cli.decode.greedy import greedy_decode
from sshr_cli.errors import ConfigError
from sshr_cli.text.vocab import Vocab

VOCAB = Vocab.from_mapping(CHAR_VOCAB)
DECODE = Path(__file__).resolve().parents[1] / "sshr_cli" / "decode"
BACKENDS = DECODE / "backends"


def test_registry_lists_the_three_backends():
    assert backend_names() == ("greedy", "pyctcdecode", "flashlight")
    assert beam_choices() == ("auto", "pyctcdecode", "flashlight")
    assert {name: backend_class(name).name for name in backend_names()} == {n: n for n in backend_names()}


def test_unknown_backend_is_a_one_line_error_naming_the_known_ones():
    with pytest.raises(ConfigError) as err:
        backend_class("kaldi")
    assert str(err.value) == "unknown decoder backend 'kaldi'; known backends: greedy, pyctcdecode, flashlight"
    with pytest.raises(ConfigError, match="known backends: greedy, pyctcdecode, flashlight"):
        BeamSpec(tokens=VOCAB.tokens, options=BeamOptions(), backend="kaldi").build()


def test_greedy_backend_is_the_best_path():
    logits = frame_log_probs(spell("bugs bunny"))
    decoder = BeamSpec(tokens=VOCAB.tokens, options=BeamOptions(), backend="greedy").build()
    assert decoder.decode(logits) == [greedy_decode(logits, VOCAB)]


def test_options_are_built_by_keyword():
    with pytest.raises(TypeError):
        BeamOptions("lm.arpa")  # positional: refused
    with pytest.raises(TypeError):
        DecodeOptions(30.0)


def _module(path: Path) -> str:
    parts = path.relative_to(DECODE.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """Modules of `known` that the file imports, at the top or inside functions (relative imports resolved)."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from .x import y: x is relative to the file's package, one level up per extra dot
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return found & known


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in DECODE.rglob("*.py")}
    return {name: _imports(path, set(files)) - {name} for name, path in files.items()}


def test_no_backend_imports_a_sibling_backend_or_the_registry():
    graph, prefix = _graph(), "sshr_cli.decode.backends"
    backends = {f"{prefix}.{name}" for name in backend_names()}
    assert backends <= set(graph)
    for module in backends:
        assert not graph[module] & (backends | {prefix}), module
    shared = {m for m in graph if m.startswith(prefix + ".")} - backends
    assert {f"{prefix}.base", f"{prefix}.common"} <= shared
    for module in shared:  # base, common, pool: below every backend
        assert not graph[module] & (backends | {prefix}), module


def test_no_import_cycle_inside_decode():
    graph, done, path = _graph(), set(), []

    def visit(module: str) -> None:
        assert module not in path, " -> ".join(path[path.index(module):] + [module])
        if module in done:
            return
        path.append(module)
        for target in sorted(graph[module]):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
