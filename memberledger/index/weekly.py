"""Figures per week, kept up to date by the index's writer: the owner of `index_weekly`.

The staff dashboard charts members enrolled per week by tier, points credited and redeemed
per week, and consent given and withdrawn per week per purpose. Computed from the events at
each read, that is four GROUP BYs over every event of the programme (3.9 s at a million
members, measured by bench/dashboard.py); kept as counters, it is a read of a few hundred
rows. So the writer adds each range's events to the counters of their week in the same
transaction that stores the events, and a roll-back subtracts the events it takes away
(read back before they are deleted), so the counters always equal what the events left.

A row is one figure: a `series`, the `week` (its Monday 00:00 UTC, seconds since the
epoch), a `grp` within the series (the tier; the consent flag's bit value; else 0), the
figure's `value` (a count or a sum) and the `events` that made it: a row whose events are
all rolled back is deleted, so an index rolled back equals one rebuilt from scratch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from memberledger.index.decoding import CONTRACTS, EventSpec
from memberledger.store.database import Database

#: Seconds in a week, and the shift that starts weeks on Monday 00:00 UTC (the epoch's first
#: day, 1970-01-01, was a Thursday).
WEEK = 604_800
_TO_MONDAY = 3 * 86_400
#: Consent flags are a uint16 on chain: each of its bits is counted.
_CONSENT_MASK = (1 << 16) - 1


@dataclass(frozen=True)
class Series:
    """What one series counts: the events `name` of `contract`, split by their number field
    `group` (else one group, 0), counted or summing their number field `total`."""

    contract: str
    name: str
    group: str | None = None
    total: str | None = None


#: The series kept, by name.
SERIES = {
    "enrolled": Series("registry", "MemberEnrolled", group="tier"),
    "credited": Series("points", "BatchCredited", total="total"),
    "redeemed": Series("points", "Redeemed", total="cost"),
}
#: The consent series: the changes (group 0), and a row per flag bit that changed that way.
CONSENT_CHANGES = "consent_changes"
CONSENT_GIVEN = "consent_given"
CONSENT_WITHDRAWN = "consent_withdrawn"
_CONSENT = (CONTRACTS.index("registry"), "ConsentChanged")
_BY_EVENT = {(CONTRACTS.index(s.contract), s.name): (key, s) for key, s in SERIES.items()}

#: A counted event: what it is, its values, its block's time.
Counted = tuple[EventSpec, Sequence[Any], int]
_Key = tuple[str, int, int]


def week_of(timestamp: int) -> int:
    """The Monday 00:00 UTC (seconds since the epoch) of the week holding `timestamp`."""
    return (timestamp + _TO_MONDAY) // WEEK * WEEK - _TO_MONDAY


def _figures(events: Iterable[Counted]) -> tuple[Counter[_Key], Counter[_Key]]:
    """(value, events) per (series, week, group) for `events`."""
    values: Counter[_Key] = Counter()
    counts: Counter[_Key] = Counter()
    weeks: dict[int, int] = {}  # a range's events share a few block times
    for spec, event_values, timestamp in events:
        week = weeks.get(timestamp)
        if week is None:
            week = weeks[timestamp] = week_of(timestamp)
        kept = _BY_EVENT.get((spec.contract, spec.name))
        if kept is not None:
            key, series = kept
            group = int(spec.value(event_values, series.group)) if series.group else 0
            at = (key, week, group)
            values[at] += int(spec.value(event_values, series.total)) if series.total else 1
            counts[at] += 1
        elif (spec.contract, spec.name) == _CONSENT:
            old = int(spec.value(event_values, "oldFlags"))
            new = int(spec.value(event_values, "newFlags"))
            values[(CONSENT_CHANGES, week, 0)] += 1
            counts[(CONSENT_CHANGES, week, 0)] += 1
            changed = (old ^ new) & _CONSENT_MASK
            while changed:  # each flag that changed, lowest first
                flag = changed & -changed
                changed ^= flag
                at = (CONSENT_GIVEN if new & flag else CONSENT_WITHDRAWN, week, flag)
                values[at] += 1
                counts[at] += 1
    return values, counts


class WeeklyFigures:
    """The counters in the index's database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def add(self, events: Iterable[Counted]) -> None:
        """Count a range's events (joins the open transaction)."""
        values, counts = _figures(events)
        self._db.executemany(
            "INSERT INTO index_weekly (series, week, grp, value, events) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (series, week, grp) DO UPDATE SET "
            "value = index_weekly.value + excluded.value, "
            "events = index_weekly.events + excluded.events",
            [(*key, value, counts[key]) for key, value in values.items()],
        )

    def subtract(self, events: Iterable[Counted]) -> None:
        """Take away the events a roll-back removes (joins the open transaction)."""
        values, counts = _figures(events)
        self._db.executemany(
            "UPDATE index_weekly SET value = value - ?, events = events - ? "
            "WHERE series = ? AND week = ? AND grp = ?",
            [(value, counts[key], *key) for key, value in values.items()],
        )
        self._db.execute("DELETE FROM index_weekly WHERE events = 0")

    def clear(self) -> None:
        self._db.execute("DELETE FROM index_weekly")

    def series(self, key: str) -> list[tuple[int, int, int]]:
        """(week, group, value) of one series, oldest week first."""
        rows = self._db.rows(
            "SELECT week, grp, value FROM index_weekly WHERE series = ? ORDER BY week, grp",
            (key,),
        )
        return [(int(week), int(group), int(value)) for week, group, value in rows]

    def consent(self, flags: Sequence[int]) -> list[tuple[int, list[int], list[int]]]:
        """(week, given, withdrawn) per week with a consent change: per flag in `flags`, how
        many changes set it and how many cleared it."""
        at = {int(flag): i for i, flag in enumerate(flags)}
        weeks = {
            week: ([0] * len(at), [0] * len(at)) for week, _, _ in self.series(CONSENT_CHANGES)
        }
        for key, side in ((CONSENT_GIVEN, 0), (CONSENT_WITHDRAWN, 1)):
            for week, flag, value in self.series(key):
                if flag in at:
                    weeks[week][side][at[flag]] = value
        return [(week, *weeks[week]) for week in sorted(weeks)]
