"""A synthetic year of someone's photos with the true events known, for event segmentation tests and the bench.

Home is Boston. The year has weekend outings at home (Saturday and Sunday are two events), evening parties
that run past midnight, single snapshots on weekdays, a Kyoto trip with a photoless day in the middle and a GPS-less
camera whose clock has no UTC offset, a Paris & London trip, a day trip to Cape Cod followed by an outing at home
the next morning, a Los Angeles trip whose late-evening photos are already the next day in UTC, and photos
without a capture time (scans) or with only a file time, which belong to no event.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

BOSTON = (42.3601, -71.0589, "Boston", "United States", "-05:00")
CAPE_COD = (41.6688, -70.2962, "Barnstable", "United States", "-05:00")
KYOTO = (35.0116, 135.7681, "Kyoto", "Japan", "+09:00")
PARIS = (48.8566, 2.3522, "Paris", "France", "+01:00")
LONDON = (51.5072, -0.1276, "London", "United Kingdom", "+00:00")
LOS_ANGELES = (34.0522, -118.2437, "Los Angeles", "United States", "-08:00")


@dataclass(frozen=True)
class TimelinePhoto:
    taken_at: Optional[str]
    taken_at_source: Optional[str]
    tz_offset: Optional[str]
    gps_lat: Optional[float]
    gps_lon: Optional[float]
    city: Optional[str]
    country: Optional[str]
    truth: Optional[str]  # the true event's label; None: belongs to no event


def life_timeline(seed: int = 7, year: int = 2019) -> list[TimelinePhoto]:
    rng = random.Random(seed)
    photos: list[TimelinePhoto] = []

    def burst(label: str, place, start: datetime, end: datetime, step_min=(5, 40), gps=True, offset=True, jitter=0.02):
        t = start
        lat, lon, city, country, tz = place
        while t <= end:
            with_gps = gps and rng.random() > 0.1  # now and then a phone photo without a fix
            photos.append(TimelinePhoto(
                t.isoformat(), "DateTimeOriginal", tz if offset else None,
                lat + rng.uniform(-jitter, jitter) if with_gps else None,
                lon + rng.uniform(-jitter, jitter) if with_gps else None,
                city if with_gps else None, country if with_gps else None, label))
            t += timedelta(minutes=rng.uniform(*step_min))

    # Days away or just back (their own events below): no outings or snapshots at home then.
    busy = {(4, d) for d in range(2, 9)} | {(7, d) for d in range(9, 17)} | {(8, 24), (8, 25)} | {
        (11, d) for d in range(1, 7)} | {(m, d) for m in (2, 6, 10) for d in (15, 16, 17)}
    day = datetime(year, 1, 5)
    weekend = 0
    while day.year == year:
        free = (day.month, day.day) not in busy and (day.month, day.day + 1) not in busy
        if day.weekday() == 5 and weekend % 3 == 0 and free:  # every third weekend: Saturday and Sunday outings
            burst(f"sat-{day.date()}", BOSTON, day.replace(hour=10), day.replace(hour=12, minute=30))
            sunday = day + timedelta(days=1)
            burst(f"sun-{sunday.date()}", BOSTON, sunday.replace(hour=14), sunday.replace(hour=16))
        if day.weekday() == 5:
            weekend += 1
        if day.weekday() == 2 and rng.random() < 0.4 and free:  # a weekday snapshot
            burst(f"snap-{day.date()}", BOSTON, day.replace(hour=19), day.replace(hour=19, minute=3))
        day += timedelta(days=1)

    for month in (2, 6, 10):  # parties past midnight, photos up to 90 minutes apart
        start = datetime(year, month, 16, 20, 0)
        burst(f"party-{month}", BOSTON, start, start + timedelta(hours=5, minutes=30), step_min=(20, 90))

    # Kyoto, 3-7 Apr: no photos on the 5th; a GPS-less camera without a UTC offset shoots alongside the phone.
    for d in (3, 4, 6, 7):
        burst("kyoto", KYOTO, datetime(year, 4, d, 9), datetime(year, 4, d, 20), step_min=(20, 60))
        burst("kyoto", KYOTO, datetime(year, 4, d, 11), datetime(year, 4, d, 15), step_min=(30, 60), gps=False,
              offset=False)
    # Paris then London, 10-15 Jul.
    for d in range(10, 16):
        place = PARIS if d < 13 else LONDON
        burst("europe", place, datetime(year, 7, d, 10), datetime(year, 7, d, 21), step_min=(30, 80))
    # Cape Cod for a day, then an outing at home the next morning.
    burst("cape-cod", CAPE_COD, datetime(year, 8, 24, 9), datetime(year, 8, 24, 18), step_min=(20, 50))
    burst("home-after-cape", BOSTON, datetime(year, 8, 25, 10), datetime(year, 8, 25, 12))
    # Los Angeles, 2-4 Nov: its 23:00 photos are 07:00 UTC the next day.
    for d in (2, 3, 4):
        burst("los-angeles", LOS_ANGELES, datetime(year, 11, d, 12), datetime(year, 11, d, 23), step_min=(30, 70))
    burst("home-after-la", BOSTON, datetime(year, 11, 5, 18), datetime(year, 11, 5, 19))

    for i in range(20):  # scans: no capture time
        photos.append(TimelinePhoto(None, None, None, None, None, None, None, None))
    for i in range(5):  # only a file modification time
        photos.append(TimelinePhoto(datetime(year, 3, 1 + i, 12).isoformat(), "mtime", None, None, None, None, None,
                                    None))
    rng.shuffle(photos)
    return photos


def pairwise_scores(truth: dict[int, Optional[str]], groups: list[list[int]]) -> dict[str, float]:
    """Pairwise precision/recall/F1 of "same event", and how many true events came out exactly."""
    predicted = {pid: n for n, g in enumerate(groups) for pid in g}
    by_truth: dict[str, set[int]] = {}
    for pid, label in truth.items():
        if label is not None:
            by_truth.setdefault(label, set()).add(pid)
    ids = sorted(truth)
    pairs_pred = Counter(predicted[p] for p in ids if p in predicted)
    both = Counter((predicted[p], truth[p]) for p in ids if p in predicted and truth[p] is not None)
    tp = sum(n * (n - 1) // 2 for n in both.values())
    pred_pairs = sum(n * (n - 1) // 2 for n in pairs_pred.values())
    true_pairs = sum(len(s) * (len(s) - 1) // 2 for s in by_truth.values())
    fp, fn = pred_pairs - tp, true_pairs - tp
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    exact = sum(1 for g in groups if set(g) in by_truth.values())
    stray = sum(1 for p in predicted if truth.get(p) is None)
    return {"events": len(groups), "true_events": len(by_truth), "exact": exact, "precision": precision,
            "recall": recall, "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "undated_in_events": stray}
