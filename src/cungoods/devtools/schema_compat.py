"""The schema compatibility check: the SDL the code serves against the last release's.

A release's SDL is kept in `schema/releases/vX.Y.Z.graphql` (CI runs on a fresh clone without
tags, so the contract travels with the code). graphql-core's `find_breaking_changes` lists what
would break a client built against that release: a field, argument, type or enum value removed,
a type changed, an argument or input field made required. Each must be listed under
"## Unreleased" in docs/CHANGELOG.md, one line each, with its deprecation period:

    - `Query.order` FIELD_CHANGED_KIND (deprecated 2026-12-01 to 2027-03-01): why, and what
      clients do about it
    - `Query.order` FIELD_CHANGED_KIND (no deprecation period): why there could be none

The coordinate and the change's name are those the check prints for an unlisted change. A listed
period says the thing was `@deprecated` in the release, so the check also refuses a period for a
field, argument, input field or enum value that the release did not mark `@deprecated`, and a
period that ends before it starts. Dangerous changes (an enum value or optional argument added,
a default changed) are printed, never refused. `cungoods check-schema` runs it; so does the test
suite (tests/test_schema_compat.py), so an unlisted breaking change fails CI.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from graphql import (
    BreakingChangeType,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

ROOT = Path(__file__).resolve().parents[3]
RELEASES_DIR = ROOT / "schema" / "releases"
CHANGELOG = ROOT / "docs" / "CHANGELOG.md"
UNRELEASED = "## Unreleased"

_RELEASE = re.compile(r"v(\d+)\.(\d+)\.(\d+)\.graphql")
_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
_COORDINATE = re.compile(rf"@?{_NAME}(?:\.{_NAME})?(?:\({_NAME}:\))?")
# graphql-core's descriptions start with the coordinate, after one of these words.
_LEAD = re.compile(
    r"^(?:Standard scalar|Field|Argument|A required field|A required argument|Enum value)\s+"
)
_ENTRY_START = re.compile(r"^- `[^`]+` [A-Z][A-Z_]{3,}\b")
_ENTRY = re.compile(
    r"^- `(?P<coordinate>[^`]+)` (?P<kind>[A-Z_]+) \((?P<period>[^)]*)\): (?P<reason>\S.*)$"
)
_PERIOD = re.compile(r"deprecated (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})")
NO_PERIOD = "no deprecation period"


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # a BreakingChangeType or DangerousChangeType name
    coordinate: str  # Type, Type.field, Type.field(arg:), Enum.VALUE, @directive
    description: str  # graphql-core's

    def entry(self) -> str:
        """The CHANGELOG line that lists it (the period and the reason to be filled in)."""
        return f"- `{self.coordinate}` {self.kind} (deprecated YYYY-MM-DD to YYYY-MM-DD): why"


@dataclass(frozen=True, slots=True)
class Listed:
    coordinate: str
    kind: str
    deprecated: tuple[dt.date, dt.date] | None  # None: no deprecation period
    line: int


@dataclass(slots=True)
class Report:
    release: str
    breaking: list[Change] = field(default_factory=list)
    dangerous: list[Change] = field(default_factory=list)
    unlisted: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unlisted and not self.problems

    def lines(self) -> list[str]:
        """What the check says, for people."""
        out = [f"schema compared with release {self.release}:"]
        out += [f"  breaking (listed): {c.description}" for c in self.breaking]
        out += [f"  dangerous: {c.description}" for c in self.dangerous]
        if self.unlisted:
            out.append(
                f"{len(self.unlisted)} breaking change(s) not listed under {UNRELEASED!r} in "
                "docs/CHANGELOG.md (add each with its deprecation period, or undo it):"
            )
            out += [f"  {c.description}\n    {c.entry()}" for c in self.unlisted]
        out += [f"problem: {p}" for p in self.problems]
        out.append("ok" if self.ok else "FAILED")
        return out


def latest_release(releases_dir: Path = RELEASES_DIR) -> Path:
    """The newest release's SDL, by version number."""
    releases = [(p, _RELEASE.fullmatch(p.name)) for p in releases_dir.glob("v*.graphql")]
    numbered = [(tuple(int(n) for n in m.groups()), p) for p, m in releases if m]
    if not numbered:
        raise FileNotFoundError(f"no release SDL (vX.Y.Z.graphql) in {releases_dir}")
    return max(numbered)[1]


def coordinate_of(description: str) -> str:
    """The schema coordinate a graphql-core change description is about."""
    union = re.fullmatch(rf"{_NAME} was removed from union type ({_NAME})\.", description)
    if union:
        return union.group(1)
    directive = re.search(rf"from (@{_NAME})\.$", description)
    if directive:
        return directive.group(1)
    found = _COORDINATE.match(_LEAD.sub("", description))
    return found.group(0) if found else description


def schema_changes(old: GraphQLSchema, new: GraphQLSchema) -> tuple[list[Change], list[Change]]:
    """The breaking and the dangerous changes from `old` to `new`."""
    breaking = [
        Change(c.type.name, coordinate_of(c.description), c.description)
        for c in find_breaking_changes(old, new)
    ]
    dangerous = [
        Change(c.type.name, coordinate_of(c.description), c.description)
        for c in find_dangerous_changes(old, new)
    ]
    return breaking, dangerous


def unreleased_section(changelog: str) -> list[tuple[int, str]]:
    """The lines (numbered from 1) under "## Unreleased", up to the next "## " heading."""
    lines = changelog.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == UNRELEASED), None)
    if start is None:
        return []
    section = []
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.startswith("## "):
            break
        section.append((number, line))
    return section


def listed_changes(changelog: str) -> tuple[list[Listed], list[str]]:
    """The breaking changes listed under "## Unreleased", and the lines that look like such an
    entry but do not parse."""
    listed, problems = [], []
    kinds = {kind.name for kind in BreakingChangeType}
    for number, line in unreleased_section(changelog):
        if not _ENTRY_START.match(line):
            continue
        entry = _ENTRY.match(line)
        if entry is None:
            problems.append(
                f"CHANGELOG line {number} does not parse as `- `Coordinate` KIND (deprecated "
                f"YYYY-MM-DD to YYYY-MM-DD): why` or `({NO_PERIOD})`: {line.strip()}"
            )
            continue
        if entry["kind"] not in kinds:
            problems.append(f"CHANGELOG line {number}: {entry['kind']} is no breaking change")
            continue
        period = entry["period"].strip()
        dates = _PERIOD.fullmatch(period)
        deprecated: tuple[dt.date, dt.date] | None = None
        if dates:
            deprecated = (dt.date.fromisoformat(dates[1]), dt.date.fromisoformat(dates[2]))
            if deprecated[1] < deprecated[0]:
                problems.append(f"CHANGELOG line {number}: the deprecation ends before it starts")
        elif period != NO_PERIOD:
            problems.append(
                f"CHANGELOG line {number}: the period is `deprecated YYYY-MM-DD to YYYY-MM-DD` "
                f"or `{NO_PERIOD}`, not {period!r}"
            )
            continue
        listed.append(Listed(entry["coordinate"], entry["kind"], deprecated, number))
    return listed, problems


def deprecation_of(schema: GraphQLSchema, coordinate: str) -> tuple[bool, str | None]:
    """Whether `coordinate` names something that can carry @deprecated in `schema` (a field,
    an argument, an input field, an enum value), and its deprecation reason there."""
    match = re.fullmatch(rf"({_NAME})\.({_NAME})(?:\(({_NAME}):\))?", coordinate)
    if not match:
        return False, None
    named = schema.get_type(match[1])
    if isinstance(named, GraphQLEnumType):
        value = named.values.get(match[2])
        return value is not None, value.deprecation_reason if value else None
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        return False, None
    member = named.fields.get(match[2])
    if member is None:
        return False, None
    if match[3] is not None:
        argument = getattr(member, "args", {}).get(match[3])
        return argument is not None, argument.deprecation_reason if argument else None
    return True, member.deprecation_reason


def check(
    new_sdl: str,
    *,
    release: Path | None = None,
    changelog: Path = CHANGELOG,
) -> Report:
    """Compare `new_sdl` with the release's SDL (the newest in schema/releases by default)."""
    release = release or latest_release()
    old = build_schema(release.read_text(encoding="utf-8"))
    new = build_schema(new_sdl)
    report = Report(release=release.stem)
    breaking, report.dangerous = schema_changes(old, new)
    listed, report.problems = listed_changes(changelog.read_text(encoding="utf-8"))
    by_key = {(entry.coordinate, entry.kind): entry for entry in listed}
    for change in breaking:
        entry = by_key.get((change.coordinate, change.kind))
        if entry is None:
            report.unlisted.append(change)
            continue
        report.breaking.append(change)
        deprecatable, reason = deprecation_of(old, change.coordinate)
        if entry.deprecated is not None and deprecatable and reason is None:
            report.problems.append(
                f"CHANGELOG line {entry.line}: `{change.coordinate}` was not @deprecated in "
                f"{release.stem}, so it had no deprecation period"
            )
    return report
