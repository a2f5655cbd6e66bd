"""``plugins.toml``: which plugins load, their version ranges, and which are enabled for new tenants.

```toml
[plugins.members]
version = ">=0.1,<1"          # optional PEP 440 specifier on the installed distribution
default_enabled = true         # enable for tenants created from now on
```
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet


class ManifestError(ValueError):
    """plugins.toml is malformed."""


@dataclass(frozen=True)
class ManifestEntry:
    name: str
    version: SpecifierSet = field(default_factory=SpecifierSet)
    default_enabled: bool = False


@dataclass(frozen=True)
class Manifest:
    entries: dict[str, ManifestEntry]
    path: Path | None = None

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.exists():
            return cls(entries={}, path=path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ManifestError(f"{path}: {exc}") from exc
        return cls.from_dict(data, path)

    @classmethod
    def from_dict(cls, data: dict, path: Path | None = None) -> Manifest:
        entries = {}
        for name, spec in (data.get("plugins") or {}).items():
            if not isinstance(spec, dict):
                raise ManifestError(f"[plugins.{name}] must be a table")
            try:
                version = SpecifierSet(spec.get("version", ""))
            except InvalidSpecifier as exc:
                raise ManifestError(f"[plugins.{name}] version: {exc}") from exc
            entries[name] = ManifestEntry(name, version, bool(spec.get("default_enabled", False)))
        return cls(entries=entries, path=path)

    def allows(self, name: str) -> bool:
        return name in self.entries

    def default_enabled(self) -> list[str]:
        return [e.name for e in self.entries.values() if e.default_enabled]
