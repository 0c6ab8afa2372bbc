"""Jinja filters and tests from installed packages: the ``asyncgen.filters`` entry point group.

A distribution declares, in its ``pyproject.toml``::

    [project.entry-points."asyncgen.filters"]
    acme = "acme_asyncgen.filters"            # a module with FILTERS / TESTS dicts
    acme_more = "acme_asyncgen.more:extensions"  # or a callable returning such a module/dict

Every ``generate`` and ``docs`` run loads every entry point of the group (sorted by
distribution and entry point name) into the template environment, exactly as
``--filters FILE`` loads a file: ``FILTERS`` and ``TESTS``, dicts of name -> callable.
A callable entry point is called without arguments and returns an object with those
attributes or a dict with those keys.

Refused, with the distribution and entry point named: an entry point that cannot be
imported, called or read; a name that is one of asyncgen's or Jinja's built-in filters or
tests (replacing a built-in stays the privilege of an explicit ``--filters`` file);
the same name from two entry points. ``--filters`` wins over an entry point of the same name.

:func:`digest` fingerprints the installed entry points (names, targets, distribution
versions and the bytes of the module files), so an upgraded plugin is a changed input.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import types
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.tests import TESTS as JINJA_TESTS

from asyncgen.errors import TemplateError
from asyncgen.filters import FILTERS

GROUP = "asyncgen.filters"

Extensions = tuple[dict[str, Callable[..., Any]], dict[str, Callable[..., Any]]]


def _installed() -> list[EntryPoint]:
    found = entry_points(group=GROUP)
    return sorted(found, key=lambda ep: (_dist_name(ep), ep.name, ep.value))


def _dist_name(ep: EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "?"


def _where(ep: EntryPoint) -> str:
    version = ep.dist.version if ep.dist is not None else "?"
    return (
        f"entry point {ep.name!r} = {ep.value!r} of distribution {_dist_name(ep)} {version} (group {GROUP})"
    )


def read_extensions(source: Any, where: str) -> Extensions:
    """``FILTERS`` / ``TESTS`` of a module, an object or a dict; :class:`TemplateError` naming ``where``."""
    found: list[dict[str, Callable[..., Any]]] = []
    for attribute in ("FILTERS", "TESTS"):
        value = source.get(attribute, {}) if isinstance(source, Mapping) else getattr(source, attribute, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and callable(v) for k, v in value.items()
        ):
            raise TemplateError(f"{where}: {attribute} must be a dict of name -> callable")
        found.append(dict(value))
    if not found[0] and not found[1]:
        raise TemplateError(f"{where}: defines neither FILTERS nor TESTS")
    return found[0], found[1]


def installed() -> list[EntryPoint]:
    """The installed entry points of the group (sorted), for :func:`load` and :func:`digest`
    (listing them scans every installed distribution: a run lists them once)."""
    return _installed()


def load(eps: list[EntryPoint] | None = None) -> tuple[Extensions, str] | None:
    """The filters and tests of every installed entry point (``eps``: :func:`installed` of this
    run), and their :func:`digest`; None if none."""
    eps = _installed() if eps is None else eps
    if not eps:
        return None
    filters: dict[str, Callable[..., Any]] = {}
    tests: dict[str, Callable[..., Any]] = {}
    owner: dict[tuple[str, str], str] = {}
    builtin = {"filter": set(FILTERS) | set(JINJA_FILTERS), "test": set(JINJA_TESTS)}
    for ep in eps:
        where = _where(ep)
        try:
            target = ep.load()
        except Exception as err:
            raise TemplateError(f"{where}: loading it failed: {type(err).__name__}: {err}") from None
        if callable(target) and not isinstance(target, (types.ModuleType, type)):
            try:
                target = target()
            except Exception as err:
                raise TemplateError(f"{where}: calling it failed: {type(err).__name__}: {err}") from None
        new_filters, new_tests = read_extensions(target, where)
        for kind, new, into in (("filter", new_filters, filters), ("test", new_tests, tests)):
            for name, function in new.items():
                if name in builtin[kind]:
                    raise TemplateError(
                        f"{where}: {kind} {name!r} is a built-in {kind}; pick another name "
                        f"(to replace a built-in on purpose, use --filters FILE)"
                    )
                if (kind, name) in owner:
                    raise TemplateError(f"{where}: {kind} {name!r} is also defined by {owner[kind, name]}")
                owner[kind, name] = where
                into[name] = function
    return (filters, tests), digest(eps) or ""


def digest(eps: list[EntryPoint] | None = None) -> str | None:
    """Fingerprint of the installed entry points, without importing them (None when there are none)."""
    eps = _installed() if eps is None else eps
    if not eps:
        return None
    parts = []
    for ep in eps:
        module = ep.value.partition(":")[0].strip()
        parts.append(
            [_dist_name(ep), ep.dist.version if ep.dist else "", ep.name, ep.value, _module_bytes(module)]
        )
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


def _module_bytes(module: str) -> str:
    loaded = sys.modules.get(module)
    origin = getattr(loaded, "__file__", None)
    if origin is None:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            return "not found"
        origin = spec.origin if spec is not None else None
    try:
        with open(origin or "", "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return "unreadable"
