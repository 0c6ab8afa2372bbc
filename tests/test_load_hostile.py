"""asyncgen.load against hostile input: each ends in a clean SpecError, quickly, in bounded memory.

Also the remote-ref path, served by a local ``http.server`` on 127.0.0.1 (no network here).
"""

from __future__ import annotations

import http.server
import random
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from asyncgen.document import LoadOptions
from asyncgen.errors import SpecError, SpecErrors
from asyncgen.load import load, load_data


def rejected(path: Path, options: LoadOptions | None = None, *, within: float = 2.0) -> list[SpecError]:
    """Load ``path`` expecting SpecError(s) within ``within`` seconds (generous for a busy CI box)."""
    start = time.perf_counter()
    with pytest.raises((SpecError, SpecErrors)) as info:
        load(path, options or LoadOptions())
    elapsed = time.perf_counter() - start
    assert elapsed < within, f"took {elapsed:.2f}s"
    exc = info.value
    return exc.errors if isinstance(exc, SpecErrors) else [exc]


def put(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# -- alias bombs and size ------------------------------------------------------------


def test_billion_laughs_is_refused_fast_and_small(tmp_path: Path) -> None:
    path = put(tmp_path, "bomb.yaml", billion_laughs())
    tracemalloc.start()
    try:
        (error,) = rejected(path, within=1.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "alias bomb" in error.message
    assert error.line > 0
    assert peak < 20 * 1024 * 1024


def test_alias_bomb_as_mapping_merges(tmp_path: Path) -> None:
    text = "a: &a {x: 1, y: 2, z: 3}\n"
    for i in range(1, 30):
        text += f"l{i}: &l{i} [" + ", ".join(["*a" if i == 1 else f"*l{i - 1}"] * 4) + "]\n"
    (error,) = rejected(put(tmp_path, "bomb.yaml", text), within=1.0)
    assert "alias bomb" in error.message


def test_aliases_within_the_limit_are_fine(tmp_path: Path) -> None:
    doc = load(put(tmp_path, "ok.yaml", billion_laughs(3)), LoadOptions(max_nodes=10_000))
    assert doc.root["d"][0] is doc.root["c"]


def test_many_plain_nodes_over_the_limit(tmp_path: Path) -> None:
    text = "".join(f"k{i}: {i}\n" for i in range(3000))
    (error,) = rejected(put(tmp_path, "big.yaml", text), LoadOptions(max_nodes=1000))
    assert "more than 1,000 nodes" in error.message
    assert "alias" not in error.message


def test_file_over_max_bytes_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(tmp_path, "big.yaml", "asyncapi: 3.0.0\n" + "x: 1\n" * 1000)

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("opened a file over the limit")

    monkeypatch.setattr(Path, "open", no_open)
    (error,) = rejected(path, LoadOptions(max_bytes=1000))
    assert "over the 1,000-byte limit" in error.message
    assert error.hint is not None
    assert "--max-size-mb" in error.hint


def test_referenced_file_over_max_bytes(tmp_path: Path) -> None:
    put(tmp_path, "big.yaml", "a: " + "x" * 5000 + "\n")
    path = put(tmp_path, "spec.yaml", "asyncapi: 3.0.0\nx: {$ref: 'big.yaml#/a'}\n")
    (error,) = rejected(path, LoadOptions(max_bytes=2000))
    assert "over the 2,000-byte limit" in error.message
    assert error.line == 2


# -- nesting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 10_000 + "]" * 10_000),
        ("deep-object.json", '{"a":' * 10_000 + "1" + "}" * 10_000),
        ("deep-unclosed.json", "[" * 100_000),
        ("deep-flow.yaml", "a: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        ("deep-mixed.yaml", "a: " + "{b: [" * 5_000 + "]}" * 5_000 + "\n"),
        ("deep-block.yaml", "".join(" " * i + "a:\n" for i in range(1_000)) + " " * 1000 + "b: 1\n"),
        ("deep-seq.yaml", "".join(" " * (2 * i) + "-\n" for i in range(1_000))),
    ],
)
def test_deep_nesting_is_refused(tmp_path: Path, name: str, text: str) -> None:
    (error,) = rejected(put(tmp_path, name, text))
    assert "nesting deeper than 400 levels" in error.message
    assert error.line > 0
    assert len(error.pointer) < 100


def test_deep_nesting_within_a_raised_limit_loads(tmp_path: Path) -> None:
    path = put(tmp_path, "deep.json", '{"a": ' + "[" * 900 + "]" * 900 + "}")
    doc = load(path, LoadOptions(max_depth=1000))
    node = doc.root["a"]
    for _ in range(899):
        node = node[0]
    assert node == []


def test_deep_in_memory_data_is_refused() -> None:
    data: Any = 1
    for _ in range(10_000):
        data = [data]
    with pytest.raises(SpecError, match="nesting deeper"):
        load_data({"x": data})


def test_long_ref_chain_is_an_error_not_a_recursion_error(tmp_path: Path) -> None:
    text = "".join(f"r{i}: {{$ref: '#/r{i + 1}'}}\n" for i in range(2000)) + "r2000: end\n"
    errors = rejected(put(tmp_path, "chain.yaml", text))
    assert any("$ref chain too long" in e.message for e in errors)
    assert all(len(e.message) < 300 for e in errors)


def test_many_refs_to_one_target_are_fine(tmp_path: Path) -> None:
    text = "t: {type: string}\n" + "".join(f"r{i}: {{$ref: '#/t'}}\n" for i in range(5000))
    doc = load(put(tmp_path, "many.yaml", text))
    assert doc.root["r4999"] is doc.root["t"]


# -- garbage ------------------------------------------------------------------------------


def test_binary_garbage(tmp_path: Path) -> None:
    rng = random.Random(1)
    for index in range(20):
        garbage = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4000)))
        errors = rejected(put(tmp_path, f"garbage{index}.yaml", garbage))
        assert errors[0].line > 0 or "empty" in errors[0].message


def test_nul_bytes(tmp_path: Path) -> None:
    (error,) = rejected(put(tmp_path, "nul.yaml", b"asyncapi: 3.0.0\ninfo: {title: \x00}\n"))
    assert "NUL byte" in error.message
    assert (error.line, error.column) == (2, 15)


def test_invalid_utf8(tmp_path: Path) -> None:
    (error,) = rejected(put(tmp_path, "bad.yaml", b"asyncapi: 3.0.0\ntitle: caf\xe9\n"))
    assert "not valid UTF-8" in error.message
    assert "0xe9" in error.message
    assert (error.line, error.column) == (2, 11)


def test_control_characters(tmp_path: Path) -> None:
    (error,) = rejected(put(tmp_path, "ctrl.yaml", "asyncapi: 3.0.0\ntitle: \x07\n"))
    assert "#x07" in error.message
    assert error.line == 2


def test_a_png_is_not_a_spec(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    (error,) = rejected(put(tmp_path, "image.json", png))
    assert "binary" in (error.hint or "")


def test_directory_and_missing_root(tmp_path: Path) -> None:
    (error,) = rejected(tmp_path)
    assert "is a directory" in error.message
    (error,) = rejected(tmp_path / "nope.yaml")
    assert "file not found" in error.message


def test_recursive_and_undefined_aliases(tmp_path: Path) -> None:
    (error,) = rejected(put(tmp_path, "rec.yaml", "a: &a [1, *a]\n"))
    assert "contains it" in error.message
    (error,) = rejected(put(tmp_path, "undef.yaml", "a: *nope\n"))
    assert "no anchor &nope" in error.message


def test_unclosed_quotes_and_brackets(tmp_path: Path) -> None:
    for name, text in [("q.yaml", 'a: "open\n'), ("b.json", '{"a": [1, 2'), ("c.yaml", "a: {b: [1, 2}\n")]:
        (error,) = rejected(put(tmp_path, name, text))
        assert error.line > 0, error


# -- refs that try to escape -------------------------------------------------------------


def test_ref_escape_to_etc_passwd(tmp_path: Path) -> None:
    spec = put(tmp_path, "spec.yaml", "asyncapi: 3.0.0\nx: {$ref: '../../../../../../../../../etc/passwd'}\n")
    (error,) = rejected(spec)
    assert "outside the spec's folder" in error.message
    (error,) = rejected(put(tmp_path, "abs.yaml", "x: {$ref: '/etc/passwd'}\n"))
    assert "outside the spec's folder" in error.message
    (error,) = rejected(put(tmp_path, "url.yaml", "x: {$ref: 'file:///etc/passwd'}\n"))
    assert "outside the spec's folder" in error.message


# -- remote refs over a local HTTP server ------------------------------------------------------


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder) of an http.server on 127.0.0.1 serving ``folder``."""
    folder = tmp_path / "www"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_remote_ref_fetched_when_allowed(tmp_path: Path, http_root: tuple[str, Path]) -> None:
    base, folder = http_root
    put(folder, "schemas.yaml", "Order: {type: object, properties: {line: {$ref: 'line.json'}}}\n")
    put(folder, "line.json", '{"type": "string"}')
    spec = put(tmp_path, "spec.yaml", f"asyncapi: 3.0.0\nx: {{$ref: '{base}schemas.yaml#/Order'}}\n")
    (error,) = rejected(spec)
    assert "remote refs are refused" in error.message
    doc = load(spec, LoadOptions(allow_remote=True))
    assert doc.root["x"]["properties"]["line"] == {"type": "string"}
    assert doc.root["x"].loc.file == f"{base}schemas.yaml"
    assert doc.files == (spec,)


def test_remote_errors_are_located(tmp_path: Path, http_root: tuple[str, Path]) -> None:
    base, folder = http_root
    put(folder, "big.yaml", "a: " + "x" * 5000 + "\n")
    spec = put(
        tmp_path,
        "spec.yaml",
        f"x: {{$ref: '{base}missing.yaml'}}\ny: {{$ref: '{base}big.yaml#/a'}}\n",
    )
    errors = rejected(spec, LoadOptions(allow_remote=True, max_bytes=2000), within=12)
    assert "HTTP 404" in errors[0].message
    assert "exceeds the 2,000-byte limit" in errors[1].message
    assert [e.line for e in errors] == [1, 2]


def test_remote_unreachable(tmp_path: Path) -> None:
    spec = put(tmp_path, "spec.yaml", "x: {$ref: 'http://127.0.0.1:9/nothing.yaml'}\n")
    (error,) = rejected(spec, LoadOptions(allow_remote=True), within=12)
    assert "cannot fetch remote $ref" in error.message


def test_map_url_wins_over_fetching(tmp_path: Path, http_root: tuple[str, Path]) -> None:
    base, folder = http_root
    put(folder, "s.yaml", "v: remote\n")
    local = tmp_path / "copies"
    local.mkdir()
    put(local, "s.yaml", "v: local\n")
    spec = put(tmp_path, "spec.yaml", f"x: {{$ref: '{base}s.yaml#/v'}}\n")
    doc = load(spec, LoadOptions(allow_remote=True, map_urls=((base, local),)))
    assert doc.root["x"] == "local"


def test_paths_the_os_refuses(tmp_path: Path) -> None:
    text = 'x: {$ref: "a\\0b.yaml"}\ny: {$ref: "' + "d/" * 3000 + 'x"}\n'
    errors = rejected(put(tmp_path, "nul.yaml", text))
    assert [e.line for e in errors] == [1, 2]
    assert all("unresolved $ref" in e.message for e in errors)
    with pytest.raises(SpecError, match="cannot load"):
        load("a\x00b.yaml")


def test_errors_in_referenced_files_say_which_ref_led_there(tmp_path: Path) -> None:
    put(tmp_path, "bad.yaml", "a: 1\na: 2\n")
    (error,) = rejected(put(tmp_path, "spec.yaml", "asyncapi: 3.0.0\nx: {$ref: 'bad.yaml#/a'}\n"))
    assert "duplicate key 'a'" in error.message
    assert error.file.endswith("bad.yaml")
    assert error.hint is not None
    assert "read because of $ref 'bad.yaml#/a' at" in error.hint
    assert "spec.yaml:2:5" in error.hint


def test_the_whole_spec_has_a_byte_and_node_budget(tmp_path: Path) -> None:
    for index in range(6):
        put(tmp_path, f"part{index}.yaml", "a: '" + "x" * 900 + "'\n")
    refs = "".join(f"p{index}: {{$ref: 'part{index}.yaml#/a'}}\n" for index in range(6))
    errors = rejected(put(tmp_path, "spec.yaml", refs), LoadOptions(max_bytes=1000))
    assert any("exceed 4,000 bytes together" in e.message for e in errors)
    for index in range(6):
        put(tmp_path, f"list{index}.yaml", "[" + ", ".join(["[1]"] * 300) + "]\n")
    refs = "".join(f"l{index}: {{$ref: 'list{index}.yaml'}}\n" for index in range(6))
    errors = rejected(put(tmp_path, "nodes.yaml", refs), LoadOptions(max_nodes=1000))
    assert any("more than" in e.message and "nodes" in e.message for e in errors)


def test_redirects_only_to_http(tmp_path: Path) -> None:
    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            target = "file:///etc/passwd" if "file" in self.path else "ftp://127.0.0.1/x.yaml"
            self.send_header("Location", target)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        spec = put(tmp_path, "spec.yaml", f"a: {{$ref: '{base}file'}}\nb: {{$ref: '{base}ftp'}}\n")
        errors = rejected(spec, LoadOptions(allow_remote=True), within=12)
        assert [e.line for e in errors] == [1, 2]
        assert all("cannot fetch remote $ref" in e.message for e in errors)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_many_unresolved_refs_into_a_big_mapping_stay_fast(tmp_path: Path) -> None:
    keys = "".join(f"  key{i}: {i}\n" for i in range(3000))
    refs = "".join(f"r{i}: {{$ref: '#/m/kex{i}'}}\n" for i in range(3000))
    errors = rejected(put(tmp_path, "many.yaml", "m:\n" + keys + refs), within=5)
    assert len(errors) == 3000
    assert errors[0].hint is not None
    assert "did you mean 'key0'" in errors[0].hint
    assert errors[-1].hint is None  # hints for the first few only
