"""Rendering a diff: text grouped by severity, stable JSON, Markdown for a PR comment.

Severity is relative to the chosen mode: ``breaking`` under it; ``non-breaking``
when it breaks only some other mode (the text says which); ``info`` when it breaks
none. The JSON shape is stable (``schema_version`` 1)::

    {"schema_version": 1, "mode": "BACKWARD", "versions": ["old.yaml", "new.yaml"],
     "breaking": true, "summary": {"breaking": 1, "non-breaking": 0, "info": 2},
     "rollout": {"app_first": false, "peers_first": true},
     "changes": [{"kind", "path", "detail", "old", "new", "breaking_under": [...],
                  "breaking", "severity", "affects"?, "against"?}, ...]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from asyncgen.diff.changes import (
    BREAKING,
    INFO,
    NON_BREAKING,
    Change,
    Mode,
    app_first_safe,
    peers_first_safe,
)

ORDER = (BREAKING, NON_BREAKING, INFO)
TITLES = {BREAKING: "BREAKING", NON_BREAKING: "non-breaking", INFO: "info"}


@dataclass(frozen=True)
class DiffResult:
    """Changes of the newest version against the earlier one(s)."""

    mode: Mode
    versions: tuple[str, ...]
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> bool:
        return any(c.breaks(self.mode) for c in self.changes)

    def by_severity(self) -> dict[str, list[Change]]:
        groups: dict[str, list[Change]] = {s: [] for s in ORDER}
        for change in self.changes:
            groups[change.severity(self.mode)].append(change)
        return groups

    def summary(self) -> dict[str, int]:
        return {s: len(cs) for s, cs in self.by_severity().items()}

    def rollout(self) -> dict[str, bool]:
        """Which side of the described app may be upgraded to NEW first (see
        :func:`~asyncgen.diff.changes.app_first_safe`); against the previous version."""
        return {"app_first": app_first_safe(self.changes), "peers_first": peers_first_safe(self.changes)}


def _rollout_text(result: DiffResult) -> str:
    label = "rollout" if len(result.versions) < 3 else f"rollout from {result.versions[-2]}"
    r = result.rollout()
    if r["app_first"] and r["peers_first"]:
        advice = "any order"
    elif r["app_first"]:
        advice = "deploy this app before its peers (not the other way round)"
    elif r["peers_first"]:
        advice = "deploy this app's peers (consumers, producers, clients) before the app"
    else:
        advice = "no safe order - the app and its peers must switch together (or add a new version)"
    return f"{label}: {advice}"


def _title(result: DiffResult) -> str:
    versions = " -> ".join(result.versions)
    return f"asyncgen diff {versions} (mode {result.mode.value})"


def _other_modes(change: Change) -> str:
    """The modes a change breaks, short: the _TRANSITIVE variants only when alone."""
    plain = [m for m in change.breaking_under if not m.endswith("_TRANSITIVE")]
    return ", ".join(plain or change.breaking_under)


def render_text(result: DiffResult) -> str:
    counts = result.summary()
    lines = [
        _title(result),
        f"{counts[BREAKING]} breaking, {counts[NON_BREAKING]} non-breaking, {counts[INFO]} info",
    ]
    if not result.changes:
        lines.append("no changes")
    else:
        lines.append(_rollout_text(result))
    for severity, changes in result.by_severity().items():
        if not changes:
            continue
        lines.append("")
        lines.append(f"{TITLES[severity]} ({len(changes)})")
        for change in changes:
            line = f"  {change.path or '/'}: {change.detail}"
            extras = []
            if severity == NON_BREAKING:
                extras.append(f"breaks {_other_modes(change)}")
            if change.affects and severity != INFO:
                extras.append(change.affects)
            if change.against:
                extras.append(f"against {change.against}")
            if extras:
                line += f"  [{'; '.join(extras)}]"
            lines.append(line)
    return "\n".join(lines) + "\n"


def render_json(result: DiffResult) -> str:
    data: dict[str, Any] = {
        "schema_version": 1,
        "mode": result.mode.value,
        "versions": list(result.versions),
        "breaking": result.breaking,
        "summary": result.summary(),
        "rollout": result.rollout(),
        "changes": [c.to_json(result.mode) for c in result.changes],
    }
    return json.dumps(data, indent=2, default=str) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _code(text: str) -> str:
    body = _cell(text)
    fence = "``" if "`" in body else "`"
    pad = " " if "`" in body else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def render_markdown(result: DiffResult) -> str:
    counts = result.summary()
    verdict = (
        f"**{counts[BREAKING]} breaking change(s)** under `{result.mode.value}`"
        if result.breaking
        else f"no breaking changes under `{result.mode.value}`"
    )
    versions = " → ".join(_code(v) for v in result.versions)
    lines = [
        f"### asyncgen diff: {verdict}",
        "",
        f"{versions} — {counts[BREAKING]} breaking, {counts[NON_BREAKING]} non-breaking, {counts[INFO]} info",
        "",
    ]
    if result.changes:
        label, _, advice = _rollout_text(result).partition(": ")
        lines += [f"**{_cell(label.capitalize())}:** {_cell(advice)}", ""]
    if not result.changes:
        lines.append("No changes.")
        return "\n".join(lines) + "\n"
    transitive = any(c.against for c in result.changes)
    header = "| severity | path | change | breaks under | affects |" + (" against |" if transitive else "")
    lines.append(header)
    lines.append("|---|---|---|---|---|" + ("---|" if transitive else ""))
    for severity in ORDER:
        for change in result.by_severity()[severity]:
            row = [
                "**BREAKING**" if severity == BREAKING else TITLES[severity],
                _code(change.path or "/"),
                _cell(change.detail),
                _cell(_other_modes(change) or "—"),
                _cell(change.affects or ""),
            ]
            if transitive:
                row.append(_cell(change.against))
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}


def render(result: DiffResult, fmt: str) -> str:
    return RENDERERS[fmt](result)


def merge_against(found: Sequence[tuple[str, Sequence[Change]]]) -> tuple[Change, ...]:
    """Changes of the newest version against several older ones, one entry per distinct change.

    ``found`` lists (older version's label, changes against it), the previous
    version last. A change seen against several versions is listed once, its
    ``against`` naming them all, its flags OR-ed; a change not seen against the
    previous version is ``transitive_only``.
    """
    merged: dict[tuple[str, str, str], Change] = {}
    labels: dict[tuple[str, str, str], list[str]] = {}
    for label, changes in found:
        for change in changes:
            key = (change.path, change.kind, change.detail)
            prev = merged.get(key)
            merged[key] = (
                change
                if prev is None
                else replace(
                    prev, backward=prev.backward or change.backward, forward=prev.forward or change.forward
                )
            )
            labels.setdefault(key, []).append(label)
    if len(found) < 2:
        return tuple(merged.values())
    previous = found[-1][0]
    return tuple(
        replace(c, against=", ".join(labels[k]), transitive_only=previous not in labels[k])
        for k, c in merged.items()
    )
