"""naming: safe, deterministic, unique Python names from spec text."""

from __future__ import annotations

import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asyncgen.naming import RESERVED, Namer, class_name, ident, package_name, pascal, snake


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lightMeasured", "light_measured"),
        ("Light Measured", "light_measured"),
        ("light-measured", "light_measured"),
        ("HTTPServer", "http_server"),
        ("userID", "user_id"),
        ("v2Api", "v2_api"),
        (
            "smartylighting/streetlights/1/0/event/{streetlightId}",
            "smartylighting_streetlights_1_0_event_streetlight_id",
        ),
        ("user.signedup", "user_signedup"),
        ("Ünïcödé café", "unicode_cafe"),
        ("1st-channel", "n1st_channel"),
        ("class", "class_"),
        ("match", "match_"),
        ("type", "type_"),
        ("_", "item"),
        ("日本語", "item"),
        ("", "item"),
        ("!!!", "item"),
        ("id", "id"),  # builtins are fine as names
        ("__init__", "init"),
    ],
)
def test_ident(text: str, expected: str) -> None:
    assert ident(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lightMeasuredPayload", "LightMeasuredPayload"),
        ("light_measured", "LightMeasured"),
        ("HTTP server", "HttpServer"),
        ("1st channel", "N1stChannel"),
        ("none", "None_"),
        ("true", "True_"),
        ("naïve", "Naive"),
        ("", "Item"),
        ("io.github.springwolf.Dto", "IoGithubSpringwolfDto"),
    ],
)
def test_class_name(text: str, expected: str) -> None:
    assert class_name(text) == expected


def test_snake_and_pascal_may_be_empty() -> None:
    assert snake("---") == ""
    assert pascal("---") == ""


def test_namer_collisions_by_call_order() -> None:
    namer = Namer()
    assert namer.name("1st-channel", key="a") == "n1st_channel"
    assert namer.name("1st_channel", key="b") == "n1st_channel_2"
    assert namer.name("1st channel", key="c") == "n1st_channel_3"
    assert namer.name("anything", key="a") == "n1st_channel"  # same key, same name


def test_namer_pascal_suffix_and_alternatives() -> None:
    namer = Namer("pascal")
    assert namer.name("order", key=1) == "Order"
    assert namer.name("Order", key=2, alternatives=("order message",)) == "OrderMessage"
    assert namer.name("ORDER", key=3) == "Order2"
    assert namer.name("order2", key=4) == "Order22"


def test_namer_reserved() -> None:
    namer = Namer(reserved={"settings"})
    assert namer.name("settings") == "settings_2"


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@given(texts)
def test_ident_is_always_a_safe_identifier(text: str) -> None:
    name = ident(text)
    assert name.isidentifier()
    assert name.isascii()
    assert not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
    assert name not in RESERVED
    assert ident(text) == name  # deterministic


@given(texts)
def test_class_name_is_always_a_safe_identifier(text: str) -> None:
    name = class_name(text)
    assert name.isidentifier() and name.isascii()
    assert not keyword.iskeyword(name)
    assert name[0].isupper()


@given(st.lists(texts, max_size=30), st.sampled_from(["snake", "pascal"]))
def test_namer_names_are_unique_and_deterministic(items: list[str], style: str) -> None:
    first = Namer(style)  # type: ignore[arg-type]
    second = Namer(style)  # type: ignore[arg-type]
    names = [first.name(t, key=i) for i, t in enumerate(items)]
    assert len(set(names)) == len(names)
    assert all(n.isidentifier() and not keyword.iskeyword(n) for n in names)
    assert names == [second.name(t, key=i) for i, t in enumerate(items)]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Streetlights Kafka API", "streetlights_kafka_api"),
        ("Email", "email_service"),
        ("JSON", "json_service"),
        ("pydantic", "pydantic_service"),
        ("tests", "tests_service"),
        ("", "api"),
        ("Ünïcode Événements", "unicode_evenements"),
        ("class", "class_"),
    ],
)
def test_package_name(title: str, expected: str) -> None:
    assert package_name(title) == expected
