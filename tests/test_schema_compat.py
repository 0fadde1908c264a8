"""The schema compatibility check (devtools/schema_compat.py, `cungoods check-schema`): the schema
the code serves against the last release's SDL, failing on a breaking change docs/CHANGELOG.md
does not list with its deprecation period. It runs here, so CI fails on such a change."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from cungoods.cli import app
from cungoods.devtools import schema_compat, schema_export

runner = CliRunner()
RELEASE = schema_compat.latest_release()


def broken(sdl: str) -> str:
    """The served SDL with a field removed (`Trip.status`) and a type changed (`Route.code`)."""
    without_status = re.sub(r'\n  """[^"]*"""\n  status: TripStatus!\n', "\n", sdl, count=1)
    route = re.search(r"\ntype Route [^{]*\{.*?\n\}", without_status, flags=re.S)
    assert without_status != sdl and route and "  code: String!\n" in route.group()
    changed_route = route.group().replace("  code: String!\n", "  code: Int!\n", 1)
    return without_status.replace(route.group(), changed_route)


def changelog_with(tmp_path: Path, *entries: str) -> Path:
    """docs/CHANGELOG.md with `entries` added under "## Unreleased"."""
    text = schema_compat.CHANGELOG.read_text(encoding="utf-8")
    path = tmp_path / "CHANGELOG.md"
    lines = "".join(f"{entry}\n" for entry in entries)
    path.write_text(text.replace("## Unreleased\n", f"## Unreleased\n\n{lines}", 1), "utf-8")
    return path


def test_the_served_schema_breaks_nothing_the_changelog_does_not_list() -> None:
    report = schema_compat.check(schema_export.sdl())

    assert report.ok, "\n".join(report.lines())
    # the nullable viewer fields of issue 15 are breaking, and listed
    assert ("Query.order", "FIELD_CHANGED_KIND") in {
        (c.coordinate, c.kind) for c in report.breaking
    }


def test_a_removed_field_and_a_changed_type_fail_the_check_and_are_named(tmp_path: Path) -> None:
    # Given an SDL that drops a field and changes a field's type
    sdl = tmp_path / "broken.graphql"
    sdl.write_text(broken(schema_export.sdl()), encoding="utf-8")

    # When it is checked
    report = schema_compat.check(sdl.read_text(encoding="utf-8"))
    result = runner.invoke(app, ["check-schema", "--path", str(sdl)])

    # Then both changes are refused, each named with the line that would list it
    assert not report.ok
    assert {(c.coordinate, c.kind) for c in report.unlisted} == {
        ("Trip.status", "FIELD_REMOVED"),
        ("Route.code", "FIELD_CHANGED_KIND"),
    }
    assert result.exit_code == 1
    assert "Field Trip.status was removed." in result.output
    assert "Field Route.code changed type from String! to Int!." in result.output
    assert "- `Trip.status` FIELD_REMOVED (deprecated YYYY-MM-DD to YYYY-MM-DD)" in result.output
    assert result.output.rstrip().endswith("FAILED")


def test_the_command_passes_on_the_served_schema() -> None:
    result = runner.invoke(app, ["check-schema"])

    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("ok")


def test_a_listed_change_passes_but_a_period_needs_the_release_to_have_deprecated_it(
    tmp_path: Path,
) -> None:
    sdl = broken(schema_export.sdl())
    type_change = "- `Route.code` FIELD_CHANGED_KIND (no deprecation period): codes are numbers"

    # Listed without a period: allowed
    listed = changelog_with(
        tmp_path, "- `Trip.status` FIELD_REMOVED (no deprecation period): gone", type_change
    )
    assert schema_compat.check(sdl, changelog=listed).ok

    # Listed with a period, but v0.1.0 never marked Trip.status @deprecated: refused
    claimed = changelog_with(
        tmp_path,
        "- `Trip.status` FIELD_REMOVED (deprecated 2026-12-01 to 2027-03-01): see events",
        type_change,
    )
    report = schema_compat.check(sdl, changelog=claimed)
    assert not report.ok and report.unlisted == []
    assert any("`Trip.status` was not @deprecated in v0.1.0" in p for p in report.problems)


def test_a_field_deprecated_in_the_release_may_be_removed_after_its_period(
    tmp_path: Path,
) -> None:
    # Given a release that deprecated Trip.status
    sdl = schema_export.sdl()
    release = tmp_path / "v9.0.0.graphql"
    release.write_text(
        sdl.replace(
            "  status: TripStatus!\n",
            '  status: TripStatus! @deprecated(reason: "Read the last event.")\n',
            1,
        ),
        encoding="utf-8",
    )
    without_status = re.sub(r'\n  """[^"]*"""\n  status: TripStatus!\n', "\n", sdl, count=1)
    entry = "- `Trip.status` FIELD_REMOVED (deprecated 2026-12-01 to 2027-03-01): read events"

    # Then removing it is allowed once listed with its period, refused when not listed
    assert schema_compat.check(
        without_status, release=release, changelog=changelog_with(tmp_path, entry)
    ).ok
    unlisted = schema_compat.check(without_status, release=release)
    assert [(c.coordinate, c.kind) for c in unlisted.unlisted] == [("Trip.status", "FIELD_REMOVED")]


def test_malformed_entries_are_problems_not_silently_ignored(tmp_path: Path) -> None:
    changelog = changelog_with(
        tmp_path,
        "- `Trip.status` FIELD_REMOVED (soon): why",
        "- `Trip.status` FIELD_GONE (no deprecation period): why",
        "- `Trip.status` FIELD_REMOVED (deprecated 2027-03-01 to 2026-12-01): why",
        "- `Trip.status` FIELD_REMOVED (no deprecation period)",
    )

    report = schema_compat.check(schema_export.sdl(), changelog=changelog)

    assert not report.ok
    assert len(report.problems) == 4, report.problems


def test_each_release_sdl_has_its_changelog_section_and_the_newest_is_compared() -> None:
    changelog = schema_compat.CHANGELOG.read_text(encoding="utf-8")
    releases = sorted(schema_compat.RELEASES_DIR.glob("v*.graphql"))

    assert releases and RELEASE in releases
    for release in releases:
        assert f"\n## {release.stem}\n" in changelog, release.stem
    # an Unreleased section sits above the releases
    assert changelog.index("\n## Unreleased\n") < changelog.index(f"\n## {RELEASE.stem}\n")


def test_versions_compare_as_numbers(tmp_path: Path) -> None:
    for name in ("v0.9.0.graphql", "v0.10.0.graphql", "v0.2.1.graphql", "notes.graphql"):
        (tmp_path / name).write_text("type Query { a: Int }\n", encoding="utf-8")

    assert schema_compat.latest_release(tmp_path).name == "v0.10.0.graphql"
