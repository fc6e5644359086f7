"""What the endpoints and the fault injector share: data, auth, logical time, the fault
engine and the journal. A module of its own so that the app and the injector both
depend on it and not on each other."""

from __future__ import annotations

from collections.abc import Callable

from .clock import TimeSource
from .data_faults import DataFaults
from .dataset import Dataset
from .faults import FaultEngine
from .journal import Journal
from .rules import FaultPlan


class MockApi:
    """Everything the endpoints share: data, auth, logical time, faults and journal."""

    def __init__(
        self,
        dataset: Dataset,
        token: str,
        clock: TimeSource,
        seed: int,
        faults: FaultPlan,
        check_plan: Callable[[FaultPlan], None] | None = None,
    ) -> None:
        self.check_plan = check_plan  # refuses what this API cannot apply (FaultRuleError)
        self.dataset = dataset
        self.token = token
        self.clock = clock
        self.seed = seed
        self.journal = Journal()
        self.set_faults(faults)

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the rules; their counters and dice start afresh, and records held
        back by page drift are let go (served where they belong again)."""
        if self.check_plan is not None:
            self.check_plan(plan)
        engine = FaultEngine.api(plan, self.seed, self.dataset.origin)  # may refuse the plan
        self.plan, self.engine, self.data_faults = plan, engine, DataFaults()

    def reset(self) -> None:
        self.set_faults(FaultPlan())
        self.journal.clear()
