"""``scrm plugin new NAME``: a third-party plugin distribution that installs and whose tests pass.

The files come from ``scaffold_template/`` next to this module: every ``*.tmpl`` file is copied with its suffix
dropped, and the tokens ``__NAME__``, ``__PACKAGE__``, ``__DISTRIBUTION__``, ``__CAMEL__``, ``__TITLE__`` and
``__DATE__`` are replaced in file contents and paths alike (``gitignore`` becomes ``.gitignore``).

``scrm plugin new NAME --channel`` lays the files of ``scaffold_template/_channel/`` over those: a channel plugin
(account settings model, capabilities and rate limit, ``deliver`` through the platform's outbound path, a signed
callback handler storing through the inbox, delivery reports moving the ledger, a sandbox of its provider, and tests
for all of it). An overlay file replaces the plain file of the same path; a ``*.append.tmpl`` file is added to the
end of the plain one.
"""

from __future__ import annotations

import importlib.metadata
import keyword
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scrm.core.models import CORE_TABLES

TEMPLATE_ROOT = Path(__file__).parent / "scaffold_template"
TEMPLATE_SUFFIX = ".tmpl"
APPEND_SUFFIX = ".append.tmpl"
#: the folder (inside ``TEMPLATE_ROOT``) of the channel overlay
CHANNEL_OVERLAY = "_channel"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
#: names the host uses for its own URLs, blueprints or packages
RESERVED_NAMES = frozenset({"host", "core", "api", "admin", "static", "t", "callbacks", "auth", "tenant", "scrm",
                            "sdk", "hostapp", "alembic"})
#: template files written under another name (dotfiles would not be shipped as package data)
RENAMED = {"gitignore": ".gitignore"}
_LEFTOVER_TOKEN = re.compile(r"__[A-Z]+__")


@dataclass(frozen=True)
class PluginNames:
    """Every spelling of a plugin name the scaffold writes: ``loyalty`` gives the package ``scrm_loyalty``, the
    distribution ``scrm-loyalty``, classes ``LoyaltyPlugin`` / ``LoyaltyItem`` and the title ``Loyalty``."""

    name: str

    @property
    def package(self) -> str:
        return f"scrm_{self.name}"

    @property
    def distribution(self) -> str:
        return f"scrm-{self.name.replace('_', '-')}"

    @property
    def camel(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()

    def tokens(self, today: date) -> dict[str, str]:
        return {"__NAME__": self.name, "__PACKAGE__": self.package, "__DISTRIBUTION__": self.distribution,
                "__CAMEL__": self.camel, "__TITLE__": self.title, "__DATE__": today.isoformat()}


def installed_plugin_names() -> set[str]:
    """Names of the plugins installed in this environment (entry points of group ``scrm.plugins``)."""
    return {ep.name for ep in importlib.metadata.entry_points(group="scrm.plugins")}


def _shares_prefix(name: str, other: str) -> bool:
    """Whether tables named ``<name>_...`` and ``<other>_...`` (or the table ``other``) could be mistaken for each
    other: a plugin's migration lineage owns every table that starts with ``<plugin>_``."""
    return name == other or name.startswith(f"{other}_") or other.startswith(f"{name}_")


def validate_name(name: str, installed: Iterable[str] | None = None) -> None:
    """Raise ``ValueError`` (one line) unless ``name`` can name a new plugin.

    A name is a lowercase Python identifier matching ``^[a-z][a-z0-9_]{1,30}$`` that ends with a letter or digit,
    is not a Python keyword, not reserved by the host, and shares no table prefix with a core table or an installed
    plugin (``installed`` defaults to the plugins installed in this environment).
    """
    if not NAME_PATTERN.match(name):
        raise ValueError(f"plugin name '{name}' must be 2 to 31 lowercase letters, digits or underscores, "
                         "starting with a letter")
    if name.endswith("_") or "__" in name:
        raise ValueError(f"plugin name '{name}' must not end with '_' or contain '__'")
    if keyword.iskeyword(name):
        raise ValueError(f"plugin name '{name}' is a Python keyword")
    if name in RESERVED_NAMES:
        raise ValueError(f"plugin name '{name}' is reserved by the host")
    for table in sorted(CORE_TABLES):
        if _shares_prefix(name, table):
            raise ValueError(f"plugin name '{name}' clashes with the core table '{table}'")
    for plugin in sorted(installed_plugin_names() if installed is None else installed):
        if name == plugin:
            raise ValueError(f"a plugin named '{name}' is already installed")
        if _shares_prefix(name, plugin):
            raise ValueError(f"plugin name '{name}' shares the table prefix of the installed plugin '{plugin}'")


def _templates(root: Path, skip: str | None = None) -> list[tuple[Path, Path]]:
    """(file, path relative to ``root``) of every template under ``root``, the folder ``skip`` left out."""
    out = []
    for source in sorted(root.rglob(f"*{TEMPLATE_SUFFIX}")):
        relative = source.relative_to(root)
        if skip is None or relative.parts[0] != skip:
            out.append((source, relative))
    return out


def render(names: PluginNames, today: date | None = None, *, channel: bool = False) -> dict[Path, str]:
    """The files of the distribution for ``names``: relative path -> text; with ``channel``, the channel plugin."""
    tokens = names.tokens(today or date.today())

    def fill(text: str) -> str:
        for token, value in tokens.items():
            text = text.replace(token, value)
        return text

    layers = [_templates(TEMPLATE_ROOT, skip=CHANNEL_OVERLAY)]
    if channel:
        layers.append(_templates(TEMPLATE_ROOT / CHANNEL_OVERLAY))
    files: dict[Path, str] = {}
    for layer in layers:
        for source, relative in layer:
            appended = relative.name.endswith(APPEND_SUFFIX)
            suffix = APPEND_SUFFIX if appended else TEMPLATE_SUFFIX
            parts = [RENAMED.get(part, part) for part in fill(relative.as_posix()).removesuffix(suffix).split("/")]
            text = fill(source.read_text(encoding="utf-8"))
            leftover = _LEFTOVER_TOKEN.search(text) or _LEFTOVER_TOKEN.search("/".join(parts))
            if leftover:
                raise RuntimeError(f"scaffold template {relative} has an unknown token {leftover.group()}")
            path = Path(*parts)
            files[path] = files.get(path, "").rstrip("\n") + "\n\n" + text if appended else text
    if not files:
        raise RuntimeError(f"no scaffold templates in {TEMPLATE_ROOT}")
    return files


def scaffold(name: str, directory: Path, *, channel: bool = False) -> Path:
    """Write the distribution of a new plugin ``name`` (a channel plugin with ``channel``) into
    ``directory/scrm-<name>/`` and return that folder.

    Raises ``ValueError`` (one line, nothing written) for a bad or taken name, a missing ``directory`` or an existing
    target folder. The result installs with ``pip install -e``, passes ``ruff check`` and its own tests.
    """
    validate_name(name)
    names = PluginNames(name)
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"folder '{directory}' does not exist")
    target = directory / names.distribution
    if target.exists():
        raise ValueError(f"'{target}' already exists")
    files = render(names, channel=channel)
    try:
        target.mkdir()
    except FileExistsError:
        raise ValueError(f"'{target}' already exists") from None
    try:
        for relative, text in files.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
