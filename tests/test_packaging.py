"""The package as a user installs it: declared dependencies, the import contract, typing marker."""

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import speechtext

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(speechtext.__file__).resolve().parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# Declared dependencies the package uses as data, without importing them: g2p-en's model
# weights and homograph list (importing g2p_en would reach the network through nltk.download).
USED_AS_DATA = {"g2p-en"}


def _requirement_name(requirement):
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _module_files():
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path):
    """(absolute module, imported names, line) for every import statement of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]  # the package a relative import starts from
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            yield module, [a.name for a in node.names], node.lineno


def _third_party_imports():
    stdlib = sys.stdlib_module_names
    found = {}
    for path in _module_files():
        for module, _, line in _imports(path):
            top = module.split(".")[0]
            if top != "speechtext" and top not in stdlib and top != "__future__":
                found.setdefault(top, f"{path.relative_to(ROOT)}:{line}")
    return found


def _distributions(module):
    return {d.lower() for d in importlib.metadata.packages_distributions().get(module, [])}


def test_every_import_is_declared_and_every_dependency_used():
    runtime = {_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = {
        _requirement_name(r)
        for reqs in PYPROJECT["project"]["optional-dependencies"].values()
        for r in reqs
    }
    used = set()
    for module, where in _third_party_imports().items():
        dists = {d.replace("_", "-") for d in _distributions(module)}
        # dask's `distributed` module comes with the dask extra's dask[distributed]
        declared = (
            dists & (runtime | extras)
            or (module == "distributed" and "dask" in extras)
            # an extra not installed here (torch, of `neural`): its import name is its own
            or (not dists and module in extras)
        )
        assert declared, f"{where}: imports {module} (from {dists or 'unknown'}), not declared"
        used |= dists
    unused = runtime - used - USED_AS_DATA
    assert not unused, f"declared in pyproject.toml but never imported: {sorted(unused)}"


def _is_module(module, name):
    folder = PACKAGE.parent.joinpath(*module.split("."))
    return (folder / f"{name}.py").is_file() or (folder / name).is_dir()


def test_no_private_name_is_imported_from_another_module():
    # (private modules are import-linter's private_modules contract)
    offences = []
    for path in _module_files():
        where = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for module, names, line in _imports(path):
            if module.startswith("speechtext"):
                offences += [
                    f"{where}:{line}: from {module} import {name}"
                    for name in names
                    if name.startswith("_")
                    and not name.startswith("__")
                    and not _is_module(module, name)
                ]
        # `name._private` where `name` came from a speechtext import
        imported = {
            a.asname or a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.level or "speechtext" in node.module)
            for a in node.names
        }
        offences += [
            f"{where}:{node.lineno}: {node.value.id}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in imported
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ]
    assert not offences, "private names used across modules:\n" + "\n".join(offences)


def test_the_layers_import_in_one_direction():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_package_is_typed():
    assert (PACKAGE / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["speechtext"]


def test_every_public_name_imports():
    for name in speechtext.__all__:
        assert getattr(speechtext, name) is not None, name
