"""datamodel-code-generator (dcg) in a forked worker process, warmed while the main process works.

dcg's fixed cost is per process: it imports most of itself lazily and builds its own
pydantic config models on the first ``generate()`` call (0.3-0.5 s; the next 1-schema
call takes ~5 ms). A regeneration that changes one schema pays it in full for two tiny
dcg calls. The worker only pays off with an idle CPU: it is forked when the load average
leaves half a CPU free (``ASYNCGEN_DCG_WORKER=1``: always, ``=0``: never).
:func:`start` forks a worker as soon as the run knows it is not up to date (the command
line: before its own imports, :mod:`asyncgen.launch`); the worker imports dcg and makes one
throw-away call while the main process imports, loads, validates and parses the spec, then
serves :meth:`DcgWorker.run` requests.

The worker runs the very function the main process would (:func:`asyncgen.schemas.run_document`,
in the same order of calls) and sends back plain JSON (code, class names, dcg's warnings,
the class offsets) over a pipe: the bytes are the same as in-process. Whenever something is off
- not Linux, other threads running (fork would copy their locks), ``ASYNCGEN_DCG_WORKER=0``,
a document that is not plain JSON, the worker died or answered nonsense - the calls run in
the main process instead and :attr:`DcgWorker.note` (then ``GenerateResult.models_worker``)
says why; so they do when dcg already ran in this process (a long-lived caller, a test
session): its start-up is paid, a fork would only cost. dcg's own errors are raised as
in-process (same :class:`GenerationError` text).

Beside a small dcg request (an incremental run's changed groups), the main process's
``meanwhile`` may also hand the worker the few message examples it must make
(:meth:`DcgWorker.examples`): the worker imports jsonschema after its warm-up, so a one-channel
change never imports it in the main process (~40 ms). Only answers that come back exactly (a
JSON round trip gives them unchanged) are taken; the rest, and all of them when the worker
fails, are made in the main process where they are used.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asyncgen.schemas import DcgRun

# asyncgen.schemas and .errors (~25 ms of imports) are imported where they are used: the command
# line forks the worker before them (asyncgen.launch), and the worker imports them while the main
# process does too

#: seconds to wait for the worker's answer before giving up on it (then: in-process)
ANSWER_TIMEOUT = 600.0
#: :meth:`DcgWorker.examples` takes jobs only beside a dcg request over at most this many defs
#: (an incremental run's groups: the worker is soon free; beside a full run it is busy for
#: seconds, and the main process, idle anyway, makes the examples itself) and this many jobs
EXAMPLES_BESIDE_DEFS = 50
EXAMPLES_AT_MOST = 20
_WARM_UP: dict[str, Any] = {"$defs": {"Warm": {"type": "object", "properties": {"a": {"type": "string"}}}}}


def _serve(conn: Any) -> None:  # pragma: no cover - runs in the forked child
    import gc

    gc.disable()  # as the main process's run (asyncgen.gcpause): dcg allocates long-lived graphs
    from asyncgen.errors import GenerationError
    from asyncgen.schemas import run_document

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_document(dict(_WARM_UP))  # imports dcg and builds its config models
            if not conn.poll(0):  # idle still: ready for examples requests too (asyncgen.examples.valid)
                import jsonschema  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except Exception:  # the real call reports whatever is wrong
        pass
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if isinstance(request, dict):  # {"examples": [[schema, payloads, defs], ...]}
            conn.send_bytes(_examples(request["examples"]))
            continue
        answers: list[dict[str, Any]] = []
        for document in request:
            try:
                run = run_document(document)
            except GenerationError as err:
                answers.append({"error": err.message})
                break  # in-process, the first failing call ends the sequence too
            answers.append(
                {
                    "code": run.code,
                    "class_names": dict(run.class_names),
                    "warnings": list(run.dcg_warnings),
                    "segments": run.segments,
                }
            )
        conn.send_bytes(json.dumps(answers, ensure_ascii=False).encode("utf-8"))


def _examples(jobs: list[Any]) -> bytes:  # pragma: no cover - runs in the forked child
    """The answer to an examples request: [example, found] per job, or null where the example
    cannot be made here or would not come back exactly (the main process makes it then)."""
    from asyncgen.examples import example_of

    answers: list[Any] = []
    for schema, payloads, defs in jobs:
        try:
            answer = list(example_of(schema, payloads, defs))
            text = json.dumps(answer, ensure_ascii=False)
            text.encode("utf-8")  # a lone surrogate fails
            answers.append(answer if json.loads(text) == answer else None)
        except Exception:
            answers.append(None)
    return json.dumps(answers, ensure_ascii=False).encode("utf-8")


def _busy() -> str | None:
    """Why the machine has no idle CPU for a worker (None: it has one, or we cannot tell)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return None
    cpus = os.cpu_count() or 1
    if load >= cpus - 0.5:
        return f"no idle CPU (load average {load:.1f} on {cpus} CPUs): a worker would only compete"
    return None


def _refusal() -> str | None:
    """Why no worker can be forked here (None: it can)."""
    setting = os.environ.get("ASYNCGEN_DCG_WORKER", "auto")
    if setting == "0":
        return "ASYNCGEN_DCG_WORKER=0"
    schemas = sys.modules.get("asyncgen.schemas")  # not imported yet: dcg has not run here
    if schemas is not None and schemas.dcg_is_warm():
        return "datamodel-code-generator is warm in this process already"
    if not sys.platform.startswith("linux"):
        return f"fork is not used on {sys.platform}"
    if threading.active_count() != 1:
        return "other threads are running (fork would copy their locks)"
    if setting != "1":
        return _busy()
    return None


class DcgWorker:
    """dcg calls in a forked, pre-warmed process; in-process when that is impossible or fails."""

    def __init__(self) -> None:
        self.process: Any = None
        self.conn: Any = None
        #: "worker" once a request was answered by it; else why the calls ran in-process
        self.note: str | None = None
        self.used = False
        #: defs in the dcg request being answered, while the main process works meanwhile
        self._beside: int | None = None
        #: callbacks of the examples requests sent meanwhile, in order (:meth:`examples`)
        self._pending: list[Callable[[list[Any]], None]] = []
        refused = _refusal()
        if refused is not None:
            self.note = f"in-process: {refused}"
            return
        try:
            import multiprocessing

            context = multiprocessing.get_context("fork")
            parent, child = context.Pipe(duplex=True)
            process = context.Process(target=_serve, args=(child,), name="asyncgen-dcg", daemon=True)
            process.start()
            child.close()
        except (OSError, ValueError, RuntimeError) as err:
            self.note = f"in-process: the worker could not start ({type(err).__name__}: {err})"
            return
        self.process, self.conn = process, parent

    def run(
        self, documents: Sequence[dict[str, Any]], meanwhile: Callable[[], None] | None = None
    ) -> list[tuple[DcgRun, list[list[Any]] | None]]:
        """``run_document`` over each document in order: (run, class offsets or None) each.

        ``meanwhile``: called once the worker has the request, before waiting for its answer
        (work of the main process that does not need the models); not called in-process.
        Raises :class:`GenerationError` as the first failing in-process call would.
        """
        from asyncgen.errors import GenerationError
        from asyncgen.schemas import DcgRun, run_document

        self.used = True
        answers = self._ask(documents, meanwhile)
        if answers is None:
            return [(run, run.segments) for run in map(run_document, documents)]
        out: list[tuple[DcgRun, list[list[Any]] | None]] = []
        for answer in answers:
            if "error" in answer:
                raise GenerationError(answer["error"])
            segments = answer.get("segments")
            run = DcgRun(answer["code"], answer["class_names"], tuple(answer["warnings"]), segments)
            out.append((run, segments))
        return out

    def _ask(
        self, documents: Sequence[dict[str, Any]], meanwhile: Callable[[], None] | None = None
    ) -> list[dict[str, Any]] | None:
        if self.conn is None:
            return None
        try:
            request = json.dumps(list(documents), ensure_ascii=False, allow_nan=True)
            if json.loads(request) != list(documents):
                raise ValueError("the schemas do not survive a JSON round trip")
            data = request.encode("utf-8")  # a lone surrogate does not
        except (TypeError, ValueError) as err:
            self._give_up(f"the schemas are not plain JSON ({err})")
            return None
        try:
            self.conn.send_bytes(data)
        except OSError as err:
            self._give_up(f"the worker failed ({type(err).__name__}: {err})")
            return None
        if meanwhile is not None:
            self._beside = sum(len(d.get("$defs") or ()) for d in documents)
            try:
                meanwhile()  # its errors are its own, not the worker's
            finally:
                self._beside = None
        try:
            answers: Any = self._answer()
            ok = isinstance(answers, list) and all(
                isinstance(a, dict)
                and (
                    isinstance(a.get("error"), str)
                    or (
                        isinstance(a.get("code"), str)
                        and isinstance(a.get("class_names"), dict)
                        and isinstance(a.get("warnings"), list)
                    )
                )
                for a in answers
            )
            failed = ok and any("error" in a for a in answers)
            if not ok or (len(answers) != len(documents) and not failed):
                raise ValueError("an answer that does not fit the request")
        except (OSError, EOFError, ValueError, TimeoutError) as err:
            self._pending.clear()
            self._give_up(f"the worker failed ({type(err).__name__}: {err})")
            return None
        self.note = "worker"
        self._take_examples()
        return list(answers)

    def _answer(self) -> Any:
        if self.conn is None or not self.conn.poll(ANSWER_TIMEOUT):
            raise TimeoutError(f"no answer in {ANSWER_TIMEOUT:.0f} s")
        return json.loads(self.conn.recv_bytes())

    def examples(self, jobs: list[list[Any]], take: Callable[[list[Any]], None]) -> bool:
        """Send ``jobs`` ([schema, example payloads, the defs it reaches] each) to the worker, to
        make their examples (:func:`asyncgen.examples.example_of`) - only from the main process's
        ``meanwhile`` beside a small dcg request (else False: make them yourself). ``take`` gets
        the answers (per job [example, found], or None) once the dcg answer is in, before
        :meth:`run` returns; never, when the worker fails (then the examples are made at use)."""
        if self._beside is None or self._beside > EXAMPLES_BESIDE_DEFS or len(jobs) > EXAMPLES_AT_MOST:
            return False
        if self.conn is None:
            return False
        try:
            text = json.dumps({"examples": jobs}, ensure_ascii=False)
            if json.loads(text) != {"examples": jobs}:
                return False  # not plain JSON: the worker would make another example
            self.conn.send_bytes(text.encode("utf-8"))
        except (TypeError, ValueError, OSError):
            return False  # nothing sent (a failed send: the dcg answer reports the worker)
        self._pending.append(take)
        return True

    def _take_examples(self) -> None:
        """Read the answers to the examples requests sent meanwhile (after the dcg answer)."""
        pending, self._pending = self._pending, []
        for take in pending:
            try:
                answers = self._answer()
                if not isinstance(answers, list):
                    raise ValueError("an answer that does not fit the request")
                take(answers)
            except (OSError, EOFError, ValueError, TimeoutError) as err:
                # the models are in: only the examples' head start is lost
                self.close(wait=False)
                self.note = f"worker (examples in-process: {type(err).__name__}: {err})"
                return

    def _give_up(self, why: str) -> None:
        self.note = f"in-process: {why}"
        self.close()

    def close(self, wait: bool = True) -> None:
        """Stop the worker (it may be importing dcg still: never wait for it to finish its work).

        ``wait=False``: signal it and go on, without waiting for its exit (~15 ms with dcg's
        heap at 1,000 channels); a later ``close()`` reaps it.
        """
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
        process = self.process
        if process is None:
            return
        if process.is_alive():
            process.terminate()
        if not wait:
            return
        self.process = None
        process.join(5)
        if process.is_alive():  # pragma: no cover - SIGTERM ignored
            process.kill()
            process.join(5)

    def __enter__(self) -> DcgWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: a worker forked ahead of the run that will use it (:func:`prestart`)
_PENDING: list[DcgWorker] = []


def prestart() -> None:
    """Fork the worker now, for the next :func:`start` to take (the command line does this
    before its own imports when the run cannot be up to date: :mod:`asyncgen.launch`)."""
    if not _PENDING:
        _PENDING.append(DcgWorker())


def discard_pending() -> None:
    """Stop a worker :func:`prestart` forked that no run took."""
    while _PENDING:
        _PENDING.pop().close()


def start() -> DcgWorker:
    """The worker :func:`prestart` forked, else one forked now (or an in-process stand-in saying why not)."""
    return _PENDING.pop() if _PENDING else DcgWorker()
