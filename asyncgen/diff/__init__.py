"""``asyncgen diff``: breaking-change detection between spec versions.

The JSON Schema core is :mod:`asyncgen.diff.schema` (``compare(old, new)``);
:class:`~asyncgen.diff.changes.Change` and :class:`~asyncgen.diff.changes.Mode`
say what was found and under which compatibility mode it breaks.
"""

from __future__ import annotations

from asyncgen.diff.changes import Change, Mode, is_breaking
from asyncgen.diff.schema import SchemaOptions, compare

__all__ = ["Change", "Mode", "SchemaOptions", "compare", "is_breaking"]
