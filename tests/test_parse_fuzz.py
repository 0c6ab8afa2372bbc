"""parse never crashes: any loadable document gives an Api or a SpecError.

Validation normally runs first, but parse is a public function and must not turn
a malformed (or unforeseen) document into a traceback. Random values are planted
at random places of valid specs of every family.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parse_support import parse_data
from test_parse_asyncapi2 import LIGHTS
from test_parse_asyncapi3 import RPC
from test_parse_openapi import ORDERS

from asyncgen.errors import AsyncgenError, Diagnostics
from asyncgen.inspect import summarize

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=5), st.just("{x}")),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["type", "payload", "messages", "address", "x", "$ref", "properties", "items"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            if key != "$ref":
                out += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += paths(child, (*prefix, index))
    return out


def plant(spec: dict[str, Any], where: tuple[Any, ...], value: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(spec)
    node: Any = mutated
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    return mutated


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([LIGHTS, RPC, ORDERS]), st.data())
def test_parse_survives_random_values_anywhere(spec: dict[str, Any], data: st.DataObject) -> None:
    candidates = [p for p in paths(spec) if len(p) > 1]
    where = data.draw(st.sampled_from(candidates))
    mutated = plant(spec, where, data.draw(json_values))
    try:
        api = parse_data(mutated, Diagnostics())
    except AsyncgenError:
        return  # a located SpecError (from load or parse) is a fine answer
    summarize(api)
