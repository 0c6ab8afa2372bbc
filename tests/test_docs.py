"""``asyncgen docs``: the event portal builds for every bundled and corpus spec, escapes spec text,
is deterministic, keeps its links whole, and goes through the template engine (override, eject).

The browser half (search, deep links, console errors, screenshots) is ``tests/browser/``.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import corpus_load_options
from project_support import tree_bytes

from asyncgen.cli import main
from asyncgen.docs import build_docs, build_docs_from_apis, load_api
from asyncgen.document import LoadOptions

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href") is not None:
            self.hrefs.append(str(values["href"]))
        if tag == "script":
            self.scripts.append(str(values.get("src")))


def parse_site(site: Path) -> dict[str, _Page]:
    pages = {}
    for path in sorted(site.glob("*.html")):
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        pages[path.name] = page
    return pages


def assert_links_resolve(site: Path) -> None:
    """Every local link points at an existing file and, with a #fragment, an existing id."""
    pages = parse_site(site)
    assert "index.html" in pages
    for name, page in pages.items():
        duplicates = [i for i in page.ids if list(page.ids).count(i) > 1]
        assert not duplicates
        for href in page.hrefs:
            if re.match(r"^[a-z]+:", href):
                continue
            target, _, fragment = href.partition("#")
            target_name = target or name
            assert (site / target_name).is_file(), f"{name}: link to missing {href!r}"
            if fragment and target_name.endswith(".html"):
                assert fragment in pages[target_name].ids, f"{name}: dangling anchor {href!r}"
        for src in page.scripts:
            assert (site / src).is_file(), src
    search = search_entries(site)
    for kind, _name, _context, href in search:
        target, _, fragment = href.partition("#")
        assert fragment in pages[target].ids, f"search entry {kind} {href!r} has no target"


def search_entries(site: Path) -> list[list[str]]:
    text = (site / "assets" / "search-index.js").read_text(encoding="utf-8")
    start = text.index("=") + 1
    return list(json.loads(text[start:].strip().rstrip(";")))


# -- bundled specs -----------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portal") / "site"
    build_docs(SPECS, out)
    return out


def test_bundled_site_has_a_page_per_spec_and_whole_links(bundled_site: Path) -> None:
    pages = parse_site(bundled_site)
    assert len(pages) == len(SPECS) + 1
    index = (bundled_site / "index.html").read_text(encoding="utf-8")
    for page in pages:
        if page != "index.html":
            assert f'href="{page}"' in index
    assert_links_resolve(bundled_site)
    assert (bundled_site / "assets" / "portal.css").is_file()
    assert (bundled_site / "spec" / "erp_events" / "erp-events.asyncapi.yaml").is_file()


def test_nothing_is_loaded_from_the_network(bundled_site: Path) -> None:
    for path in bundled_site.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
            assert "@import" not in text and "fetch(" not in text, path


def test_streetlights_page(bundled_site: Path) -> None:
    html = (bundled_site / "streetlights_controller.html").read_text(encoding="utf-8")
    # channel tree by address segments
    tree = html[html.index('id="channel-tree"') : html.index("</nav>", html.index('id="channel-tree"'))]
    for segment in ("smartylighting", "streetlights", "{streetlightId}", "lighting", "measured"):
        assert f'<span class="seg">{segment}</span>' in tree
    # role made explicit, per group
    assert "This application sends (publishes)" in html and "This application receives (subscribes)" in html
    assert "This application subscribes to smartylighting/streetlights/1/0/event/{streetlightId}" in html
    # the payload table of lightMeasured
    table = html[html.index('id="message-lightMeasured-payload"') :]
    table = table[: table.index("</table>")]
    assert '<code>lumens</code></td><td class="type">integer</td>' in table
    assert "≥ 0" in table
    assert (
        '<code>sentAt</code></td><td class="type"><a href="#schema-SentAt">string (SentAt)</a></td>' in table
    )
    assert '<td class="fmt">date-time</td>' in table
    # bindings, servers, security
    assert 'id="server-production"' in html and "mqtt" in html
    assert 'id="security' in html


def test_erp_callbacks_link_to_their_channels(bundled_site: Path) -> None:
    api = (bundled_site / "erp_api.html").read_text(encoding="utf-8")
    events = (bundled_site / "erp_events.html").read_text(encoding="utf-8")
    assert 'Fed by channel: <a href="erp_events.html#channel-orderCreated"' in api
    assert 'href="erp_api.html#http-deliverOrderCreated"' in events
    assert "This API calls the subscriber's URL" in api


def test_reply_routes_and_correlation_ids(bundled_site: Path) -> None:
    kafka = (bundled_site / "price_quotes.html").read_text(encoding="utf-8")
    assert "Reply</dt><dd>answers on " in kafka
    assert "Correlation id</dt>" in kafka
    assert '<span class="badge corr">correlation id</span>' in kafka  # the header row is marked
    rpc = (bundled_site / "inventory_stock_rpc.html").read_text(encoding="utf-8")
    assert "Correlation id</dt><dd><code>$message.header#/correlation_id</code>" in rpc


def test_examples_from_the_spec_or_synthesised(bundled_site: Path) -> None:
    html = (bundled_site / "streetlights_controller.html").read_text(encoding="utf-8")
    assert "<h5>Payload</h5><pre>" in html
    synthetic = yaml.safe_load((ROOT / "specs" / "erp-events.asyncapi.yaml").read_text(encoding="utf-8"))
    assert synthetic  # the ERP spec has examples of its own; synthesis is tested below


# -- HTML escaping -----------------------------------------------------------------

EVIL = "<script>alert('x')</script>"


def evil_spec(tmp_path: Path) -> Path:
    doc: dict[str, Any] = {
        "asyncapi": "3.0.0",
        "info": {"title": f"Evil {EVIL}", "version": "1.0.0", "description": f"Hello {EVIL} & <b>bold</b>"},
        "servers": {"s": {"host": "localhost", "protocol": "kafka", "description": EVIL}},
        "channels": {
            "evil": {
                "address": "a.b.<img src=x onerror=alert(1)>",
                "description": EVIL,
                "messages": {"m": {"$ref": "#/components/messages/m"}},
            }
        },
        "operations": {
            "sendEvil": {"action": "send", "channel": {"$ref": "#/channels/evil"}, "description": EVIL}
        },
        "components": {
            "messages": {
                "m": {
                    "title": f"T {EVIL}",
                    "description": EVIL,
                    "payload": {
                        "type": "object",
                        "description": EVIL,
                        "properties": {
                            "x</td><script>": {"type": "string", "description": EVIL, "enum": [EVIL]},
                        },
                    },
                }
            }
        },
    }
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_spec_text_is_html_escaped(tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_docs([evil_spec(tmp_path)], out)
    for path in out.rglob("*"):
        if path.suffix in (".html", ".js"):
            text = path.read_text(encoding="utf-8")
            assert "<script>alert" not in text, path
            assert "<img src=x" not in text, path
            assert "<b>bold</b>" not in text, path
    page = (out / "evil_script_alert_x_script.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert_links_resolve(out)


# -- determinism, check, CLI ---------------------------------------------------------


def test_same_bytes_twice_in_different_directories(tmp_path: Path) -> None:
    build_docs(SPECS, tmp_path / "a" / "site")
    build_docs(SPECS, tmp_path / "b" / "elsewhere")
    first = tree_bytes(tmp_path / "a" / "site")
    assert first == tree_bytes(tmp_path / "b" / "elsewhere")
    for name, data in first.items():
        assert str(ROOT).encode() not in data and str(tmp_path).encode() not in data, name


def test_cli_docs_check_and_drift(tmp_path: Path) -> None:
    out = tmp_path / "site"
    specs = [str(ROOT / "specs" / "erp-events.asyncapi.yaml"), str(ROOT / "specs" / "erp-api.openapi.yaml")]
    runner = CliRunner()
    result = runner.invoke(main, ["docs", *specs, "-o", str(out), "-p", "title=ACME events"])
    assert result.exit_code == 0, result.output
    assert "<title>ACME events</title>" in (out / "index.html").read_text(encoding="utf-8")
    result = runner.invoke(main, ["docs", *specs, "-o", str(out), "-p", "title=ACME events", "--check"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["docs", *specs, "-o", str(out), "--check", "--format", "json"])
    assert result.exit_code == 1  # the title changed
    assert any(d["path"] == "index.html" for d in json.loads(result.output)["drift"])


def test_cli_docs_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("asyncapi: 3.0.0\ninfo: {title: x}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["docs", str(bad), "-o", str(tmp_path / "site")])
    assert result.exit_code == 2
    assert "bad.yaml:" in result.output
    assert not (tmp_path / "site").exists()


def test_unknown_param_lists_the_accepted_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["docs", str(SPECS[0]), "-o", str(tmp_path / "s"), "-p", "colour=red"])
    assert result.exit_code == 2
    assert "title" in result.output and "examples" in result.output


# -- the template engine applies -------------------------------------------------------


def test_override_one_block_through_the_chain(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "_layout.html.j2").write_text(
        '{% extends "builtin:_layout.html.j2" %}{% block footer %}Owned by team {{ "<ops>" }}{% endblock %}',
        encoding="utf-8",
    )
    out = tmp_path / "site"
    result = CliRunner().invoke(
        main,
        [
            "docs",
            str(ROOT / "specs" / "streetlights-mqtt.asyncapi.yaml"),
            "-o",
            str(out),
            "--templates",
            str(mine),
        ],
    )
    assert result.exit_code == 0, result.output
    for page in ("index.html", "streetlights_controller.html"):
        assert "Owned by team &lt;ops&gt;" in (out / page).read_text(encoding="utf-8")


def test_eject_docs_then_build_gives_the_same_site(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["templates", "eject", "docs", str(tmp_path / "ejected")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ejected" / "template.yaml").is_file()
    spec = ROOT / "specs" / "kafka-request-reply.asyncapi.yaml"
    build_docs([spec], tmp_path / "a")
    build_docs([spec], tmp_path / "b", templates_dir=tmp_path / "ejected")
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    a.pop(".asyncgen/manifest.json")
    b.pop(".asyncgen/manifest.json")
    assert a == b


def test_templates_list_shows_the_docs_set() -> None:
    result = CliRunner().invoke(main, ["templates", "list"])
    assert result.exit_code == 0
    assert "docs:" in result.output and "index.html" in result.output


# -- corpus ------------------------------------------------------------------------------


def _corpus_specs() -> list[str]:
    from test_parse_corpus import corpus_specs

    return corpus_specs()


@pytest.mark.parametrize("spec", _corpus_specs())
def test_corpus_spec_builds(shared_dir: Path, tmp_path: Path, spec: str) -> None:
    path = shared_dir / "corpus" / spec
    api, sources, _ = load_api(path, corpus_load_options(path))
    build_docs_from_apis([api], tmp_path / "site", sources=[sources])
    assert_links_resolve(tmp_path / "site")


def test_avro_and_protobuf_payloads_note_their_format(shared_dir: Path, tmp_path: Path) -> None:
    specs = [
        shared_dir / "corpus" / "asyncapi" / "2.x" / "asyncapi__avro-schema-parser__valid-asyncapi.yaml",
        shared_dir / "corpus" / "asyncapi" / "3.0" / "asyncapi__protobuf-schema-parser__complex.proto3.yaml",
    ]
    apis = [load_api(p, corpus_load_options(p))[0] for p in specs]
    build_docs_from_apis(apis, tmp_path / "site")
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").glob("*.html"))
    assert (
        "Avro schema (application/vnd.apache.avro;version=1.9.0), shown as its converted JSON Schema" in text
    )
    assert (
        "Protobuf schema (application/vnd.google.protobuf;version=3), shown as its converted JSON Schema"
        in text
    )


def test_recursive_schemas_are_shown_once_and_linked(shared_dir: Path, tmp_path: Path) -> None:
    path = (
        shared_dir
        / "corpus"
        / "asyncapi"
        / "2.x"
        / "asyncapi__parser-js__circular-refs"
        / "circular-refs.yaml"
    )
    api, _, _ = load_api(path, corpus_load_options(path))
    build_docs_from_apis([api], tmp_path / "site")
    html = (tmp_path / "site" / "my_circular_api.html").read_text(encoding="utf-8")
    assert html.count('<article class="schema-def" id="schema-RecursiveSelf">') == 1
    assert '<a href="#schema-RecursiveSelf">array of RecursiveSelf</a> <span class="badge rec"' in html
    assert_links_resolve(tmp_path / "site")


def test_synthesised_example_when_the_spec_has_none(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from synth import write_spec

    spec = write_spec(3, tmp_path / "spec")
    build_docs([spec], tmp_path / "site", load_options=LoadOptions())
    html = (tmp_path / "site" / "synthetic_3.html").read_text(encoding="utf-8")
    assert '<span class="badge">synthesised</span>' in html
    assert "00000000-0000-4000-8000-000000000000" in html  # format uuid
    build_docs([spec], tmp_path / "plain", params={"examples": "false"})
    assert "synthesised" not in (tmp_path / "plain" / "synthetic_3.html").read_text(encoding="utf-8")


def test_webhook_linked_to_the_channel_with_the_same_payload_schema(tmp_path: Path) -> None:
    payload = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "total": {"type": "number", "minimum": 0}},
    }
    events = {
        "asyncapi": "3.0.0",
        "info": {"title": "Shop events", "version": "1"},
        "channels": {"orderPaid": {"address": "shop/order/paid", "messages": {"paid": {"payload": payload}}}},
        "operations": {"sendPaid": {"action": "send", "channel": {"$ref": "#/channels/orderPaid"}}},
    }
    api = {
        "openapi": "3.1.0",
        "info": {"title": "Shop API", "version": "1"},
        "paths": {},
        "webhooks": {
            "orderPaid": {
                "post": {
                    "operationId": "notifyOrderPaid",
                    "requestBody": {
                        "content": {"application/json": {"schema": {**payload, "title": "Paid"}}}
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    (tmp_path / "events.yaml").write_text(yaml.safe_dump(events), encoding="utf-8")
    (tmp_path / "api.yaml").write_text(yaml.safe_dump(api), encoding="utf-8")
    build_docs([tmp_path / "events.yaml", tmp_path / "api.yaml"], tmp_path / "site")
    api_page = (tmp_path / "site" / "shop_api.html").read_text(encoding="utf-8")
    events_page = (tmp_path / "site" / "shop_events.html").read_text(encoding="utf-8")
    assert '<section class="webhook" id="webhook-orderPaid">' in api_page
    assert 'Fed by channel: <a href="shop_events.html#channel-orderPaid"' in api_page
    assert 'href="shop_api.html#http-notifyOrderPaid"' in events_page
    assert_links_resolve(tmp_path / "site")
