"""What a built wheel holds: every Python package of the source tree is listed in pyproject.toml
(an editable install finds a forgotten one anyway, so only this test notices it)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src"


def test_every_python_package_is_listed_for_the_wheel() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(SOURCE).parts) for init in SOURCE.rglob("__init__.py")
    }

    assert found - listed == set(), "add these packages to [tool.setuptools] packages"
    assert {name for name in listed - found if not name.startswith("cungoods.web.board")} == {
        "cungoods_migrations"
    }
