"""Handlers as users write them: they read the clocks, sleep, wait and retry with the
standard library and boto3, and know nothing of the harness."""

import asyncio
import json
import logging
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import boto3
from botocore.config import Config


def _clocks() -> dict:
    return {
        "now": datetime.now(UTC).isoformat(),
        "utcnow": datetime.utcnow().isoformat(),
        "time": time.time(),
        "monotonic": time.monotonic(),
        "perf_counter": time.perf_counter(),
    }


def sleeper(event, context):
    """Sleeps 45 s and reports what every clock said before and after."""
    before, remaining = _clocks(), context.get_remaining_time_in_millis()
    time.sleep(45)
    print(
        json.dumps(
            {
                "event_time": event["time"],
                "before": before,
                "after": _clocks(),
                "remaining": [remaining, context.get_remaining_time_in_millis()],
            }
        )
    )
    return {"ok": True}


def overstayer(event, context):
    """Sleeps past any timeout under 10 s, and swallows every Exception on the way."""
    try:  # noqa: SIM105 (as users write it)
        time.sleep(10)
    except Exception:
        pass
    return {"ok": True}


async def _wait_a_little():
    await asyncio.sleep(30)
    try:  # noqa: SIM105 (as users write it)
        await asyncio.wait_for(asyncio.sleep(100), timeout=5)
    except TimeoutError:
        pass
    return datetime.now(UTC).isoformat()


def waiter(event, context):
    """Waits with timeouts in an event loop, on an Event, a queue and another thread."""
    waited = {"asyncio": asyncio.run(_wait_a_little())}
    threading.Event().wait(20)
    waited["event"] = datetime.now(UTC).isoformat()
    try:
        queue.Queue().get(timeout=7)
    except queue.Empty:
        waited["queue"] = datetime.now(UTC).isoformat()
    with ThreadPoolExecutor(1) as pool:
        waited["thread"] = pool.submit(_sleep_then_read, 3).result(timeout=60)
    print(json.dumps({"event_time": event["time"], **waited}))
    return {"ok": True}


def _sleep_then_read(seconds):
    time.sleep(seconds)
    return datetime.now(UTC).isoformat()


def writer(event, context):
    """One PutItem through boto3's own retries (RETRY_MODE: legacy or standard)."""
    client = boto3.client(
        "dynamodb", config=Config(retries={"mode": os.environ.get("RETRY_MODE", "legacy")})
    )
    started = time.monotonic()
    client.put_item(
        TableName=os.environ["SYNC_TABLE"],
        Item={"syncId": {"S": f"writer#{event['time']}"}},
    )
    print(json.dumps({"event_time": event["time"], "put_seconds": time.monotonic() - started}))
    return {"ok": True}


logger = logging.getLogger("timely")
print("init: loaded")


def logs_like_users_do(event, context):
    """Logs with the standard library at each level, from a thread too, and prints."""
    logger.debug("a debug line")
    logger.info("an info line")
    logger.warning("a warning\nover two lines")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("caught")
    thread = threading.Thread(target=lambda: logger.error("from a thread"))
    thread.start()
    thread.join()
    print("{not json, printed")
    print("plain text, printed")
    return {"ok": True}
