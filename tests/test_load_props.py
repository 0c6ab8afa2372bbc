"""Property tests: whatever text ``load`` is given, it returns a Document or raises SpecError(s).

Nothing else may escape (no yaml/json/Unicode/Recursion errors), and nothing hangs.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncgen import yaml12
from asyncgen.document import Document, LoadOptions, MapNode, SeqNode
from asyncgen.errors import SpecError, SpecErrors
from asyncgen.load import load, load_data

# A noisy 2-core machine: generous deadline, no too-slow health check.
# ASYNCGEN_FUZZ_EXAMPLES=5000 pytest tests/test_load_props.py  fuzzes longer.
SETTINGS = settings(
    max_examples=int(os.environ.get("ASYNCGEN_FUZZ_EXAMPLES", "200")),
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SMALL = LoadOptions(max_depth=50, max_nodes=20_000, max_bytes=200_000)


def load_text(text: str | bytes, suffix: str = ".yaml") -> Document | SpecError | SpecErrors:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"spec{suffix}"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            return load(path, SMALL)
        except (SpecError, SpecErrors) as err:
            return err


def check_located(result: Document | SpecError | SpecErrors) -> None:
    if isinstance(result, Document):
        assert isinstance(result.root, MapNode | SeqNode) or result.root is not None
        return
    errors = result.errors if isinstance(result, SpecErrors) else [result]
    assert errors
    for error in errors:
        assert error.message
        assert error.file


# -- random text ---------------------------------------------------------------------

YAML_BITS = st.sampled_from(
    [
        "\n", "  ", "    ", "\t", "- ", ": ", "? ", ",", "[", "]", "{", "}", "'", '"', "#", "&a ", "*a",
        "&b ", "*b", "<<: ", "!!str ", "!!int ", "!!python/object ", "!local ", "---\n", "...\n", "|\n",
        ">\n", "$ref: ", "'#/a'", "'#/b/0'", "'./x.yaml'", "'#/'", "a", "b", "0x1F", "0o7", "18:00", "on",
        "true", "~", ".inf", "é", "\ufeff", "\x00", "\x85", "%YAML 1.2\n", "asyncapi: 3.0.0\n",
    ]
)  # fmt: skip


@SETTINGS
@given(st.lists(YAML_BITS, max_size=60).map("".join))
def test_yaml_like_text(text: str) -> None:
    check_located(load_text(text))


@SETTINGS
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    check_located(load_text(text))


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes(data: bytes) -> None:
    check_located(load_text(data, ".json"))


# -- random data --------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["on", "off", "yes", "no", "18:00", "0x1F", "0o17", "1e3", ".inf", "~", "null", "#/a"])
)
DATA = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=40,
)
REFS = st.dictionaries(
    st.sampled_from(["a", "b", "c", "$ref"]),
    DATA
    | st.sampled_from(["#/a", "#/b/0", "#/c/$ref", "#", "#/nope", "other.yaml", "#a", "a\x00b"]).map(
        lambda r: {"$ref": r}
    )
    | st.text(max_size=30).map(lambda r: {"$ref": r, "x": 1}),
    max_size=4,
)


def same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isinf(left) and left == right)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and left == right


@SETTINGS
@given(st.dictionaries(st.text(max_size=10), DATA, max_size=6))
def test_json_text_round_trips(data: dict[str, Any]) -> None:
    """JSON is YAML 1.2: any JSON document loads to exactly its data (no $refs in it)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=True)
    result = load_text(text, ".json")
    if "$ref" in text:
        check_located(result)
        return
    assert isinstance(result, Document), result
    assert same(result.root, data)


@SETTINGS
@given(st.dictionaries(st.text(max_size=10), DATA, max_size=6), st.sampled_from(["block", "flow"]))
def test_yaml_dump_loads_or_fails_cleanly(data: dict[str, Any], style: str) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=style == "flow")
    check_located(load_text(text))


@SETTINGS
@given(REFS)
def test_random_refs(data: dict[str, Any]) -> None:
    try:
        doc = load_data(data, "mem.yaml", SMALL, base_dir=Path(tempfile.gettempdir()) / "asyncgen-none")
    except (SpecError, SpecErrors) as err:
        check_located(err)
        return
    for _node, pointer in doc.walk():  # the resolved graph is walkable (cycles included)
        assert isinstance(pointer, str)


@SETTINGS
@given(st.lists(YAML_BITS, max_size=40).map("".join))
def test_pure_python_parser_agrees(text: str) -> None:
    """The fallback (PyYAML's own parser) loads what libyaml loads, to the same data."""
    fast = load_text(text)
    saved = yaml12._CParser
    yaml12._CParser = None
    try:
        slow = load_text(text)
    finally:
        yaml12._CParser = saved
    check_located(slow)
    if isinstance(fast, Document) and isinstance(slow, Document):
        assert json.dumps(fast.raw, default=repr) == json.dumps(slow.raw, default=repr)


# -- random ref graphs across files -------------------------------------------------------

FILES = ["spec.yaml", "a.yaml", "sub/b.json", "sub/c.yaml"]
KEYS = ["k0", "k1", "k2"]


@st.composite
def ref_targets(draw: st.DrawFn, here: str) -> str:
    target = draw(st.sampled_from([*FILES, "missing.yaml", ""]))
    if target:
        depth = here.count("/")
        target = "../" * depth + target if draw(st.booleans()) else target
    key = draw(st.sampled_from([*KEYS, "nope", "k0/inner", "k1/0"]))
    return f"{target}#/{key}"


@st.composite
def ref_file(draw: st.DrawFn, here: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=3)):
        kind = draw(st.sampled_from(["ref", "ref+sibling", "value", "list"]))
        if kind == "value":
            body[key] = {"inner": {"$ref": draw(ref_targets(here))}, "type": "object"}
        elif kind == "list":
            body[key] = [{"$ref": draw(ref_targets(here))}, 1]
        else:
            body[key] = {"$ref": draw(ref_targets(here))}
            if kind == "ref+sibling":
                body[key]["description"] = "d"
    return body


@SETTINGS
@given(st.tuples(*(ref_file(name) for name in FILES)))
def test_random_ref_graphs_across_files(bodies: tuple[dict[str, Any], ...]) -> None:
    """Refs between files: chains, cycles, siblings, misses. A Document has no ref left, or errors."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, body in zip(FILES, bodies, strict=True):
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(body) if name.endswith(".json") else yaml.safe_dump(body)
            path.write_text(text, encoding="utf-8")
        try:
            doc = load(root / "spec.yaml", SMALL)
        except (SpecError, SpecErrors) as err:
            check_located(err)
            for error in err.errors if isinstance(err, SpecErrors) else [err]:
                assert error.line > 0 or "empty" in error.message or "top level" in error.message, error
            return
        for node, _pointer in doc.walk():
            assert not (isinstance(node, dict) and isinstance(node.get("$ref"), str)), node.loc
