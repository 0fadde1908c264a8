"""Every setting is read from `CUNGOODS_<FIELD NAME>`, and the README's settings table lists each
of them, with its default, and nothing else, so the table cannot drift from config.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cungoods.config import ENV_PREFIX, Settings

README = Path(__file__).resolve().parents[1] / "README.md"
FIELDS = dict(Settings.model_fields)


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def another_value(field: str) -> tuple[str, Any]:
    """A value unlike the field's default: as the environment spells it, and as Settings holds
    it."""
    info = FIELDS[field]
    default = info.default
    kind = info.annotation
    if kind is bool:
        return ("false", False) if default else ("true", True)
    if kind is int:
        return str(default + 7), default + 7
    if kind is float:
        return str(default + 0.5), default + 0.5
    value = f"from-the-environment-{field}"
    return value, value


@pytest.fixture(autouse=True)
def clean() -> None:
    """Overrides the harness's database reset: settings need no database (and so run once, not
    once per backend)."""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting from the test runner's own environment."""
    for field in FIELDS:
        monkeypatch.delenv(env_name(field), raising=False)
        monkeypatch.delenv(field.upper(), raising=False)
    return monkeypatch


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_every_setting_is_read_from_its_prefixed_variable(
    clean_env: pytest.MonkeyPatch, field: str
) -> None:
    # Given the variable CUNGOODS_<FIELD> set to something other than the default
    spelled, expected = another_value(field)
    assert expected != FIELDS[field].default
    clean_env.setenv(env_name(field), spelled)

    # When the settings are read, then the field has that value
    assert getattr(Settings(), field) == expected


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_no_setting_is_read_from_a_name_without_the_prefix(
    clean_env: pytest.MonkeyPatch, field: str
) -> None:
    spelled, _ = another_value(field)
    clean_env.setenv(field.upper(), spelled)  # e.g. DATABASE_URL, the name of old
    assert getattr(Settings(), field) == FIELDS[field].default


def test_code_passes_settings_by_field_name_and_a_stale_name_fails(
    clean_env: pytest.MonkeyPatch,
) -> None:
    settings = Settings(database_url="sqlite://:memory:", demo=False, time_zone="UTC")
    assert (settings.database_url, settings.demo, settings.time_zone) == (
        "sqlite://:memory:",
        False,
        "UTC",
    )
    with pytest.raises(ValidationError):
        Settings(CUNGOODS_TZ="UTC")  # type: ignore[call-arg]


def readme_settings_table() -> list[list[str]]:
    """The rows of the README's table whose header is `variable | default | meaning`."""
    rows: list[list[str]] = []
    in_table = False
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|"):
            if in_table:
                break
            continue
        if cells[:3] == ["variable", "default", "meaning"]:
            assert not rows, "the README has one settings table"
            in_table = True
        elif in_table and not set(cells[0]) <= {"-", ":"}:
            rows.append(cells)
    assert rows, "README.md has no `| variable | default | meaning |` table"
    return rows


def shown(default: object) -> str:
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def test_the_readme_table_lists_every_setting_and_nothing_else() -> None:
    rows = readme_settings_table()
    names = [re.fullmatch(r"`([A-Z0-9_]+)`", row[0]) for row in rows]
    assert all(names), f"each first cell is one `VARIABLE`: {[row[0] for row in rows]}"
    listed = [name.group(1) for name in names if name]
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert sorted(listed) == sorted(env_name(field) for field in FIELDS)


def test_the_readme_table_shows_each_default() -> None:
    for row in readme_settings_table():
        field = row[0].strip("`").removeprefix(ENV_PREFIX).lower()
        assert field in FIELDS, f"{row[0]} is no setting of config.py"
        default = FIELDS[field].default
        if default is None:
            continue  # said in words (e.g. the secret key: generated once)
        first_value = re.search(r"`([^`]*)`", row[1])
        assert first_value and first_value.group(1) == shown(default), (
            f"{row[0]}: the README says {row[1]!r}, config.py says {shown(default)!r}"
        )
