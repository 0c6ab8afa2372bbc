"""SchemaDefs -> pydantic v2 models through datamodel-code-generator, in one call."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from asyncgen.errors import GenerationError
from asyncgen.model import Api, SchemaDef
from asyncgen.schemas import ModelsModule, extra_dependencies, generate_models

AWKWARD_ENUM = ['a"b', "{{ x }}", "line\nbreak", "class", "1abc", "", "a b", "A B", "'''", '"""', "\\"]

SCHEMAS: dict[str, dict[str, Any]] = {
    "LightMeasured": {
        "type": "object",
        "description": 'Has """ and {{ braces }} and a \\ backslash',
        "required": ["id", "sentAt"],
        "properties": {
            "id": {"type": "integer", "minimum": 0, "description": 'ends with a quote"'},
            "lumens": {"type": "integer", "maximum": 1000},
            "sentAt": {"type": "string", "format": "date-time"},
            "user-email": {"type": "string", "format": "email"},
            "deviceId": {"type": "string", "format": "uuid"},
            "homepage": {"type": "string", "format": "uri"},
            "class": {"type": "string"},
            "from": {"type": "string", "maxLength": 3},
            "json": {"type": "string"},
            "we'ird\"name": {"type": "string"},
            "note": {"type": ["string", "null"]},
            "tags": {"type": "object", "additionalProperties": {"type": "integer"}},
            "kind": {"$ref": "#/$defs/Awkward"},
        },
    },
    "Node": {
        "type": "object",
        "properties": {
            "value": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
        },
    },
    "Awkward": {"type": "string", "enum": AWKWARD_ENUM},
    "Level": {"type": "integer", "enum": [1, 2, 30]},
    "Cat": {"type": "object", "required": ["meow"], "properties": {"meow": {"type": "boolean"}}},
    "Dog": {"type": "object", "required": ["bark"], "properties": {"bark": {"type": "boolean"}}},
    "Pet": {"oneOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]},
    "Either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    "CatWithName": {
        "allOf": [{"$ref": "#/$defs/Cat"}, {"type": "object", "properties": {"name": {"type": "string"}}}]
    },
    "Counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    "Bare": {"type": "string", "maxLength": 10},
    "BareNumber": {"type": "number"},
    "MaybeInt": {"type": ["integer", "null"]},
    "BaseModel": {"type": "object", "properties": {"x": {"type": "string"}}},
    "Field": {"type": "string"},
    "Model": {"type": "object", "properties": {"model_config": {"type": "string"}}},
    "Uses": {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/BaseModel"}, "f": {"$ref": "#/$defs/Field"}},
    },
}


def make_api(schemas: dict[str, dict[str, Any]]) -> Api:
    defs = tuple(SchemaDef(name, schema) for name, schema in schemas.items())
    return Api("asyncapi", "3.0.0", "T", "1", "t", schemas=defs)


def load_module(code: str, tmp_path: Path, name: str = "models_under_test") -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def models() -> ModelsModule:
    return generate_models(make_api(SCHEMAS))


@pytest.fixture(scope="module")
def module(models: ModelsModule, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return load_module(models.code, tmp_path_factory.mktemp("models"))


def cls(module: ModuleType, models: ModelsModule, name: str) -> Any:
    return getattr(module, models.class_name(name))


def test_empty_api_gives_a_valid_module(tmp_path: Path) -> None:
    models = generate_models(make_api({}))
    assert models.class_names == {} and models.extra_dependencies == ()
    load_module(models.code, tmp_path, "empty_models")
    compile(models.code, "models.py", "exec")


def test_one_dcg_call_for_all_defs(monkeypatch: pytest.MonkeyPatch) -> None:
    import datamodel_code_generator

    calls: list[Any] = []
    real = datamodel_code_generator.generate

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(datamodel_code_generator, "generate", counting)
    generate_models(
        make_api({f"M{i}": {"type": "object", "properties": {"a": {"type": "string"}}} for i in range(20)})
    )
    assert len(calls) == 1
    assert set(calls[0][0]["$defs"]) == {f"M{i}" for i in range(20)}


def test_class_names_come_from_what_dcg_made(models: ModelsModule, module: ModuleType) -> None:
    assert set(models.class_names) == set(SCHEMAS)
    for name, class_name in models.class_names.items():
        assert isinstance(getattr(module, class_name), type), name
    # dcg renames names that clash with what it imports; we read them, never guess
    assert models.class_name("BaseModel") != "BaseModel"
    assert models.class_name("Field") != "Field"
    with pytest.raises(GenerationError, match="no model class for schema 'Nope'"):
        models.class_name("Nope")


def test_wire_names_in_and_out(models: ModelsModule, module: ModuleType) -> None:
    light = cls(module, models, "LightMeasured")
    wire = {
        "id": 1,
        "sentAt": "2024-05-01T10:00:00Z",
        "user-email": "a@example.com",
        "deviceId": str(uuid.UUID(int=5)),
        "homepage": "https://example.com/",
        "class": "c",
        "from": "abc",
        "json": "j",
        "we'ird\"name": "w",
        "note": None,
        "tags": {"a": 1},
        "kind": "{{ x }}",
    }
    parsed = light.model_validate(wire)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == wire
    assert parsed.class_ == "c" and parsed.from_ == "abc"
    by_field = light(id=2, sent_at="2024-05-01T10:00:00Z", class_="x")  # populate_by_name
    assert by_field.model_dump(mode="json", by_alias=True, exclude_unset=True)["class"] == "x"
    with pytest.raises(ValueError):
        light.model_validate({**wire, "from": "toolong"})  # maxLength kept as a constraint
    with pytest.raises(ValueError):
        light.model_validate({**wire, "id": -1})
    with pytest.raises(ValueError):
        light.model_validate({**wire, "sentAt": "2024-05-01T10:00:00"})  # date-time needs a zone


def test_awkward_enum_values_survive_exactly(models: ModelsModule, module: ModuleType) -> None:
    enum = cls(module, models, "Awkward")
    assert [member.value for member in enum] == AWKWARD_ENUM
    assert enum("line\nbreak") == "line\nbreak"
    level = cls(module, models, "Level")
    assert [member.value for member in level] == [1, 2, 30]


def test_recursive_union_allof_maps_and_primitives(models: ModelsModule, module: ModuleType) -> None:
    node = cls(module, models, "Node").model_validate(
        {"value": "a", "children": [{"value": "b", "children": []}]}
    )
    assert node.children[0].value == "b"
    pet = cls(module, models, "Pet")
    assert type(pet.model_validate({"bark": True}).root).__name__ == models.class_name("Dog")
    assert type(pet.model_validate({"meow": True}).root).__name__ == models.class_name("Cat")
    assert cls(module, models, "Either").model_validate(3).root == 3
    both = cls(module, models, "CatWithName").model_validate({"meow": True, "name": "Tom"})
    assert both.meow is True and both.name == "Tom"
    assert cls(module, models, "Counts").model_validate({"x": 1}).root == {"x": 1}
    with pytest.raises(ValueError):
        cls(module, models, "Counts").model_validate({"x": "one"})
    assert cls(module, models, "Bare").model_validate("short").root == "short"
    with pytest.raises(ValueError):
        cls(module, models, "Bare").model_validate("much too long")
    assert cls(module, models, "MaybeInt").model_validate(None).root is None
    assert cls(module, models, "BareNumber").model_validate(1.5).root == 1.5
    uses = cls(module, models, "Uses").model_validate({"a": {"x": "1"}, "f": "s"})
    assert uses.a.x == "1"


def test_email_needs_email_validator(models: ModelsModule) -> None:
    assert models.extra_dependencies == ("email-validator>=2.0",)
    assert extra_dependencies("from pydantic import BaseModel\n") == ()
    assert extra_dependencies("from pydantic import (\n    BaseModel,\n    EmailStr,\n)\n") == (
        "email-validator>=2.0",
    )


def test_spec_text_stays_in_literals(models: ModelsModule) -> None:
    compile(models.code, "models.py", "exec")
    assert "description='ends with a quote\"'" in models.code  # descriptions only as repr'd literals


def test_generated_models_are_mypy_strict_clean(models: ModelsModule, tmp_path: Path) -> None:
    path = tmp_path / "models.py"
    path.write_text(models.code)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-version", "3.11", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_deterministic(models: ModelsModule) -> None:
    again = generate_models(make_api(SCHEMAS))
    assert again.code == models.code and again.class_names == models.class_names


def test_the_ir_is_not_mutated() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/B"}}}
    b = {"type": "string"}
    api = make_api({"A": schema, "B": b})
    generate_models(api)
    assert schema == {"type": "object", "properties": {"a": {"$ref": "#/$defs/B"}}} and b == {
        "type": "string"
    }


def test_dcg_failure_is_a_generation_error() -> None:
    with pytest.raises(GenerationError, match="datamodel-code-generator"):
        generate_models(make_api({"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/Missing"}}}}))


def test_repeated_names_are_refused() -> None:
    api = Api("asyncapi", "3.0.0", "T", "1", "t", schemas=(SchemaDef("A", {}), SchemaDef("A", {})))
    with pytest.raises(GenerationError, match="schema names repeat: A"):
        generate_models(api)


def test_dcg_warnings_are_collected_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import warnings

    from asyncgen import schemas

    def noisy(document: dict[str, Any], metadata: Path) -> str:
        warnings.warn("something odd", UserWarning, stacklevel=1)
        models = [{"source_ref": "#/$defs/A", "class_name": "A"}]
        metadata.write_text(json.dumps({"version": 1, "models": models}))
        return "class A:\n    pass\n"

    monkeypatch.setattr(schemas, "_run_dcg", noisy)
    models = generate_models(make_api({"A": {"type": "string"}}))  # filterwarnings=error would raise
    assert models.warnings == ("datamodel-code-generator: something odd",)


def test_remote_refs_are_never_fetched() -> None:
    with pytest.raises(GenerationError, match="remote"):
        generate_models(
            make_api({"A": {"type": "object", "properties": {"b": {"$ref": "https://example.com/x"}}}})
        )


def test_a_class_missing_from_dcg_metadata_is_found_in_the_code() -> None:
    """dcg 0.89 leaves an allOf of enums out of its model metadata but writes the class."""
    models = generate_models(
        make_api(
            {
                "A": {"type": "object", "properties": {"c": {"$ref": "#/$defs/C"}}},
                "B": {"type": "string", "enum": ["X", "Y"]},
                "C": {"allOf": [{"$ref": "#/$defs/B"}, {"type": "string", "enum": ["X"]}]},
            }
        )
    )
    assert models.class_names == {"A": "A", "B": "B", "C": "C"}
    assert "class C(" in models.code


DEFAULTS: dict[str, dict[str, Any]] = {
    "Flag": {"type": "boolean", "default": False},
    "Kind": {"type": "string", "enum": ["a b", "c"]},
    "Settings": {
        "type": "object",
        "properties": {
            "flag": {"$ref": "#/$defs/Flag"},
            "kind": {"$ref": "#/$defs/Kind", "default": "a b"},
            "wrong": {"type": "boolean", "default": "false"},
            "age": {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 0}], "default": None},
        },
    },
}


def test_defaults_are_typed(tmp_path: Path) -> None:
    models = generate_models(make_api(DEFAULTS))
    assert models.warnings == (
        "default 'false' at #/$defs/Settings/properties/wrong does not fit type boolean; ignored",
    )
    assert set(models.class_names) == set(DEFAULTS)
    path = tmp_path / "defaults_models.py"
    path.write_text(models.code)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + models.code
    module = load_module(models.code, tmp_path, "defaults_models")
    settings = cls(module, models, "Settings")()
    assert (
        settings.flag is False and settings.kind == "a b" and settings.wrong is None and settings.age is None
    )
    with pytest.raises(ValueError):
        cls(module, models, "Settings").model_validate({"age": -1})
    assert DEFAULTS["Settings"]["properties"]["wrong"] == {
        "type": "boolean",
        "default": "false",
    }  # IR untouched


@pytest.mark.parametrize(
    "imports",
    [
        # a multi-line import merged into one line
        "from typing import (\n    Any,\n    Literal,\n)\n\nfrom pydantic import BaseModel\n",
        "from enum import Enum\n\nfrom pydantic import BaseModel, Field\n",  # typing inserted
        "",  # no import at all: both inserted on top
    ],
)
def test_class_offsets_after_omit_none_need_no_second_parse(imports: str) -> None:
    """run_document derives the offsets of the edited code from the tree of dcg's code."""
    import ast

    from asyncgen.schemas import class_offsets, omit_none

    code = (
        f"# header\n\nfrom __future__ import annotations\n\n{imports}\n\n"
        "class A(BaseModel):\n    x: int | None = None\n    y: Literal['a'] | None = None\n\n\n"
        '@decorated\nclass B(BaseModel):\n    """class C:\n@not a decorator"""\n\n'
        "    z: Annotated[\n        str | None, Field(max_length=3)\n    ] = None\n"
    )
    tree = ast.parse(code)
    edited = omit_none(code, tree, {"A": {"x", "y"}, "B": {"z"}})
    assert edited.count("exclude_if") == 3
    derived = class_offsets(edited, tree, edited.count("\n") - code.count("\n"))
    assert (
        derived
        == class_offsets(edited)
        == [["A", edited.index("class A")], ["B", edited.index("@decorated")]]
    )
