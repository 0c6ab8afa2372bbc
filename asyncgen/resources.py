"""Where the built-in template sets (and the bundled example specs) live.

An installed wheel carries them inside the package at ``asyncgen/templates/``
(pyproject force-includes the top-level ``templates/`` there); a source checkout
has them at ``<repo>/templates/``. The package location wins when it exists, so an
installed asyncgen never reads a stray checkout next to it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

MANIFEST_NAME = "template.yaml"


def builtin_root() -> Path | None:
    """The directory holding the built-in sets (``<root>/<set>/template.yaml``), if any."""
    packaged = Path(str(resources.files("asyncgen"))) / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "templates"
    if checkout.is_dir():
        return checkout
    return None


def builtin_sets() -> dict[str, Path]:
    """Built-in set name -> its directory, sorted by name."""
    root = builtin_root()
    if root is None:
        return {}
    found = {
        child.name: child for child in root.iterdir() if child.is_dir() and (child / MANIFEST_NAME).is_file()
    }
    return dict(sorted(found.items()))


def builtin_set_dir(name: str) -> Path | None:
    return builtin_sets().get(name)


def specs_root() -> Path | None:
    """The bundled example specs (``asyncgen demo`` runs the ERP pair): packaged, else the checkout's."""
    packaged = Path(str(resources.files("asyncgen"))) / "specs"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "specs"
    if checkout.is_dir():
        return checkout
    return None
