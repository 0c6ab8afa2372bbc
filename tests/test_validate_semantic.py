"""validate: the semantic checks a JSON Schema cannot express."""

from __future__ import annotations

import textwrap
from pathlib import Path

from asyncgen.errors import SpecError
from asyncgen.load import load
from asyncgen.validate import check
from tests.test_validate import V2, V3, run


def semantic(tmp_path: Path, text: str) -> list[SpecError]:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    report = check(load(path))
    assert [e for e in report.structural if e.severity == "error"] == []
    return report.semantic


COMPONENT_CHANNEL = V3 + textwrap.dedent(
    """\
    components:
      channels:
        spare:
          address: spare
          messages:
            other:
              payload: {type: string}
    """
)


def test_operation_channel_must_be_a_root_channel(tmp_path: Path) -> None:
    spec = COMPONENT_CHANNEL.replace(
        "      $ref: '#/channels/lightMeasured'", "      $ref: '#/components/channels/spare'"
    )
    spec = spec.replace(
        "      - $ref: '#/channels/lightMeasured/messages/measured'",
        "      - $ref: '#/components/channels/spare/messages/other'",
    )
    (err,) = semantic(tmp_path, spec)
    assert err.message == "operation 'onLightMeasured': `channel` must refer to a channel in `#/channels`"
    assert err.pointer == "/operations/onLightMeasured/channel"


def test_operation_messages_must_be_messages_of_its_channel(tmp_path: Path) -> None:
    spec = COMPONENT_CHANNEL.replace(
        "      - $ref: '#/channels/lightMeasured/messages/measured'",
        "      - $ref: '#/components/channels/spare/messages/other'",
    )
    (err,) = semantic(tmp_path, spec)
    assert err.message == "operation 'onLightMeasured': message 0 is not one of its channel's messages"
    assert err.hint is not None and "the channel has `measured`" in err.hint


def test_channel_parameters_declared_and_used(tmp_path: Path) -> None:
    spec = V3.replace("address: light/{id}/measured", "address: light/{lightId}/measured")
    found = semantic(tmp_path, spec)
    assert [e.message for e in found] == [
        "channel address 'light/{lightId}/measured' uses `{lightId}` but the declared parameter is `id`"
    ]
    spec = V3.replace("address: light/{id}/measured", "address: light/{id}/{kind}/measured")
    (err,) = semantic(tmp_path, spec)
    assert err.message.endswith("uses `{kind}` but `parameters` does not declare `kind`")
    spec = V3.replace("address: light/{id}/measured", "address: light/measured")
    (err,) = semantic(tmp_path, spec)
    assert err.message == "parameter `id` is declared but the channel address 'light/measured' has no `{id}`"


def test_2x_channel_parameters(tmp_path: Path) -> None:
    (err,) = semantic(tmp_path, V2.replace("  light/{id}/measured:", "  light/{ident}/measured:"))
    assert "uses `{ident}`" in err.message or "`id` is declared" in err.message


def test_duplicate_operation_ids(tmp_path: Path) -> None:
    spec = (
        V2
        + "  other:\n    subscribe:\n      operationId: onLightMeasured\n"
        + "      message:\n        payload: {}\n"
    )
    (err,) = semantic(tmp_path, spec)
    assert err.message == "operationId 'onLightMeasured' is used twice"
    assert err.hint is not None and "the first is at" in err.hint


def test_message_names_unique_per_channel(tmp_path: Path) -> None:
    spec = V3.replace(
        "    messages:\n      measured:\n",
        "    messages:\n      again:\n        name: LightMeasured\n        payload: {type: string}\n"
        "      measured:\n",
    )
    (err,) = semantic(tmp_path, spec)
    assert err.message == "two messages of channel 'lightMeasured' are named 'LightMeasured'"


def test_2x_security_requirement_names_a_scheme(tmp_path: Path) -> None:
    spec = V2.replace("    protocol: mqtt\n", "    protocol: mqtt\n    security:\n      - complex: []\n") + (
        "components:\n  securitySchemes:\n    simple:\n      type: userPassword\n"
    )
    (err,) = semantic(tmp_path, spec)
    assert "names 'complex'" in err.message
    assert err.hint == "defined: `simple`"


def test_2x_channel_servers_exist(tmp_path: Path) -> None:
    spec = V2.replace("    parameters:\n", "    servers: [prod]\n    parameters:\n")
    (err,) = semantic(tmp_path, spec)
    assert err.message == "channel 'light/{id}/measured' lists server 'prod', which `servers` does not define"
    assert err.hint == "did you mean `production`?"


def test_3x_channel_servers_are_root_servers(tmp_path: Path) -> None:
    spec = (
        V3.replace(
            "    address: light/{id}/measured\n",
            "    address: light/{id}/measured\n    servers:\n      - $ref: '#/components/servers/other'\n",
        )
        + "components:\n  servers:\n    other:\n      host: x\n      protocol: mqtt\n"
    )
    (err,) = semantic(tmp_path, spec)
    assert "`servers` must refer to servers in `#/servers`" in err.message


def test_server_variables_declared(tmp_path: Path) -> None:
    (err,) = semantic(tmp_path, V3.replace("host: test.mosquitto.org", "host: '{env}.mosquitto.org'"))
    assert (
        err.message
        == "server `host` '{env}.mosquitto.org' uses `{env}` but `variables` does not declare `env`"
    )


def test_reply_with_address_and_addressed_channel_is_a_warning(tmp_path: Path) -> None:
    spec = V3 + (
        "    reply:\n      address:\n        location: $message.header#/replyTo\n"
        "      channel:\n        $ref: '#/channels/lightMeasured'\n"
    )
    (warning,) = semantic(tmp_path, spec)
    assert warning.severity == "warning"
    assert "its channel's address should be null" in warning.message


def test_reply_address_location_must_be_a_runtime_expression(tmp_path: Path) -> None:
    spec = V3 + "    reply:\n      address:\n        location: replyTo\n"
    (err,) = run(tmp_path, spec)
    assert err.pointer == "/operations/onLightMeasured/reply/address/location"
    assert err.hint is not None and "runtime expression" in err.hint


def test_reply_messages_belong_to_the_reply_channel(tmp_path: Path) -> None:
    spec = V3.replace(
        "channels:\n",
        "channels:\n  replies:\n    address: replies\n    messages:\n"
        "      ok:\n        payload: {type: string}\n",
        1,
    )
    spec += (
        "    reply:\n      channel:\n        $ref: '#/channels/replies'\n      messages:\n"
        "        - $ref: '#/channels/lightMeasured/messages/measured'\n"
    )
    (err,) = semantic(tmp_path, spec)
    assert "reply: message 0 is not one of its channel's messages" in err.message


def test_component_names(tmp_path: Path) -> None:
    (err,) = semantic(tmp_path, V3 + "components:\n  schemas:\n    'bad name':\n      type: string\n")
    assert err.message == "component name 'bad name' in `schemas` is not valid"


def test_semantic_checks_skip_structurally_broken_nodes(tmp_path: Path) -> None:
    # the operation is broken (unknown action): no extra "channel/messages" noise about it
    spec = COMPONENT_CHANNEL.replace("action: receive", "action: recieve").replace(
        "      - $ref: '#/channels/lightMeasured/messages/measured'",
        "      - $ref: '#/components/channels/spare/messages/other'",
    )
    found = run(tmp_path, spec)
    assert len(found) == 1 and "recieve" in found[0].message
