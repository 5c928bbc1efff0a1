"""The tree shows the architecture, and the imports keep it so.

- `zcheap/` is the only code that talks to Zcheap; it knows nothing of our apps or models.
- The gallery's wings (`gallery/generation/`, `gallery/browse/`) are used from outside only through
  the names their `__init__.py` exports; tests and benchmarks may reach inside.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Our Django apps are the top-level folders with an apps.py; new apps join every check by themselves.
DJANGO_APPS = sorted(p.parent.name for p in ROOT.glob("*/apps.py"))
APP_DIRS = [*DJANGO_APPS, "zcheap", "zcheap_site"]
WINGS = ["gallery.generation", "gallery.browse"]
OUR_PACKAGES = (*DJANGO_APPS, "zcheap_site")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) for every import statement in PATH."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base, [alias.name for alias in node.names]))
    return found


def app_modules() -> list[Path]:
    paths = []
    for top in APP_DIRS:
        paths += [p for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts]
    return sorted(paths)


def wing_of(module: str) -> str | None:
    return next((w for w in WINGS if module == w or module.startswith(w + ".")), None)


def test_the_tree_reads_as_the_architecture():
    for path in [
        "zcheap/client.py",
        "zcheap/types.py",
        "zcheap/errors.py",
        "zcheap/simulator/__init__.py",
        "gallery/models.py",
        "gallery/generation/forms.py",
        "gallery/generation/views.py",
        "gallery/generation/worker.py",
        "gallery/generation/tasks.py",
        "gallery/browse/views.py",
        "gallery/browse/filters.py",
        "gallery/browse/media_views.py",
    ]:
        assert (ROOT / path).is_file(), path
    leftovers = [p.name for p in (ROOT / "gallery").glob("*_generation.py")]
    leftovers += [p.name for p in (ROOT / "gallery").glob("*_browse.py")]
    assert not leftovers and not (ROOT / "gallery" / "zcheap").exists()


def test_wings_are_used_only_through_what_they_export():
    offences = []
    for path in app_modules():
        own = wing_of(module_name(path))
        for line, module, names in imports_of(path):
            wing = wing_of(module)
            if wing is None or wing == own:
                continue
            if module != wing:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
                continue
            exported = set(__import__(wing, fromlist=["__all__"]).__all__)
            offences += [
                f"{path.relative_to(ROOT)}:{line} imports {wing}.{name} (not exported)"
                for name in names
                if name not in exported
            ]
    assert offences == []


@pytest.mark.parametrize("path", sorted((ROOT / "zcheap").rglob("*.py")), ids=str)
def test_the_zcheap_package_knows_nothing_of_our_apps_or_models(path):
    for line, module, _names in imports_of(path):
        assert not module.startswith(OUR_PACKAGES), f"{path.name}:{line} imports {module}"
        assert not module.startswith("django.db"), f"{path.name}:{line} imports {module}"


def test_assets_and_the_generation_forms_import_no_circle():
    """assets uses the generation wing's upload helpers; the create forms use assets' selectors.
    Neither reaches for the other's forms."""
    assets_imports = {m for p in (ROOT / "assets").rglob("*.py") for _, m, _ in imports_of(p)}
    assert "gallery.generation.forms" not in assets_imports
    forms_imports = {m for _, m, _ in imports_of(ROOT / "gallery/generation/forms.py")}
    assert not any(m.startswith("assets") and m != "assets.selectors" for m in forms_imports)
