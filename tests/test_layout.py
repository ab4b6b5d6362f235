"""The layout the house keeps: core is UI-free, and no module or function grows past what a
reader takes in at once."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_FILE_LINES = 450
MAX_FUNCTION_LINES = 60


def python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("path", python_files("core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_neither_streamlit_nor_the_ui(path):
    ui_modules = {name for name in imported_modules(path)
                  if name.split(".")[0] in ("streamlit", "ui", "pages")}
    assert not ui_modules, f"{path.relative_to(ROOT)} imports {sorted(ui_modules)}"


def test_the_check_sees_an_import_of_streamlit(tmp_path):  # it can fail
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    import streamlit as st\n    from ui import pickers\n")
    assert imported_modules(module) == {"streamlit", "ui"}


def test_no_module_or_function_is_too_long():
    too_long = []
    for path in [*python_files("core", "ui", "pages"), ROOT / "app.py"]:
        source = path.read_text()
        name = path.relative_to(ROOT)
        if len(source.splitlines()) > MAX_FILE_LINES:
            too_long.append(f"{name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}(): {length} lines")
    assert not too_long, too_long
