"""validate: OpenAPI 3.0/3.1 through openapi-spec-validator, located in our format."""

from __future__ import annotations

import textwrap
from pathlib import Path

from asyncgen.errors import SpecError
from asyncgen.load import load
from asyncgen.validate import validate

PETS = """\
openapi: {version}
info:
  title: Pets
  version: 1.0.0
paths:
  /pets/{{petId}}:
    get:
      operationId: getPet
      parameters:
        - name: petId
          in: path
          required: true
          schema:
            type: string
      responses:
        '200':
          description: a pet
          content:
            application/json:
              schema:
                $ref: 'schemas.yaml#/Pet'
"""

SCHEMAS = """\
Pet:
  type: object
  properties:
    name: {type: string}
"""


def run(tmp_path: Path, text: str, schemas: str = SCHEMAS) -> list[SpecError]:
    (tmp_path / "schemas.yaml").write_text(textwrap.dedent(schemas), encoding="utf-8")
    path = tmp_path / "api.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return validate(load(path))


def test_valid_30_and_31_with_an_external_ref(tmp_path: Path) -> None:
    assert run(tmp_path, PETS.format(version="3.0.3")) == []
    assert run(tmp_path, PETS.format(version="3.1.0")) == []


def test_servers_must_be_an_array_located(tmp_path: Path) -> None:
    spec = PETS.format(version="3.1.0").replace("paths:", "servers:\n  url: /v1\npaths:")
    (err,) = run(tmp_path, spec)
    assert err.message == "an object is not of type 'array'"
    assert (err.line, err.pointer) == (6, "/servers")


def test_31_needs_paths_components_or_webhooks(tmp_path: Path) -> None:
    (err,) = run(tmp_path, "openapi: 3.1.0\ninfo:\n  title: t\n  version: '1'\n")
    assert err.message == "needs at least one of `paths`, `components`, `webhooks`"


def test_one_error_per_root_cause_and_deepest_leaf(tmp_path: Path) -> None:
    spec = PETS.format(version="3.0.3").replace("          in: path\n", "          in: body\n")
    found = run(tmp_path, spec)
    assert len(found) == 1
    assert found[0].pointer.startswith("/paths/~1pets~1{petId}/get/parameters/0")
    assert found[0].line >= 9


def test_semantic_library_checks_run_when_the_schema_passes(tmp_path: Path) -> None:
    # a path parameter that is not declared: the library's own (non-schema) check
    spec = PETS.format(version="3.0.3").replace("/pets/{petId}:", "/pets/{petId}/{other}:")
    found = run(tmp_path, spec)
    assert found and "other" in found[0].message
