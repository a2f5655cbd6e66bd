"""Maps the top-level folders onto the ``scrm`` package: scrm.core <- core/, scrm.hostapp <- hostapp/, scrm.sdk <- sdk/."""

from pathlib import Path

from setuptools import setup

ROOTS = {"scrm.core": "core", "scrm.hostapp": "hostapp", "scrm.sdk": "sdk"}


def _packages() -> tuple[list[str], dict[str, str]]:
    packages, package_dir = [], {}
    for package, folder in ROOTS.items():
        for init in sorted(Path(folder).rglob("__init__.py")):
            rel = init.parent.relative_to(folder)
            name = ".".join([package, *rel.parts]) if rel.parts else package
            packages.append(name)
            package_dir[name] = init.parent.as_posix()
    return packages, package_dir


packages, package_dir = _packages()
setup(packages=packages, package_dir=package_dir)
