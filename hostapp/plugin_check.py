"""The import rules of a plugin (ARCHITECTURE.md §2), checked on its source with ``ast``.

One engine for the architecture test (the in-repo plugins and every installed one) and for
``scrm plugin check PATH`` (a plugin under development, outside this repository). A plugin's package may import:

* the SDK: ``scrm.sdk`` and its submodules; never ``scrm.core``, ``scrm.hostapp`` or anything else under ``scrm``;
* its own package, at any depth;
* the top-level package of a plugin it lists in ``requires`` (``from scrm_wecom import WeComClient``): the public
  API that package's ``__init__.py`` exports, nothing deeper (``scrm_wecom.client``, or ``from scrm_wecom import
  client`` when ``client`` is a submodule the package does not list in ``__all__``);
* no other plugin's package: plugins that do not require each other cooperate through hooks and events.

A plugin package is any top-level package named ``scrm_*`` or named by an entry point of group ``scrm.plugins``.
Files under ``migrations/versions`` are checked too (they run inside the host like any module).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ENTRY_POINT_GROUP = "scrm.plugins"
SDK = "scrm.sdk"
HOST = "scrm"
SKIPPED_FOLDERS = frozenset({"__pycache__", "build", "dist", ".venv", "venv", ".git", ".tox"})


@dataclass(frozen=True)
class Violation:
    """One import that breaks a rule: where it is (``path``, ``line``), what it imports and why that is refused."""

    path: Path
    line: int
    module: str
    reason: str

    def render(self, root: Path | None = None) -> str:
        """``path:line: imports MODULE: REASON``, the path relative to ``root`` when it lies inside it."""
        path = self.path
        if root is not None:
            try:
                path = self.path.relative_to(root)
            except ValueError:
                pass
        return f"{path.as_posix()}:{self.line}: imports {self.module}: {self.reason}"


@dataclass(frozen=True)
class PluginSource:
    """A plugin's package on disk: its top-level package name, folder and the plugin names it requires."""

    name: str
    package: str
    folder: Path
    requires: tuple[str, ...] = ()


# -- what a package exports -----------------------------------------------------------------------------------------


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def submodules(folder: Path) -> set[str]:
    """Names of the modules and subpackages directly inside the package ``folder``."""
    names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    names.update(p.name for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    return names


def exported_names(folder: Path) -> set[str]:
    """The names listed in ``__all__`` of the package ``folder``'s ``__init__.py`` (empty without one)."""
    init = folder / "__init__.py"
    if not init.exists():
        return set()
    for node in _parse(init).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            try:
                return {str(name) for name in ast.literal_eval(node.value)}
            except ValueError:
                return set()
    return set()


# -- finding plugins --------------------------------------------------------------------------------------------------


def _class_requires(module_path: Path, class_name: str) -> tuple[str, ...]:
    """The literal ``requires = (...)`` of ``class_name`` in ``module_path`` (empty when absent or not literal)."""
    if not module_path.exists():
        return ()
    for node in _parse(module_path).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                target = item.targets[0] if isinstance(item, ast.Assign) and len(item.targets) == 1 else \
                    item.target if isinstance(item, ast.AnnAssign) else None
                if isinstance(target, ast.Name) and target.id == "requires" and item.value is not None:
                    try:
                        return tuple(str(n) for n in ast.literal_eval(item.value))
                    except ValueError:
                        return ()
    return ()


def _module_file(folder: Path, package: str, module: str) -> Path:
    parts = module.split(".")[1:] if module.split(".")[0] == package else module.split(".")
    base = folder.joinpath(*parts) if parts else folder
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _entry_points_of(pyproject: Path) -> dict[str, str]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return dict(data.get("project", {}).get("entry-points", {}).get(ENTRY_POINT_GROUP, {}))


def installed_plugin_packages() -> dict[str, str]:
    """Plugin name -> top-level package, for every entry point of group ``scrm.plugins`` in this environment."""
    return {ep.name: ep.value.split(":")[0].split(".")[0]
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def package_folder(package: str) -> Path | None:
    """Where the installed top-level ``package``'s source lies (None when it is not importable from a folder)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def installed_plugins() -> list[PluginSource]:
    """Every installed plugin package found through its entry points, with the ``requires`` of its classes (read
    from the source, never imported). Several entry points of one package are merged into one source."""
    merged: dict[str, PluginSource] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        module, _, attr = ep.value.partition(":")
        package = module.split(".")[0]
        folder = package_folder(package)
        if folder is None:
            continue
        requires = _class_requires(_module_file(folder, package, module), attr.split(".")[0]) if attr else ()
        known = merged.get(package)
        merged[package] = PluginSource(known.name if known else ep.name, package, folder,
                                       tuple(sorted({*(known.requires if known else ()), *requires})))
    return sorted(merged.values(), key=lambda s: s.package)


def plugins_in(path: Path) -> list[PluginSource]:
    """The plugin packages of a distribution folder ``path`` (its ``pyproject.toml`` entry points, else every
    ``scrm_*`` package in it) or of a package folder itself."""
    path = Path(path).resolve()
    if (path / "__init__.py").exists():
        if (path.parent / "pyproject.toml").exists():
            within = [s for s in plugins_in(path.parent) if s.folder == path]
            if within:
                return within
        return [PluginSource(path.name.removeprefix("scrm_"), path.name, path)]
    pyproject = path / "pyproject.toml"
    found: dict[str, PluginSource] = {}
    if pyproject.exists():
        for name, target in _entry_points_of(pyproject).items():
            module, _, attr = target.partition(":")
            package = module.split(".")[0]
            folder = path / package
            if not (folder / "__init__.py").exists():
                continue
            requires = _class_requires(_module_file(folder, package, module), attr.split(".")[0]) if attr else ()
            known = found.get(package)
            found[package] = PluginSource(known.name if known else name, package, folder,
                                          tuple(sorted({*(known.requires if known else ()), *requires})))
    if not found:
        for folder in sorted(path.glob("scrm_*")):
            if (folder / "__init__.py").exists():
                found[folder.name] = PluginSource(folder.name.removeprefix("scrm_"), folder.name, folder)
    return sorted(found.values(), key=lambda s: s.package)


# -- checking ---------------------------------------------------------------------------------------------------------


def python_files(folder: Path) -> Iterator[Path]:
    """The ``*.py`` files of a package folder, build and cache folders left out."""
    for path in sorted(folder.rglob("*.py")):
        if not SKIPPED_FOLDERS.intersection(path.relative_to(folder).parts):
            yield path


def _imports(tree: ast.Module) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """Absolute imports of a module: (line, module, names taken from it with ``from``; empty for ``import``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, tuple(alias.name for alias in node.names)


class Rules:
    """The import rules for one plugin package, given which packages belong to plugins and which it requires."""

    def __init__(self, source: PluginSource, plugin_packages: Mapping[str, str],
                 package_folders: Mapping[str, Path] | None = None) -> None:
        self.source = source
        #: plugin name -> package of every plugin known (installed ones and the one checked)
        self.plugin_packages = dict(plugin_packages)
        self.plugin_packages.setdefault(source.name, source.package)
        self.package_folders = dict(package_folders or {})
        self.required = {self.plugin_packages.get(name, f"scrm_{name}"): name for name in source.requires}
        self._plugin_package_names = set(self.plugin_packages.values())

    def _is_plugin_package(self, top: str) -> bool:
        return top.startswith("scrm_") or top in self._plugin_package_names

    def _folder_of(self, package: str) -> Path | None:
        if package not in self.package_folders:
            self.package_folders[package] = package_folder(package)
        return self.package_folders[package]

    def check_import(self, module: str, names: tuple[str, ...]) -> str | None:
        """Why importing ``module`` (``names`` from it) breaks a rule, or None when it is allowed."""
        top = module.split(".")[0]
        if top == HOST:
            if module == SDK or module.startswith(SDK + "."):
                return None
            if module == HOST and set(names) <= {"sdk"}:
                return None
            return "plugins import only scrm.sdk from the platform"
        if top == self.source.package or not self._is_plugin_package(top):
            return None
        if top not in self.required:
            owner = next((n for n, p in self.plugin_packages.items() if p == top), top.removeprefix("scrm_"))
            return f"another plugin's package: list '{owner}' in requires and use its public API, or use hooks"
        if module != top:
            return f"deeper than the public API of required plugin '{self.required[top]}': import from {top}"
        folder = self._folder_of(top)
        if folder is not None:
            hidden = sorted((set(names) & submodules(folder)) - exported_names(folder))
            if hidden:
                return (f"submodule {', '.join(hidden)} of required plugin '{self.required[top]}' is not its public "
                        "API (not in its __all__)")
        return None

    def check_file(self, path: Path) -> list[Violation]:
        """The violations in one source file."""
        out = []
        for line, module, names in _imports(_parse(path)):
            reason = self.check_import(module, names)
            if reason:
                shown = f"{module} ({', '.join(names)})" if names and "deeper" not in reason else module
                out.append(Violation(path, line, shown, reason))
        return out

    def check(self) -> list[Violation]:
        """The violations in every source file of the package."""
        return [v for path in python_files(self.source.folder) for v in self.check_file(path)]


def check_sources(sources: Iterable[PluginSource]) -> list[Violation]:
    """Check plugin packages against each other and the installed plugins."""
    sources = list(sources)
    packages = installed_plugin_packages()
    folders = {s.package: s.folder for s in sources}
    for source in sources:
        packages.setdefault(source.name, source.package)
    return [v for source in sources for v in Rules(source, packages, folders).check()]


def check_path(path: Path) -> list[Violation]:
    """Check the plugin distribution (or package) folder ``path``; raises ``ValueError`` when it holds no plugin
    package."""
    sources = plugins_in(path)
    if not sources:
        raise ValueError(f"no plugin package (scrm_* with an __init__.py, or a scrm.plugins entry point) in '{path}'")
    return check_sources(sources)
