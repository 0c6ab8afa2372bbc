"""``asyncgen docs``: a static event portal from one or more specs.

load -> validate -> parse each spec -> :func:`~asyncgen.docs.site.build_site` (view
objects) -> the engine's ``render`` of the built-in ``docs`` template set (so
``--templates DIR`` overrides and ``templates eject docs`` apply) -> the engine's
``write_output`` (atomic, ``.asyncgen/manifest.json``, ``--check``, hand-edit
protection). No second renderer: the only difference to ``generate`` is the context
(several Apis in one site) and no code formatter (HTML/CSS/JS are only newline
normalised).

The site works from disk (``file://``): no server, no CDN, no ``fetch``; the search
index is a ``.js`` file loaded with ``<script src>``. Same inputs, same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from asyncgen import __version__
from asyncgen.document import LoadOptions
from asyncgen.errors import AsyncgenError, Diagnostics, Location, SpecError, SpecErrors
from asyncgen.generate import GenerateResult, spec_copies
from asyncgen.model import Api
from asyncgen.output import OutputFile, normalize_newlines, read_manifest, sha256, write_output
from asyncgen.render import make_environment, render, run_extensions
from asyncgen.templateset import load_set

from .site import ApiView, SiteView, build_site

SET_NAME = "docs"


def build_context(api: Api, **settings: Any) -> dict[str, Any]:
    """The engine's context hook (``asyncgen generate --template-set docs``): a one-API site."""
    params: Mapping[str, Any] = settings.get("params") or {}
    return {
        "site": build_site(
            [api],
            title=str(params.get("title") or "Event portal"),
            examples=bool(params.get("examples", True)),
        )
    }


def build_docs_from_apis(
    apis: Sequence[Api],
    out: Path,
    *,
    sources: Sequence[Mapping[str, bytes]] = (),
    templates_dir: Path | None = None,
    params: Mapping[str, Any] | None = None,
    check: bool = False,
    force: bool = False,
    warnings: Sequence[SpecError] = (),
    fail_on_warning: bool = False,
    template_set: str | Path = SET_NAME,
) -> GenerateResult:
    """Render the portal for ``apis`` into ``out``; ``sources[i]`` are api i's spec files (copied)."""
    out = Path(out)
    tset = load_set(template_set, templates_dir)
    values = tset.resolve_params(("the command line", params or {}))
    site = build_site(
        apis, title=str(values.get("title") or "Event portal"), examples=bool(values.get("examples", True))
    )
    copies: list[OutputFile] = []
    for view, spec_files in zip(site.apis, sources, strict=False):
        for f in spec_copies(spec_files):
            path = PurePosixPath("spec") / view.slug / f.path.relative_to("spec")
            copies.append(OutputFile(path, f.data, "generated", "<spec>", f.input_hash))
            if len(view.spec_files) == 0:
                view.spec_files.append(_spec_link(path))
    notes = list(warnings)
    if fail_on_warning and notes:
        raise SpecErrors(notes)
    context = {"site": site, "params": values, "asyncgen_version": __version__}
    extensions = run_extensions(None)  # installed asyncgen.filters entry points
    fingerprint = tset.fingerprint()  # every template file's bytes: read and hashed once
    base_hash = hashlib.sha256(
        json.dumps(
            {
                "templates": fingerprint,
                "params": values,
                "inputs": sorted((str(f.path), f.input_hash) for f in copies),
                "asyncgen": __version__,
                "filters": extensions.digest if extensions else None,
            },
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    rendered = render(tset, context, base_hash=base_hash, env=make_environment(tset, extensions))
    files = [
        OutputFile(p, normalize_newlines(r.text).encode("utf-8"), r.ownership, r.template, r.input_hash)
        for p, r in rendered.items()
    ]
    clash = {f.path for f in files} & {f.path for f in copies}
    if clash:
        raise AsyncgenError(
            f"the docs templates write into spec/, where the spec copies go: {sorted(map(str, clash))}"
        )
    files.extend(copies)
    files.sort(key=lambda f: str(f.path))
    meta = {
        "asyncgen_version": __version__,
        "template_set": tset.name,
        "templates_sha256": fingerprint,
        "params": values,
        "inputs": {str(f.path): f.input_hash for f in copies},
    }
    written = write_output(files, out, meta=meta, check=check, force=force, previous=read_manifest(out))
    return GenerateResult.from_write(
        out,
        written,
        warnings=notes,
        rendered=sorted(str(p) for p in rendered),
        check=check,
    )


def _spec_link(path: PurePosixPath) -> Any:
    from asyncgen.docs.views import Link

    return Link(path.name, str(path))


def load_api(spec: Path, options: LoadOptions) -> tuple[Api, dict[str, bytes], list[SpecError]]:
    """load -> validate -> parse one spec; raises SpecErrors on invalid input."""
    from asyncgen.load import load
    from asyncgen.parse import parse
    from asyncgen.validate import validate

    doc = load(Path(spec), options)
    problems = list(validate(doc))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise SpecErrors(errors)
    diagnostics = Diagnostics()
    api = parse(doc, diagnostics)
    sources: dict[str, bytes] = {}
    for path in doc.files:
        try:
            sources[str(path)] = Path(path).read_bytes()
        except OSError as err:
            raise AsyncgenError(f"cannot read {path} again to copy it into the site: {err}") from None
    return api, sources, [p for p in problems if p.severity != "error"] + list(diagnostics.warnings)


def build_docs(
    specs: Sequence[Path],
    out: Path,
    *,
    templates_dir: Path | None = None,
    params: Mapping[str, Any] | None = None,
    load_options: LoadOptions = LoadOptions(),  # noqa: B008 - frozen dataclass
    check: bool = False,
    force: bool = False,
    fail_on_warning: bool = False,
) -> GenerateResult:
    """The portal for ``specs`` (AsyncAPI and/or OpenAPI files) in ``out``."""
    apis: list[Api] = []
    sources: list[dict[str, bytes]] = []
    warnings: list[SpecError] = []
    errors: list[SpecError] = []
    for spec in specs:
        try:
            api, files, notes = load_api(spec, load_options)
        except SpecErrors as err:
            errors.extend(err.errors)
            continue
        except SpecError as err:
            errors.append(err)
            continue
        apis.append(api)
        sources.append(files)
        warnings.extend(notes)
    if errors:
        raise SpecErrors(errors)
    if not apis:
        raise SpecErrors([SpecError("no spec given", Location("<command line>"))])
    return build_docs_from_apis(
        apis,
        out,
        sources=sources,
        templates_dir=templates_dir,
        params=params,
        check=check,
        force=force,
        warnings=warnings,
        fail_on_warning=fail_on_warning,
    )


__all__ = [
    "ApiView",
    "SiteView",
    "build_context",
    "build_docs",
    "build_docs_from_apis",
    "build_site",
    "sha256",
]
