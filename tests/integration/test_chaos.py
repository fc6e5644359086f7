"""Randomized chaos: 50 seeded random mixes of API and AWS faults (and duplicate
deliveries), 30 virtual days of a nightly sync each. Whatever the mix:
- no record is lost that a later run could catch up on (the table matches the API as of
  the last fully successful sync),
- no occurrence is recorded twice,
- every occurrence is accounted for within the deployed policies.

A failing seed prints the command that replays it, report and all.
"""

from __future__ import annotations

from typing import Any

import pytest

SEEDS = range(1, 51)
DAYS = 30
CHANGES_PER_DAY = 50  # two or three batches a day, written in parallel (BATCH_SIZE=4)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_random_faults_lose_and_duplicate_nothing(run_schedule: Any, seed: int) -> None:
    report = run_schedule(  # the run the replay command below makes
        days=DAYS,
        seed=seed,
        faults="random",
        changes_per_day=CHANGES_PER_DAY,
        require_faults=False,  # random odds may leave a rule unused; the run still counts
    )
    replay = (
        f"replay: python -m harness run --days {DAYS} --seed {seed} --faults random"
        f" --changes-per-day {CHANGES_PER_DAY} --report-dir out/chaos-{seed}"
    )
    # Both sides really were hit: a plan whose dice never came up would prove nothing.
    assert report.report["faults"]["faulted"] > 0, f"no API fault applied; {replay}"
    assert report.report["aws_faults"]["faulted"] > 0, f"no AWS fault applied; {replay}"
    try:
        report.assert_invariants()
        report.assert_nothing_lost()
        report.assert_no_duplicates()
    except AssertionError as exc:
        pytest.fail(f"seed {seed}: {exc}\n{replay}", pytrace=False)
