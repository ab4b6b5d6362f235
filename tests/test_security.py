"""Security properties a shared demo link relies on, checked on the source itself.

- Nothing a request or URL carries is evaluated: no eval/exec/compile, no pickle, no shell.
- Uploads stay in memory: the app (pages/, ui/, app.py) writes no files at all, so an
  uploaded file's name can never become a path.
- Weights load from HDF5 (no pickle) and only after their checksum matches the manifest.
- Streamlit's XSRF protection stays on; every dependency is pinned to one version.
"""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
           *sorted((ROOT / "ui").rglob("*.py")), *sorted((ROOT / "core").rglob("*.py"))]
APP_ONLY = [path for path in PRODUCT if "core" not in path.relative_to(ROOT).parts]
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "joblib"}
WRITING_CALLS = {"write_bytes", "write_text", "mkdir", "mkstemp", "NamedTemporaryFile",
                 "TemporaryDirectory", "save_png", "save_weights", "to_csv", "savez",
                 "copy", "copyfile", "copy2", "copytree", "move", "rename", "replace",
                 "unlink", "rmtree", "remove"}


def calls(tree: ast.AST):
    """(name, node) of every call; attribute calls are named "." + attribute."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = function.id if isinstance(function, ast.Name) else "." + getattr(
                function, "attr", "")
            yield name, node


def parsed(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


def test_the_scan_sees_the_whole_product():
    assert len(PRODUCT) > 25 and len(APP_ONLY) > 10
    # Every Python file of the product, packages included (ui/classic/..., core/classic/...).
    every = {ROOT / "app.py"} | {path for folder in ("pages", "ui", "core")
                                 for path in (ROOT / folder).rglob("*.py")}
    assert set(PRODUCT) == every


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_eval_exec_pickle_or_shell(path):
    tree = parsed(path)
    for name, node in calls(tree):
        # the builtins, not methods such as keras.Model.compile
        assert name not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {name}"
        for keyword in node.keywords:
            if keyword.arg == "shell":
                assert isinstance(keyword.value, ast.Constant) and not keyword.value.value
            if keyword.arg == "allow_pickle":
                assert isinstance(keyword.value, ast.Constant) and not keyword.value.value
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            for module in names:
                assert module.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name}: {module}"


@pytest.mark.parametrize("path", APP_ONLY, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_app_writes_no_files(path):
    """Uploads are decoded from memory; results leave through download buttons only."""
    tree = parsed(path)
    for name, node in calls(tree):
        where = f"{path.name}:{node.lineno} calls {name}"
        if name in (".replace", ".remove", ".copy") and not _on_a_path(node):
            continue  # str.replace, list.remove, dict.copy and the like
        assert name.lstrip(".") not in WRITING_CALLS, where
        if name in ("open", ".open"):  # open(path, mode) or Path.open(mode): only reading
            modes = [*node.args[1 if name == "open" else 0:][:1],
                     *(k.value for k in node.keywords if k.arg == "mode")]
            for mode in modes:
                assert isinstance(mode, ast.Constant) and set(mode.value) <= set("rbt"), where
        if name == ".save":  # Image.save / np.save: only into memory (a BytesIO buffer)
            target = node.args[0] if node.args else None
            assert isinstance(target, ast.Name) and target.id in ("buffer", "out"), where


def _on_a_path(node: ast.Call) -> bool:
    """Whether a call's receiver is written as a path: Path(...), os/shutil functions."""
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    text = ast.unparse(receiver) if receiver is not None else ""
    return text.startswith(("Path(", "os", "shutil")) or "path" in text.lower()


def test_weights_are_checked_before_they_load(make_bundle, tmp_path):
    from core.fast import registry

    make_bundle(tmp_path)
    model = registry.find_model("tiny", tmp_path)
    data = model.weights_path.read_bytes()
    assert data.startswith(b"\x89HDF\r\n\x1a\n")  # HDF5, not a pickle
    model.weights_path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit flipped
    with pytest.raises(registry.ModelError, match="damaged or was replaced"):
        registry.load_transformer(model)
    manifests = [*(ROOT / "styles" / "models").glob("*.json"),
                 *(ROOT / "styles" / "arbitrary").glob("*.json")]
    assert len(manifests) >= 8
    for manifest in manifests:
        assert len(json.loads(manifest.read_text())["sha256"]) == 64


def test_xsrf_protection_stays_on():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"].get("enableCORS", True) is True
    for text in (ROOT / "README.md", ROOT / ".ci" / "run"):
        assert "enableXsrfProtection" not in text.read_text()  # no documented override


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_dependency_is_pinned(name):
    for line in (ROOT / name).read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement or requirement.startswith("-r "):
            continue
        assert "==" in requirement and not any(c in requirement for c in "<>~*"), requirement
