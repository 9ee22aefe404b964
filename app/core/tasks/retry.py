"""Exponential backoff with jitter, so retries of many failed tasks do not stampede together."""

from __future__ import annotations

import random

BASE_DELAY_S = 1.0
MAX_DELAY_S = 300.0


def backoff_delay(attempt: int, *, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (1-based): base * 2^(attempt-1), capped, times a 0.5-1.5 jitter."""
    rng = rng or random
    delay = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** max(0, attempt - 1))
    return delay * rng.uniform(0.5, 1.5)
