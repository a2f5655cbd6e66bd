"""Discovery and validation of installed plugins.

Entry points of group ``scrm.plugins`` are filtered by ``plugins.toml``. A plugin that fails validation is blocked
with a stated reason and the host starts without it: incompatible ``api`` specifier, version outside the manifest's
range, missing or blocked requirement, duplicate name, unknown hook, hook arguments the spec does not have, import
error.
"""

from __future__ import annotations

import importlib.metadata
import logging
import traceback
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from ..messages import N_, Message
from . import hookspecs
from .base import Plugin
from .manifest import Manifest

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "scrm.plugins"


class PluginStatus:
    ACTIVE = "active"
    BLOCKED = "blocked"
    NOT_LISTED = "not_listed"
    MISSING = "missing"


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass
class PluginRecord:
    """What the host knows of one plugin: its metadata, status and, when blocked, why."""

    name: str
    status: str
    reason: str = ""
    #: the reason as a message the host translates (``reason`` is its English text, for logs, the CLI and the API)
    reason_message: Message | None = None
    distribution: str | None = None
    version: str = ""
    plugin: Plugin | None = None
    builtin: bool = False
    failures: deque = field(default_factory=lambda: deque(maxlen=20))

    @property
    def active(self) -> bool:
        return self.status == PluginStatus.ACTIVE

    @property
    def title(self) -> str:
        return (self.plugin.title if self.plugin else "") or self.name

    @property
    def category(self) -> str:
        return self.plugin.category if self.plugin else ""

    @property
    def description(self) -> str:
        return self.plugin.description if self.plugin else ""

    @property
    def requires(self) -> tuple[str, ...]:
        return tuple(self.plugin.requires) if self.plugin else ()


@dataclass(frozen=True)
class Candidate:
    """A plugin class offered to the registry: from an entry point, or given directly (tests, built-ins)."""

    name: str
    load: Any  # callable returning the plugin class
    distribution: str | None = None
    builtin: bool = False


def _entry_point_candidates() -> list[Candidate]:
    out = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else None
        out.append(Candidate(ep.name, ep.load, dist))
    return out


def implemented_hooks(plugin: object) -> list[str]:
    """Names of the attributes of ``plugin`` marked as hook implementations."""
    names = []
    for attr in dir(plugin):
        try:
            value = getattr(plugin, attr)
        except Exception:  # pragma: no cover - property that fails
            continue
        if callable(value) and getattr(value, f"{hookspecs.PROJECT}_impl", None) is not None:
            names.append(attr)
    return sorted(names)


class PluginRegistry:
    """The plugin manager of one application and the records of every plugin it saw."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}

    # -- loading -----------------------------------------------------------------------------------------------------

    def load(self, candidates: Iterable[Candidate] | None = None, builtins: Iterable[Candidate] = ()) -> None:
        """Validate and register ``builtins`` (always active) and ``candidates`` (default: installed entry points)."""
        for candidate in builtins:
            plugin = candidate.load()(candidate.name, candidate.distribution)
            self.pm.register(plugin, name=candidate.name)
            version = plugin.version if candidate.distribution else ""
            self.records[candidate.name] = PluginRecord(
                candidate.name, PluginStatus.ACTIVE, distribution=candidate.distribution, version=version,
                plugin=plugin, builtin=True,
            )
        seen: dict[str, PluginRecord] = {}
        for candidate in _entry_point_candidates() if candidates is None else candidates:
            record = self._validate(candidate, seen)
            if record is not None:
                seen[record.name] = record
        for name in self.manifest.entries:
            if name not in seen:
                seen[name] = PluginRecord(name, PluginStatus.MISSING, "listed in plugins.toml but not installed")
        self._check_requirements(seen)
        for record in seen.values():
            if record.status == PluginStatus.ACTIVE:
                self._register(record)
        self.records.update(seen)

    def _block(self, record: PluginRecord, reason: Message) -> PluginRecord:
        record.status, record.reason, record.reason_message = PluginStatus.BLOCKED, str(reason), reason
        log.warning("plugin %s blocked: %s", record.name, reason)
        return record

    def _validate(self, candidate: Candidate, seen: dict[str, PluginRecord]) -> PluginRecord | None:
        name = candidate.name
        record = PluginRecord(name, PluginStatus.ACTIVE, distribution=candidate.distribution)
        if candidate.distribution:
            try:
                record.version = importlib.metadata.version(candidate.distribution)
            except importlib.metadata.PackageNotFoundError:
                record.version = ""
        if not self.manifest.allows(name):
            record.reason_message = Message(N_("installed but not listed in plugins.toml"))
            record.status, record.reason = PluginStatus.NOT_LISTED, str(record.reason_message)
            return record if name not in seen else None
        if name in seen or name in self.records:
            other = seen.get(name) or self.records[name]
            self._block(other, Message(N_("duplicate plugin name '%(name)s' (distributions %(first)s and %(second)s)"),
                                       {"name": name, "first": other.distribution, "second": candidate.distribution}))
            if other.plugin is not None and self.pm.is_registered(other.plugin):
                self.pm.unregister(other.plugin)
            return None
        try:
            cls = candidate.load()
        except Exception as exc:
            return self._block(record, Message(N_("import error: %(error)s"), {"error": _error(exc)}))
        if not (isinstance(cls, type) and issubclass(cls, Plugin)):
            return self._block(record, Message(N_("entry point is not a scrm.sdk.Plugin subclass")))
        try:
            record.plugin = cls(name, candidate.distribution)
        except Exception as exc:
            return self._block(record, Message(N_("could not be created: %(error)s"), {"error": _error(exc)}))
        wanted = self.manifest.entries[name].version
        if record.version and wanted and Version(record.version) not in wanted:
            return self._block(record, Message(N_("version %(version)s is outside '%(wanted)s' required by plugins.toml"),
                                               {"version": record.version, "wanted": str(wanted)}))
        try:
            api = SpecifierSet(cls.api)
        except InvalidSpecifier:
            return self._block(record, Message(N_("invalid api specifier '%(api)s'"), {"api": cls.api}))
        if Version(hookspecs.HOOK_API_VERSION) not in api:
            return self._block(record, Message(N_("needs hook API '%(api)s', the host provides %(host)s"),
                                               {"api": cls.api, "host": hookspecs.HOOK_API_VERSION}))
        known = set(hookspecs.hook_names())
        unknown = [h for h in implemented_hooks(record.plugin) if h not in known]
        if unknown:
            return self._block(record, Message(N_("unknown hook(s): %(hooks)s"), {"hooks": ", ".join(unknown)}))
        return record

    def _check_requirements(self, records: dict[str, PluginRecord]) -> None:
        changed = True
        while changed:
            changed = False
            for record in records.values():
                if record.status != PluginStatus.ACTIVE:
                    continue
                for req in record.requires:
                    dep = records.get(req) or self.records.get(req)
                    if dep is None or dep.status != PluginStatus.ACTIVE:
                        if dep is None:
                            reason = Message(N_("requires plugin '%(name)s', which is not installed"), {"name": req})
                        else:
                            reason = Message(N_("requires plugin '%(name)s', which is %(state)s"),
                                             {"name": req, "state": dep.status.replace("_", " ")})
                        self._block(record, reason)
                        changed = True
                        break

    def _register(self, record: PluginRecord) -> None:
        try:
            record.plugin.import_jobs()
        except Exception as exc:
            self._block(record, Message(N_("import error in its jobs: %(error)s"), {"error": _error(exc)}))
            return
        try:
            self.pm.register(record.plugin, name=record.name)
        except pluggy.PluginValidationError as exc:
            self._block(record, Message(N_("invalid hook implementation: %(error)s"), {"error": str(exc)}))
        except Exception as exc:  # pragma: no cover - defensive
            self._block(record, Message(N_("registration failed: %(error)s"),
                                        {"error": f"{exc}\n{traceback.format_exc(limit=2)}"}))

    # -- queries -----------------------------------------------------------------------------------------------------

    def get(self, name: str) -> PluginRecord | None:
        return self.records.get(name)

    def plugin(self, name: str) -> Plugin | None:
        record = self.records.get(name)
        return record.plugin if record and record.active else None

    def active(self, include_builtin: bool = False) -> list[PluginRecord]:
        return [r for r in self.records.values() if r.active and (include_builtin or not r.builtin)]

    def builtin_names(self) -> frozenset[str]:
        return frozenset(n for n, r in self.records.items() if r.builtin)

    def hooks_of(self, name: str) -> list[str]:
        record = self.records.get(name)
        return implemented_hooks(record.plugin) if record and record.plugin else []

    def record_failure(self, name: str, message: str) -> None:
        record = self.records.get(name)
        if record is not None:
            record.failures.append(message)

    def plugin_for_module(self, module: str) -> str | None:
        """The name of the active plugin whose package holds ``module``."""
        for record in self.records.values():
            if record.plugin is None or record.builtin:
                continue
            root = type(record.plugin).__module__.split(".")[0]
            if module == root or module.startswith(root + "."):
                return record.name
        return None
