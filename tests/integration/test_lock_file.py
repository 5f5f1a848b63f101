"""The locks are up to date with their inputs, and the venv holds what they pin.

requirements.in / requirements-dev.in are edited by hand; requirements.txt (what `chalice package`
ships) and requirements-dev.txt (what the venv holds) are generated from them by `make lock`.
These checks read files and the venv's own metadata only (no index, well under a second), so a
lock that no longer fits its input fails `make test` with the way out in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
APP_IN, APP_LOCK = ROOT / "requirements.in", ROOT / "requirements.txt"
DEV_IN, DEV_LOCK = ROOT / "requirements-dev.in", ROOT / "requirements-dev.txt"
RELOCK = "the lock is out of date with its input: run `make lock` (docs/deploy.md, 'Dependencies')"


@dataclass
class Pin:
    version: str
    hashes: set[str] = field(default_factory=set)


def read_lock(path: Path) -> dict[str, Pin]:
    """`name==version --hash=...` entries of a pip-compile output, by canonical name."""
    pins: dict[str, Pin] = {}
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry or entry.startswith("-"):
            continue
        requirement, *options = entry.split()
        name, sep, version = requirement.partition("==")
        assert sep and "[" not in name, f"{path.name}: {requirement!r} is not a plain pin"
        pins[canonicalize_name(name)] = Pin(version, {o.removeprefix("--hash=") for o in options if o.startswith("--hash=")})
    return pins


def read_input(path: Path) -> list[Requirement]:
    """The requirements of an input file and of the files it includes with -r (not its -c constraints)."""
    found: list[Requirement] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry.startswith("-r"):
            found += read_input(path.parent / entry[2:].strip())
        elif entry and not entry.startswith("-"):
            found.append(Requirement(entry))
    return found


def installed(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def venv_differences() -> list[str]:
    return [f"{name}: locked {pin.version}, installed {installed(name)}"
            for name, pin in read_lock(DEV_LOCK).items() if installed(name) != pin.version]


def closure(requirements: list[Requirement]) -> dict[str, list[tuple[SpecifierSet, str]]]:
    """Every distribution the requirements need here (CPython 3.11 on Linux, as in Lambda), with what
    each dependent asks of it, read from the installed metadata (so only once the venv is the lock's)."""
    if venv_differences():
        pytest.skip("the venv differs from requirements-dev.txt, so its metadata says nothing of the lock "
                    "(test_the_venv_holds_exactly_the_pinned_versions)")
    needed: dict[str, list[tuple[SpecifierSet, str]]] = {}
    todo = [(r, "the input") for r in requirements]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement, wanted_by = todo.pop()
        name = canonicalize_name(requirement.name)
        needed.setdefault(name, []).append((requirement.specifier, wanted_by))
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue  # not locked: the caller reports it
        for dependency in map(Requirement, requires):
            extras = {"", *requirement.extras}
            if dependency.marker is None or any(dependency.marker.evaluate({"extra": e}) for e in extras):
                todo.append((dependency, name))
    return needed


LOCKS = [pytest.param(APP_IN, APP_LOCK, id="app"), pytest.param(DEV_IN, DEV_LOCK, id="dev")]


@pytest.mark.parametrize(("source", "lock"), LOCKS)
def test_every_input_is_pinned_within_its_range(source: Path, lock: Path):
    pins = read_lock(lock)
    wrong = []
    for requirement in read_input(source):
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None or not requirement.specifier.contains(pin.version, prereleases=True):
            wrong.append(f"{requirement} (locked: {pin.version if pin else 'missing'})")
    assert not wrong, f"{lock.name}: {RELOCK}: {wrong}"


@pytest.mark.parametrize(("source", "lock"), LOCKS)
def test_the_lock_holds_what_its_input_needs_and_nothing_else(source: Path, lock: Path):
    pins = read_lock(lock)
    needed = closure(read_input(source))
    missing = sorted(set(needed) - set(pins))
    unused = sorted(set(pins) - set(needed))
    assert not missing, f"{lock.name}: {RELOCK}: not locked: {missing}"
    assert not unused, f"{lock.name}: {RELOCK}: locked but needed by nothing: {unused}"


@pytest.mark.parametrize(("source", "lock"), LOCKS)
def test_every_pin_satisfies_what_its_dependents_ask_of_it(source: Path, lock: Path):
    pins = read_lock(lock)
    clashes = [f"{name}=={pins[name].version}, but {dependent} asks for {name}{specifier}"
               for name, asked in closure(read_input(source)).items() if name in pins
               for specifier, dependent in asked
               if not specifier.contains(pins[name].version, prereleases=True)]
    assert not clashes, f"{lock.name}: {RELOCK}: {clashes}"


@pytest.mark.parametrize("lock", [APP_LOCK, DEV_LOCK], ids=["app", "dev"])
def test_every_pin_is_exact_and_hashed(lock: Path):
    unhashed = [name for name, pin in read_lock(lock).items() if not pin.hashes]
    assert not unhashed, f"{lock.name}: pins without --hash (pip --require-hashes refuses them): {unhashed}"


def test_the_tests_run_the_versions_that_chalice_ships():
    app, dev = read_lock(APP_LOCK), read_lock(DEV_LOCK)
    differing = [f"{name}: app {pin.version}, dev {dev[name].version if name in dev else 'missing'}"
                 for name, pin in app.items() if name not in dev or dev[name] != pin]
    assert not differing, f"requirements-dev.txt must pin the app's packages as requirements.txt does; {RELOCK}: {differing}"


def test_the_venv_holds_exactly_the_pinned_versions():
    """What the tests import is what the locks say: catches a lock changed without `make setup`."""
    stale = venv_differences()
    assert not stale, f"the venv differs from requirements-dev.txt: run `make setup`: {stale}"
