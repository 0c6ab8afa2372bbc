"""Template sets: the manifest (``template.yaml``), typed parameters, project config.

A set is a directory with ``template.yaml``::

    name: service
    description: Runnable FastStream/FastAPI service
    autoescape: false            # true for HTML sets (docs)
    context: asyncgen.context:build_context   # default; "none" = only the engine's keys
    params:
      - {name: python_version, type: choice, default: "3.11", choices: ["3.11", "3.12"]}
    files:
      - template: pyproject.toml.j2
        path: pyproject.toml       # a Jinja string rendered with the context
        ownership: generated       # generated | user
        when: "api.operations"     # optional Jinja expression; falsy = skip
        foreach: "api.channels"    # optional; one file per item (``item`` in the context)
        depends_on: item           # optional (foreach only): the file reads only ``item`` (not
                                   # its source locations), params and templates -> per-item
                                   # incremental regeneration

With ``--templates DIR`` the lookup chain is DIR first, then the built-in set: a file
in DIR (the manifest too) replaces the built-in file of the same relative path. A DIR
with its own ``template.yaml`` and no built-in set of that name is a set of its own.

Parameters come from, lowest priority first: the manifest defaults, ``[tool.asyncgen]``
in ``pyproject.toml`` next to the spec, ``asyncgen.yaml`` next to the spec, ``-p``.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from asyncgen.errors import AsyncgenError
from asyncgen.resources import MANIFEST_NAME, builtin_set_dir, builtin_sets

PARAM_TYPES = ("str", "int", "bool", "choice")
OWNERSHIPS = ("generated", "user")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
CONFIG_KEYS = ("params", "map_url", "templates", "package", "server", "role", "formatter")


class TemplateSetError(AsyncgenError):
    """A template set, its manifest, or a parameter value is not usable."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str = "str"
    default: Any = None
    description: str = ""
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        text = f"{self.name} ({self.type}, default {self.default!r})"
        if self.choices:
            text += f" one of {', '.join(self.choices)}"
        if self.description:
            text += f": {self.description}"
        return text

    def convert(self, value: Any, source: str) -> Any:
        """``value`` (a ``-p`` string or a config value) as this parameter's type."""
        try:
            return self._convert(value, source)
        except TemplateSetError as err:
            raise TemplateSetError(f"{err.message}\n  accepted: {self.describe()}") from None

    def _convert(self, value: Any, source: str) -> Any:
        bad = f"parameter {self.name!r} from {source}: {value!r} is not a valid {self.type}"
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise TemplateSetError(f"{bad}; accepted: {'/'.join(_TRUE)} or {'/'.join(_FALSE)}")
        if self.type == "int":
            if isinstance(value, bool):
                raise TemplateSetError(bad)
            if isinstance(value, int):
                return value
            try:
                return int(str(value).strip())
            except ValueError:
                raise TemplateSetError(bad) from None
        if isinstance(value, (dict, list)) or value is None:
            raise TemplateSetError(bad)
        text = str(value)
        if self.type == "choice" and text not in self.choices:
            raise TemplateSetError(
                f"parameter {self.name!r} from {source}: {text!r} is not allowed; "
                f"choose one of: {', '.join(self.choices)}"
            )
        return text


@dataclass(frozen=True)
class FileEntry:
    template: str
    path: str
    ownership: str = "generated"
    when: str | None = None
    foreach: str | None = None
    depends_on: str = "spec"  # "spec" | "item"
    index: int = 0

    def describe(self) -> str:
        return f"files[{self.index}] (template {self.template!r}, path {self.path!r})"


@dataclass(frozen=True)
class TemplateSet:
    name: str
    description: str
    params: tuple[ParamSpec, ...]
    files: tuple[FileEntry, ...]
    #: the lookup chain, user directory first
    search_path: tuple[Path, ...]
    #: the set's own (built-in or standalone) directory: the ``builtin:`` prefix
    base_dir: Path
    autoescape: bool = False
    user_dir: Path | None = None
    #: "asyncgen.<module>:<function>" building the context, "none" for the minimal one
    context: str | None = None

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def resolve_params(self, *layers: tuple[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Defaults overlaid with ``(source name, values)`` layers, lowest priority first."""
        values = {p.name: p.default for p in self.params}
        for source, layer in layers:
            for name, raw in layer.items():
                spec = self.param(name)
                if spec is None:
                    accepted = "\n  ".join(p.describe() for p in self.params) or "(none)"
                    raise TemplateSetError(
                        f"unknown parameter {name!r} from {source} for template set {self.name!r}; "
                        f"accepted parameters:\n  {accepted}"
                    )
                values[name] = spec.convert(raw, source)
        return values

    def template_files(self) -> dict[str, Path]:
        """Every file the chain can serve (relative name -> path), first directory winning."""
        found: dict[str, Path] = {}
        for directory in self.search_path:
            for path in sorted(directory.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    found.setdefault(path.relative_to(directory).as_posix(), path)
        return dict(sorted(found.items()))

    def fingerprint(self) -> str:
        """sha256 over the names and bytes of every file in the chain (templates + manifest)."""
        digest = hashlib.sha256()
        for name, path in self.template_files().items():
            digest.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()


#: libyaml's parser when PyYAML has it (the same constructor and resolver: the same data;
#: template.yaml in pure Python cost ~10 ms of every run)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # a safe loader (see _LOADER)
    except (OSError, yaml.YAMLError) as err:
        raise TemplateSetError(f"{path}: cannot read: {err}") from None


def _param(raw: Any, where: str) -> ParamSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise TemplateSetError(f"{where}: a parameter needs at least 'name'")
    ptype = str(raw.get("type", "str"))
    if ptype not in PARAM_TYPES:
        raise TemplateSetError(f"{where}: type {ptype!r} is not one of {', '.join(PARAM_TYPES)}")
    choices = tuple(str(c) for c in raw.get("choices") or ())
    if ptype == "choice" and not choices:
        raise TemplateSetError(f"{where}: a 'choice' parameter needs 'choices'")
    spec = ParamSpec(raw["name"], ptype, None, str(raw.get("description") or ""), choices)
    default = raw.get("default")
    if default is not None:
        default = spec.convert(default, f"{where} default")
    elif ptype == "bool":
        default = False
    return ParamSpec(spec.name, ptype, default, spec.description, choices)


def _entry(raw: Any, index: int, where: str) -> FileEntry:
    here = f"{where}: files[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("template"), str):
        raise TemplateSetError(f"{here}: needs 'template' (and 'path')")
    ownership = str(raw.get("ownership", "generated"))
    if ownership not in OWNERSHIPS:
        raise TemplateSetError(f"{here}: ownership {ownership!r} is not one of {', '.join(OWNERSHIPS)}")
    depends_on = str(raw.get("depends_on", "spec"))
    if depends_on not in ("spec", "item") or (depends_on == "item" and not raw.get("foreach")):
        raise TemplateSetError(f"{here}: depends_on is 'spec' (default) or 'item' (with foreach)")
    unknown = set(raw) - {"template", "path", "ownership", "when", "foreach", "depends_on"}
    if unknown:
        raise TemplateSetError(f"{here}: unknown keys {', '.join(sorted(unknown))}")
    return FileEntry(
        template=raw["template"],
        path=str(raw.get("path") or raw["template"].removesuffix(".j2")),
        ownership=ownership,
        when=raw.get("when"),
        foreach=raw.get("foreach"),
        depends_on=depends_on,
        index=index,
    )


def parse_manifest(
    data: Any, where: str, search_path: tuple[Path, ...], base_dir: Path, user_dir: Path | None
) -> TemplateSet:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise TemplateSetError(f"{where}: a template set manifest needs 'name' and 'files'")
    params = tuple(_param(p, f"{where}: params[{i}]") for i, p in enumerate(data.get("params") or ()))
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise TemplateSetError(f"{where}: parameter names repeat: {names}")
    files = tuple(_entry(f, i, where) for i, f in enumerate(data.get("files") or ()))
    autoescape = data.get("autoescape", False)
    return TemplateSet(
        name=data["name"],
        description=str(data.get("description") or ""),
        params=params,
        files=files,
        search_path=search_path,
        base_dir=base_dir,
        autoescape=bool(autoescape) and str(autoescape).lower() not in ("false", "no", "0"),
        user_dir=user_dir,
        context=str(data["context"]) if data.get("context") is not None else None,
    )


def load_set(name: str | Path = "service", templates_dir: Path | None = None) -> TemplateSet:
    """The template set ``name`` (a built-in name or a set directory), with ``templates_dir`` on top."""
    if isinstance(name, Path) or ("/" in name or "\\" in name):
        given = Path(name)
        if not (given / MANIFEST_NAME).is_file():
            raise TemplateSetError(f"{given}: not a template set (no {MANIFEST_NAME})")
        base: Path | None = given
    else:
        base = builtin_set_dir(name)
    user = Path(templates_dir) if templates_dir is not None else None
    if user is not None and not user.is_dir():
        raise TemplateSetError(f"--templates {user}: not a directory")
    if base is None:
        if user is not None and (user / MANIFEST_NAME).is_file():
            base, user = user, None  # a standalone set of the user's own
        else:
            known = ", ".join(builtin_sets()) or "(none installed)"
            raise TemplateSetError(f"unknown template set {str(name)!r}; built-in sets: {known}")
    chain: tuple[Path, ...] = (user, base) if user is not None else (base,)
    manifest = next(d / MANIFEST_NAME for d in chain if (d / MANIFEST_NAME).is_file())
    return parse_manifest(_load_yaml(manifest), str(manifest), chain, base, user)


@dataclass(frozen=True)
class ProjectConfig:
    """Settings from ``[tool.asyncgen]`` / ``asyncgen.yaml`` next to the spec (CLI wins)."""

    params: dict[str, Any] = field(default_factory=dict)
    map_url: tuple[tuple[str, Path], ...] = ()
    templates: Path | None = None
    package: str | None = None
    server: str | None = None
    role: str | None = None
    formatter: str | None = None
    sources: tuple[str, ...] = ()


def _config_layer(data: Any, where: Path) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TemplateSetError(f"{where}: asyncgen settings must be a mapping")
    unknown = set(data) - set(CONFIG_KEYS)
    if unknown:
        raise TemplateSetError(
            f"{where}: unknown keys {', '.join(sorted(unknown))}; accepted: {', '.join(CONFIG_KEYS)}"
        )
    out = dict(data)
    if "params" in out and not isinstance(out["params"], dict):
        raise TemplateSetError(f"{where}: 'params' must be a mapping of name to value")
    if "templates" in out:
        out["templates"] = (where.parent / str(out["templates"])).resolve()
    if "map_url" in out:
        raw = out["map_url"]
        pairs: list[tuple[str, Path]] = []
        items = raw.items() if isinstance(raw, dict) else (str(v).partition("=")[::2] for v in raw or ())
        for prefix, directory in items:
            pairs.append((str(prefix), (where.parent / str(directory)).resolve()))
        out["map_url"] = tuple(pairs)
    return out


def load_config(spec: Path) -> ProjectConfig:
    """Read ``pyproject.toml`` ``[tool.asyncgen]`` then ``asyncgen.yaml`` beside ``spec``."""
    folder = Path(spec).parent
    merged: dict[str, Any] = {}
    params: dict[str, Any] = {}
    sources: list[str] = []
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise TemplateSetError(f"{pyproject}: cannot read: {err}") from None
        if "asyncgen" in tool:
            layer = _config_layer(tool["asyncgen"], pyproject)
            params.update(layer.pop("params", {}))
            merged.update(layer)
            sources.append(pyproject.name)
    yaml_file = folder / "asyncgen.yaml"
    if yaml_file.is_file():
        layer = _config_layer(_load_yaml(yaml_file), yaml_file)
        params.update(layer.pop("params", {}))
        merged.update(layer)
        sources.append(yaml_file.name)
    return ProjectConfig(params=params, sources=tuple(sources), **merged)


def parse_param_args(values: Sequence[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; a value may contain ``=``."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise TemplateSetError(f"-p {value!r}: expected NAME=VALUE")
        out[name.strip()] = rest
    return out


def eject(set_name: str, target: Path, files: Sequence[str] = ()) -> list[str]:
    """Copy the built-in set ``set_name`` (or only ``files`` of it) into ``target``.

    Refuses (copying nothing) when any destination file exists. Returns the copied names.
    """
    tset = load_set(set_name)
    available = tset.template_files()
    wanted = list(files) or list(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise TemplateSetError(
            f"template set {tset.name!r} has no file(s) {', '.join(unknown)}; it has: {', '.join(available)}"
        )
    existing = [name for name in wanted if (target / name).exists()]
    if existing:
        raise TemplateSetError(f"{target}: not overwriting existing file(s): {', '.join(existing)}")
    for name in wanted:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(available[name].read_bytes())
    return wanted
