"""dcg in a forked, pre-warmed worker (asyncgen.dcgworker): the same bytes as in-process, or in-process.

Every case compares the worker's result with the in-process one (code, class names,
warnings, cache bytes, mode), and every failure of the worker must fall back to the
in-process path with the reason recorded. Never judged by timing.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import project_cache

from asyncgen import dcgworker, schemas
from asyncgen.errors import GenerationError
from asyncgen.generate import generate
from asyncgen.model import Api, SchemaDef
from asyncgen.models_cache import ModelsRun, build_models

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_models_cache import _api_of, _mutations

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synth import synth_spec


@pytest.fixture(autouse=True)
def _single_threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    if threading.active_count() != 1:  # the worker is (rightly) never forked then
        pytest.skip("other threads are running in this test process: no worker is forked")
    monkeypatch.setitem(schemas._STATE, "warm", False)  # as in a fresh process (else: in-process)
    monkeypatch.setenv("ASYNCGEN_DCG_WORKER", "1")  # whatever the machine's load


def _start() -> dcgworker.DcgWorker:
    """A worker as a fresh process forks it (the in-process comparisons warm dcg here)."""
    schemas._STATE["warm"] = False
    return dcgworker.start()


def _same(a: ModelsRun, b: ModelsRun) -> None:
    assert a.module.code == b.module.code
    assert a.module.class_names == b.module.class_names
    assert a.module.warnings == b.module.warnings
    assert a.module.extra_dependencies == b.module.extra_dependencies
    assert a.cache == b.cache
    assert (a.mode, a.regenerated, a.reason) == (b.mode, b.regenerated, b.reason)


def _api(defs: dict[str, Any]) -> Api:
    return Api("asyncapi", "3.0.0", "T", "1", "t", schemas=tuple(SchemaDef(n, s) for n, s in defs.items()))


def test_worker_and_in_process_agree_on_random_changes(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    doc = synth_spec(8)
    doc["components"]["schemas"]["Money"] = {"type": "object", "properties": {"amount": {"type": "number"}}}
    doc["components"]["schemas"]["Entity1Payload"]["properties"]["price"] = {
        "$ref": "#/components/schemas/Money"
    }
    doc["components"]["schemas"]["Entity2Payload"]["properties"]["email"] = {
        "type": "string",
        "format": "email",
    }
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    api = _api_of(spec)
    with _start() as worker:
        full = build_models(api, None, worker)
        assert worker.note == "worker"
    _same(full, build_models(api, None))
    assert full.module.extra_dependencies  # EmailStr travelled through the worker's code
    cache = tmp_path / "models-cache.json"
    cache.write_bytes(full.cache)
    rng = random.Random(11)
    modes = set()
    for schema_def in rng.sample(list(api.schemas), 3):
        for _, new_schema in _mutations(rng, schemas._plain(schema_def.schema)):
            changed = replace(
                api,
                schemas=tuple(replace(d, schema=new_schema) if d is schema_def else d for d in api.schemas),
            )
            with _start() as worker:
                in_worker = build_models(changed, cache, worker)
                assert worker.note == ("worker" if in_worker.mode != "cached" else None), in_worker.mode
            _same(in_worker, build_models(changed, cache))
            modes.add(in_worker.mode)
    assert {"incremental", "full"} <= modes


def test_dcg_warnings_and_errors_come_back_as_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    original = schemas._run_dcg

    def noisy(document: dict[str, Any], metadata: Path) -> str:
        warnings.warn("something odd", UserWarning, stacklevel=1)
        return original(document, metadata)

    monkeypatch.setattr(schemas, "_run_dcg", noisy)  # the fork inherits it
    api = _api({"A": {"type": "object", "properties": {"x": {"type": "integer"}}}})
    with _start() as worker:
        run = build_models(api, None, worker)
        assert worker.note == "worker"
    assert run.module.warnings == ("datamodel-code-generator: something odd",)
    _same(run, build_models(api, None))

    broken = _api({"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/Missing"}}}})
    with pytest.raises(GenerationError) as in_process:
        build_models(broken, None)
    with _start() as worker, pytest.raises(GenerationError) as in_worker:
        build_models(broken, None, worker)
    assert in_worker.value.message == in_process.value.message


def test_a_dead_worker_falls_back_to_in_process() -> None:
    api = _api({"A": {"type": "object", "properties": {"x": {"type": "string", "maxLength": 3}}}})
    with _start() as worker:
        worker.process.kill()
        worker.process.join(5)
        run = build_models(api, None, worker)
        assert (worker.note or "").startswith("in-process: the worker failed"), worker.note
        assert worker.process is None
    _same(run, build_models(api, None))


def test_documents_that_are_not_plain_json_run_in_process() -> None:
    with _start() as worker:
        [(run, segments)] = worker.run([{"$defs": {"A": {"type": "number", "maximum": float("nan")}}}])
        assert (worker.note or "").startswith("in-process: the schemas are not plain JSON"), worker.note
    assert "class A" in run.code
    assert segments == run.segments == schemas.class_offsets(run.code)  # offsets in-process too
    with _start() as worker:  # not UTF-8: never sent
        [(run, _)] = worker.run([{"$defs": {"A": {"type": "string", "description": "\ud800"}}}])
        assert (worker.note or "").startswith("in-process: the schemas are not plain JSON"), worker.note
    assert "class A" in run.code


def test_switched_off_by_the_environment_or_a_warm_process(monkeypatch: pytest.MonkeyPatch) -> None:
    build_models(_api({"A": {"type": "string"}}), None)  # dcg warm in this process now
    with dcgworker.start() as worker:
        assert worker.process is None
        assert worker.note == "in-process: datamodel-code-generator is warm in this process already"
    schemas._STATE["warm"] = False
    monkeypatch.setenv("ASYNCGEN_DCG_WORKER", "0")
    with _start() as worker:
        assert worker.process is None and worker.note == "in-process: ASYNCGEN_DCG_WORKER=0"


def test_the_main_process_works_meanwhile_only_beside_a_worker() -> None:
    api = _api({"A": {"type": "object", "properties": {"x": {"type": "integer"}}}})
    calls: list[str | None] = []
    with _start() as worker:
        run = build_models(api, None, worker, lambda: calls.append(worker.note))
        assert worker.note == "worker"
        worker.close(wait=False)  # signalled, not waited for (generate goes on to render)
        process = worker.process
        assert worker.conn is None and process is not None
    assert worker.process is None and process.exitcode is not None  # reaped by the last close()
    assert calls == [None]  # once, before the answer came
    _same(run, build_models(api, None, None, lambda: calls.append("in-process")))
    assert calls == [None]  # in-process there is nothing to wait for
    with _start() as worker, pytest.raises(ZeroDivisionError):
        build_models(api, None, worker, lambda: calls.append(str(1 // 0)))  # its own error, as it is


def test_generate_reports_where_dcg_ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "s.yaml"
    doc = synth_spec(4)
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    first = generate(spec, tmp_path / "out", formatter="ruff")
    assert (first.models_mode, first.models_worker) == ("full", "worker")
    doc["components"]["schemas"]["Entity1Payload"]["properties"]["note"] = {"type": "string"}
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    again = generate(spec, tmp_path / "out", formatter="ruff")
    assert (again.models_mode, again.to_json()["models"]["worker"]) == ("incremental", "worker")
    assert generate(spec, tmp_path / "cold-worker", formatter="ruff").models_worker == "worker"
    monkeypatch.setenv("ASYNCGEN_DCG_WORKER", "0")
    cold = generate(spec, tmp_path / "cold", formatter="ruff")
    assert cold.models_worker == "in-process: ASYNCGEN_DCG_WORKER=0"
    for path in (tmp_path / "cold").rglob("*"):
        if path.is_file():
            for other in ("out", "cold-worker"):  # incremental, and cold with the head start
                assert (
                    path.read_bytes() == (tmp_path / other / path.relative_to(tmp_path / "cold")).read_bytes()
                )
    # nothing to do: no dcg run, and the worker is not kept alive
    assert generate(spec, tmp_path / "out", formatter="ruff", check=True).models_worker is None
    assert json.loads((project_cache(tmp_path / "out") / "models-cache.json").read_text())["defs"]


def _messages() -> tuple[list[Any], dict[str, Any]]:
    from asyncgen.model import Message, MessageExample

    defs: dict[str, Any] = {"Id": {"type": "string", "format": "uuid"}}
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#/$defs/Id"}}}

    def message(key: str, payload: dict[str, Any], *examples: Any) -> Message:
        shown = tuple(MessageExample(payload=e, has_payload=True) for e in examples)
        return Message(key=key, ident=key, class_name=key, payload=SchemaDef(key, payload), examples=shown)

    return [
        message("a", schema),  # synthesised, through a $ref
        message("b", schema, {"id": 5}, {"id": "given"}),  # the first valid example
        message("c", {"type": "integer", "minimum": 3}, "nope"),
        message("e", {"type": "object", "required": ["x"], "properties": {"x": {"not": {}}}}),  # none
    ], defs


def test_examples_made_beside_a_small_dcg_request_come_from_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from asyncgen import examples
    from asyncgen.examples import ExampleCache, _example_for, example_for, examples_engine, use_example_cache

    messages, defs = _messages()
    cold = [_example_for(m, defs) for m in messages]
    made: list[Any] = []
    monkeypatch.setattr(examples, "_example_for", lambda m, d: made.append(m.key) or _example_for(m, d))
    api = _api({"A": {"type": "object", "properties": {"x": {"type": "integer"}}}})

    def lookups(cache: ExampleCache) -> list[Any]:
        with use_example_cache(cache):
            return [example_for(m, defs) for m in messages]

    cache = ExampleCache({}, examples_engine())
    with _start() as worker:
        _same(
            build_models(api, None, worker, lambda: cache.prefetch(messages, defs, worker)),
            build_models(api, None),
        )
        assert worker.note == "worker"
    assert made == [] and len(cache.ready) == 4  # every example from the worker
    assert [found for _, found in cold] == [True, True, True, False]
    assert lookups(cache) == cold and made == []
    assert cache.to_bytes() == _cold_cache(messages, defs)

    # beside a dcg request over more defs: the worker is busy, the examples are made here
    monkeypatch.setattr(dcgworker, "EXAMPLES_BESIDE_DEFS", 0)
    made.clear()
    cache = ExampleCache({}, examples_engine())
    with _start() as worker:
        build_models(api, None, worker, lambda: cache.prefetch(messages, defs, worker))
    assert made == ["a", "b", "c", "e"] and lookups(cache) == cold
    monkeypatch.undo()


def test_examples_the_worker_cannot_answer_exactly_are_made_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from asyncgen import examples
    from asyncgen.examples import ExampleCache, _example_for, example_for, examples_engine, use_example_cache

    messages, defs = _messages()
    made: list[Any] = []
    monkeypatch.setattr(examples, "_example_for", lambda m, d: made.append(m.key) or _example_for(m, d))
    api = _api({"A": {"type": "object", "properties": {"x": {"type": "integer"}}}})
    # a schema with NaN: no JSON round trip, so none of the jobs is sent
    odd = replace(messages[2], key="d", payload=SchemaDef("d", {"type": "number", "maximum": float("nan")}))
    cache = ExampleCache({}, examples_engine())
    with _start() as worker:
        _same(build_models(api, None, worker, lambda: cache.prefetch([*messages, odd], defs, worker)),
              build_models(api, None))  # fmt: skip
        assert worker.note == "worker"
    assert made == ["a", "b", "c", "e", "d"]

    # the worker dies after the request: the models are made in-process, the examples at use
    made.clear()
    cache = ExampleCache({}, examples_engine())

    def dies(worker: dcgworker.DcgWorker) -> None:
        cache.prefetch(messages, defs, worker)
        worker.process.kill()
        worker.process.join(5)

    with _start() as worker:
        _same(build_models(api, None, worker, lambda: dies(worker)), build_models(api, None))
        assert (worker.note or "").startswith("in-process: the worker failed"), worker.note
    assert made == [] and not cache.ready
    with use_example_cache(cache):
        assert [example_for(m, defs) for m in messages] == [_example_for(m, defs) for m in messages]
    assert made == ["a", "b", "c", "e"]  # at the lookups


def _cold_cache(messages: list[Any], defs: dict[str, Any]) -> bytes:
    from asyncgen.examples import example_cache, example_for, examples_engine

    with example_cache({}, examples_engine()) as cache:
        for m in messages:
            example_for(m, defs)
    return cache.to_bytes()
