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
        "--max-size-mb", type=float, default=50.0, show_default=True, help="Refuse spec files larger than this."
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
    from asyncgen.inspect import summarize

    api = load_valid_api(spec, make_load_options(kwargs))
    click.echo(summarize(api))


def load_valid_api(spec: Path, options: LoadOptions) -> Any:
    """load -> validate -> parse, exiting 2 with located errors on bad input."""
    from asyncgen.load import load
    from asyncgen.parse import parse
    from asyncgen.validate import validate as run_validate

    try:
        doc = load(spec, options)
        problems = [p for p in run_validate(doc) if p.severity == "error"]
        if problems:
            raise SpecErrors(problems)
        return parse(doc)
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


if __name__ == "__main__":  # pragma: no cover
    main()
