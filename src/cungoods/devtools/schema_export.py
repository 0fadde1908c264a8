"""The SDL contract: schema/schema.graphql is exported from the code and checked for drift."""

from __future__ import annotations

from pathlib import Path

from cungoods.api.schema import build_schema
from cungoods.config import Settings

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "schema.graphql"


def sdl() -> str:
    """The schema as `strawberry export-schema` writes it."""
    return build_schema(Settings()).as_str() + "\n"


def export(path: Path = SCHEMA_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sdl(), encoding="utf-8")
    return path


def is_current(path: Path = SCHEMA_FILE) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == sdl()
