"""Delivery in virtual time: from an occurrence of a schedule to a finished function.

A discrete-event simulation over one queue ordered by virtual time:

- *hand-off* (trigger layer): the rule or Scheduler target hands the event to Lambda's
  asynchronous Invoke API. A missing function or permission goes straight to the
  target's dead-letter queue; a service error is retried under the target's
  `RetryPolicy` until its attempts or the event's age run out.
- *execution* (Lambda layer): Lambda runs the function when a concurrency slot is free.
  A throttle is retried with exponential backoff until the event is too old; a function
  error or timeout is retried `MaximumRetryAttempts` times, 1 and 2 minutes after the
  failed attempt ended; then the event goes to the on-failure destination or the
  function's dead-letter queue, or is dropped.
- *duplicate*: at-least-once delivery; an accepted event may run a second time with the
  same id. A duplicate runs once and does not change the occurrence's outcome.

Every occurrence ends in exactly one outcome: `succeeded`, `dlq` (dead-lettered where
AWS would put it) or `failed` (retries exhausted, nowhere to send it: dropped).
The engine does no I/O: running the function and sending dead letters are callbacks.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from ..runtime.base import error_parts
from .policy import AsyncInvokeConfig, TriggerRetryPolicy

Layer = Literal["trigger", "lambda", "duplicate"]
Outcome = Literal["succeeded", "failed", "dlq"]
ExecutionStatus = Literal["succeeded", "function_error", "timeout"]

# Hand-off errors: (error code, HTTP status, retryable)
NOT_FOUND = ("ResourceNotFoundException", 404, False)
NO_PERMISSION = ("AccessDeniedException", 403, False)
SERVICE_ERROR = ("ServiceException", 500, True)


@dataclass(frozen=True)
class DeliveryConfig:
    kind: Literal["rule", "scheduler"] = "rule"
    trigger_arn: str = ""
    target_arn: str = ""
    retry: TriggerRetryPolicy = field(default_factory=TriggerRetryPolicy)
    trigger_dead_letter: str | None = None  # SQS queue ARN of the target's DLQ
    flexible_window_minutes: int = 0  # Scheduler FlexibleTimeWindow; 0 = OFF
    async_config: AsyncInvokeConfig = field(default_factory=AsyncInvokeConfig)
    reserved_concurrency: int | None = None  # None: the account's pool (not limiting)
    function_exists: bool = True
    permitted: bool = True
    # Delivery faults: chance that a hand-off meets a Lambda service error, and that an
    # accepted event is delivered twice.
    handoff_error_rate: float = 0.0
    duplicate_rate: float = 0.0

    def to_report(self) -> dict[str, Any]:
        """The delivery as report.json shows it."""
        return {
            "trigger": self.kind,
            "trigger_arn": self.trigger_arn,
            "target_arn": self.target_arn,
            "retry_policy": asdict(self.retry),
            "trigger_dead_letter": self.trigger_dead_letter,
            "flexible_window_minutes": self.flexible_window_minutes,
            "async_invoke": asdict(self.async_config),
            "reserved_concurrency": self.reserved_concurrency,
            "duplicate_rate": self.duplicate_rate,
            "handoff_error_rate": self.handoff_error_rate,
        }


@dataclass(frozen=True)
class Execution:
    """One run of the function that the engine asks for."""

    occurrence: int
    scheduled: datetime
    at: datetime
    event_id: str
    request_id: str
    layer: Layer
    reason: str  # why this run happens: first delivery, which retry, duplicate
    number: int  # 1-based run number within the occurrence's main chain


@dataclass(frozen=True)
class ExecutionResult:
    status: ExecutionStatus
    duration_seconds: float
    error: str | None = None
    payload: Any = None  # the function's response
    detail: Any = None  # anything the caller wants kept with the attempt


@dataclass
class AttemptRecord:
    at: datetime
    layer: Layer
    status: str  # succeeded | function_error | timeout | throttled | <hand-off error code>
    reason: str
    request_id: str | None = None
    duration_seconds: float = 0.0
    error: str | None = None
    result: ExecutionResult | None = None


@dataclass
class DeadLetter:
    queue_arn: str
    layer: Literal["trigger", "lambda"]
    occurrence: int
    body: str
    attributes: dict[str, str]
    condition: str


@dataclass
class OccurrenceRecord:
    index: int
    scheduled: datetime
    event_id: str
    outcome: Outcome | None = None
    attempts: list[AttemptRecord] = field(default_factory=list)
    dead_letter: DeadLetter | None = None
    accepted_at: datetime | None = None  # when Lambda took the event
    handed_at: datetime | None = None  # the trigger's first hand-off (after any flex delay)
    execution_id: str | None = None  # Scheduler: the id of the latest hand-off attempt
    trigger_attempts: int = 0
    function_attempts: int = 0  # main chain, throttles excluded
    throttles: int = 0
    duplicates: int = 0


# (occurrence, hand-off number, execution id) -> what Lambda receives (any JSON value)
PayloadFor = Callable[[OccurrenceRecord, int, str], Any]
Invoke = Callable[[Execution, Any], ExecutionResult]
IdSource = Callable[[], str]


class Delivery:
    def __init__(
        self,
        config: DeliveryConfig,
        *,
        invoke: Invoke,
        payload_for: PayloadFor,
        new_id: IdSource,
        rng: random.Random,
        on_finished: Callable[[OccurrenceRecord], None] | None = None,
    ) -> None:
        self.config = config
        self._invoke = invoke
        self._payload_for = payload_for
        self._new_id = new_id
        self._rng = rng
        self._on_finished = on_finished
        self.check_stop: Callable[[], None] | None = None  # raises to stop the run
        self._queue: list[tuple[datetime, int, str, int, Any]] = []
        self._seq = 0
        self._running: list[datetime] = []  # end times of finished runs (may be future)
        self._in_flight = 0  # runs started and not yet returned (waiting in a sleep)
        self.dead_letters: list[DeadLetter] = []
        self._payloads: dict[int, Any] = {}
        self._records: list[OccurrenceRecord] = []

    # -- the queue -------------------------------------------------------------------
    def _push(self, at: datetime, action: str, occurrence: int, data: Any = None) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, action, occurrence, data))

    def run(self, occurrences: Iterable[datetime]) -> list[OccurrenceRecord]:
        records: list[OccurrenceRecord] = []
        window = self.config.flexible_window_minutes * 60
        for index, scheduled in enumerate(occurrences):
            records.append(OccurrenceRecord(index, scheduled, self._new_id()))
            # Scheduler's flexible window: somewhere in [0, window) after the time.
            delay = self._rng.randrange(window) if window else 0
            self._push(scheduled + timedelta(seconds=delay), "handoff", index, 1)
        self._records = records
        while self._queue:
            if self.check_stop is not None:
                self.check_stop()  # a Ctrl-C whose exception Python dropped stops here
            self._step()
        return records

    def finished_records(self) -> list[OccurrenceRecord]:
        """The occurrences that reached an outcome (all of them once `run` returns; fewer
        when it was interrupted)."""
        return [r for r in getattr(self, "_records", []) if r.outcome is not None]

    def advance_until(self, wake: datetime) -> None:
        """Process everything due before `wake`: called while a run sleeps until then,
        so runs that overlap in virtual time interleave at their waits."""
        while self._queue and self._queue[0][0] < wake:
            self._step()

    def _step(self) -> None:
        at, _, action, index, data = heapq.heappop(self._queue)
        record = self._records[index]
        if action == "handoff":
            self._handoff(record, at, data)
        elif action == "execute":
            self._execute(record, at, *data)
        else:
            self._duplicate(record, at, data)

    def _finish(self, record: OccurrenceRecord, outcome: Outcome) -> None:
        record.outcome = outcome
        if self._on_finished is not None:
            self._on_finished(record)

    # -- trigger layer ---------------------------------------------------------------
    def _handoff(self, record: OccurrenceRecord, at: datetime, number: int) -> None:
        config = self.config
        record.trigger_attempts = number
        record.execution_id = self._new_id()
        if record.handed_at is None:
            record.handed_at = at
        error = None
        if not config.function_exists:
            error = NOT_FOUND
        elif not config.permitted:
            error = NO_PERMISSION
        elif config.handoff_error_rate and self._rng.random() < config.handoff_error_rate:
            error = SERVICE_ERROR
        if error is None:
            self._accept(record, at, number)
            return
        code, status, retryable = error
        reason = "scheduled" if number == 1 else f"trigger retry {number - 1}"
        record.attempts.append(
            AttemptRecord(at, "trigger", code, reason, error=f"{code} (HTTP {status})")
        )
        retry = config.retry
        # The event's age counts from when the trigger first tried, after any flexible
        # window delay.
        age = (at - record.handed_at).total_seconds()
        if retryable and number <= retry.maximum_retry_attempts:
            wait = retry.backoff(number, self._rng)
            if age + wait <= retry.maximum_event_age_seconds:
                self._push(at + timedelta(seconds=wait), "handoff", record.index, number + 1)
                return
            exhausted = "MaximumEventAgeInSeconds"
        else:
            exhausted = "MaximumRetryAttempts"
        self._trigger_gives_up(record, at, code, f"{code} (HTTP {status})", exhausted, number)

    def _trigger_gives_up(
        self,
        record: OccurrenceRecord,
        at: datetime,
        code: str,
        message: str,
        exhausted: str,
        attempts: int,
    ) -> None:
        config = self.config
        if config.trigger_dead_letter is None:
            self._finish(record, "failed")
            return
        attributes = {
            "ERROR_CODE": code,
            "ERROR_MESSAGE": message,
            "EXHAUSTED_RETRY_CONDITION": exhausted,
            "RETRY_ATTEMPTS": str(attempts - 1),
            "TARGET_ARN": config.target_arn,
        }
        if config.kind == "rule":
            attributes["RULE_ARN"] = config.trigger_arn
        else:
            attributes.update(
                SCHEDULE_ARN=config.trigger_arn,
                SCHEDULED_TIME=record.scheduled.strftime("%Y-%m-%dT%H:%M:%SZ"),
                EXECUTION_ID=record.execution_id or "",
                IS_PAYLOAD_TRUNCATED="false",
            )
        self._dead_letter(
            record,
            DeadLetter(
                config.trigger_dead_letter,
                "trigger",
                record.index,
                _json(self._payload(record, attempts)),
                attributes,
                exhausted,
            ),
        )

    # -- Lambda layer ----------------------------------------------------------------
    def _accept(self, record: OccurrenceRecord, at: datetime, handoff: int) -> None:
        record.accepted_at = at
        self._payloads[record.index] = self._payload_for(
            record, handoff, record.execution_id or self._new_id()
        )
        if self.config.reserved_concurrency == 0:
            # "Lambda begins sending new events to the configured dead-letter queue or
            # the on-failure event destination, without any retries."
            record.attempts.append(
                AttemptRecord(at, "lambda", "throttled", "reserved concurrency is 0")
            )
            record.throttles += 1
            self._lambda_gives_up(record, at, "RetriesExhausted", 429, "Rate Exceeded.", None)
            return
        self._push(at, "execute", record.index, (1, 0))
        if self.config.duplicate_rate and self._rng.random() < self.config.duplicate_rate:
            self._push(at + timedelta(seconds=self._rng.uniform(0, 5)), "dup", record.index, 0)

    def _slot_free(self, at: datetime) -> bool:
        running = self._running
        while running and running[0] <= at:
            heapq.heappop(running)
        limit = self.config.reserved_concurrency
        return limit is None or len(running) + self._in_flight < limit

    def _run(
        self, record: OccurrenceRecord, at: datetime, layer: Layer, reason: str, number: int
    ) -> ExecutionResult:
        execution = Execution(
            record.index,
            record.scheduled,
            at,
            record.event_id,
            self._new_id(),
            layer,
            reason,
            number,
        )
        self._in_flight += 1
        try:
            result = self._invoke(execution, self._payloads[record.index])
        finally:
            self._in_flight -= 1
        heapq.heappush(self._running, at + timedelta(seconds=result.duration_seconds))
        record.attempts.append(
            AttemptRecord(
                at,
                layer,
                result.status,
                reason,
                execution.request_id,
                result.duration_seconds,
                result.error,
                result,
            )
        )
        return result

    def _execute(self, record: OccurrenceRecord, at: datetime, number: int, throttles: int) -> None:
        config = self.config.async_config
        age = (at - (record.accepted_at or at)).total_seconds()
        if not self._slot_free(at):
            record.throttles += 1
            reason = "first delivery" if number == 1 else f"lambda retry {number - 1}"
            record.attempts.append(AttemptRecord(at, "lambda", "throttled", reason))
            # Backoff doubles, but the last retry comes when the event reaches its
            # maximum age rather than never.
            wait = min(config.throttle_delay(throttles + 1), config.maximum_event_age_seconds - age)
            if wait <= 0:
                self._lambda_gives_up(record, at, "EventAgeExceeded", 429, "Rate Exceeded.", None)
                return
            self._push(
                at + timedelta(seconds=wait), "execute", record.index, (number, throttles + 1)
            )
            return
        reason = "first delivery" if number == 1 else f"lambda retry {number - 1}"
        if throttles:
            reason += f" after {throttles} throttle{'s' if throttles > 1 else ''}"
        result = self._run(record, at, "lambda", reason, number)
        record.function_attempts = number
        if result.status == "succeeded":
            self._finish(record, "succeeded")
            return
        ended = at + timedelta(seconds=result.duration_seconds)
        if number <= config.maximum_retry_attempts:
            retry_at = ended + timedelta(seconds=config.error_retry_delay(number))
            if (
                retry_at - (record.accepted_at or at)
            ).total_seconds() <= config.maximum_event_age_seconds:
                self._push(retry_at, "execute", record.index, (number + 1, 0))
                return
            condition = "EventAgeExceeded"
        else:
            condition = "RetriesExhausted"
        self._lambda_gives_up(record, ended, condition, 200, result.error or "", result)

    def _lambda_gives_up(
        self,
        record: OccurrenceRecord,
        at: datetime,
        condition: str,
        status_code: int,
        message: str,
        result: ExecutionResult | None,
    ) -> None:
        config = self.config.async_config
        payload = self._payloads[record.index]
        if config.on_failure is not None:
            body = {
                "version": "1.0",
                "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "requestContext": {
                    "requestId": self._last_request_id(record) or self._new_id(),
                    "functionArn": f"{self.config.target_arn}:$LATEST",
                    "condition": condition,
                    "approximateInvokeCount": record.function_attempts,
                },
                "requestPayload": payload,
                "responseContext": {
                    "statusCode": status_code,
                    "executedVersion": "$LATEST",
                    **({"functionError": "Unhandled"} if result is not None else {}),
                },
                "responsePayload": _error_payload(message) if result is not None else None,
            }
            letter = DeadLetter(
                config.on_failure, "lambda", record.index, _json(body), {}, condition
            )
        elif config.dead_letter_queue is not None:
            attributes = {
                "RequestID": self._last_request_id(record) or "",
                "ErrorCode": str(status_code),
                "ErrorMessage": message[:1024],
            }
            letter = DeadLetter(
                config.dead_letter_queue,
                "lambda",
                record.index,
                _json(payload),
                attributes,
                condition,
            )
        else:
            self._finish(record, "failed")
            return
        self._dead_letter(record, letter)

    def _duplicate(self, record: OccurrenceRecord, at: datetime, throttles: int) -> None:
        """A second delivery of an accepted event: throttles are retried as for any
        delivery; once it runs, its result is kept but not retried."""
        if throttles == 0:
            record.duplicates += 1
        if self._slot_free(at):
            self._run(record, at, "duplicate", "at-least-once delivery", 0)
            return
        record.attempts.append(
            AttemptRecord(at, "duplicate", "throttled", "at-least-once delivery")
        )
        config = self.config.async_config
        age = (at - (record.accepted_at or at)).total_seconds()
        wait = min(config.throttle_delay(throttles + 1), config.maximum_event_age_seconds - age)
        if wait > 0:
            self._push(at + timedelta(seconds=wait), "dup", record.index, throttles + 1)

    # -- helpers ---------------------------------------------------------------------
    def _dead_letter(self, record: OccurrenceRecord, letter: DeadLetter) -> None:
        record.dead_letter = letter
        self.dead_letters.append(letter)
        self._finish(record, "dlq")

    def _payload(self, record: OccurrenceRecord, handoff: int) -> Any:
        if record.index in self._payloads:
            return self._payloads[record.index]
        return self._payload_for(record, handoff, record.execution_id or self._new_id())

    @staticmethod
    def _last_request_id(record: OccurrenceRecord) -> str | None:
        for attempt in reversed(record.attempts):
            if attempt.request_id and attempt.layer == "lambda":
                return attempt.request_id
        return None


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _error_payload(error: str) -> dict[str, str]:
    """What Lambda answers for a failed run: `errorType` and `errorMessage` from an
    executor's `Type: message` error (`Sandbox.Timedout: RequestId: ...`)."""
    kind, message = error_parts(error)
    return (
        {"errorMessage": message} if kind is None else {"errorMessage": message, "errorType": kind}
    )
