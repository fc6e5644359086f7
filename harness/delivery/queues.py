"""Dead letters in SQS on the backend: sent as AWS sends them, read back to check them."""

from __future__ import annotations

from typing import Any

from .engine import DeadLetter, DeliveryConfig


def queue_url(sqs: Any, arn: str) -> str:
    account, name = arn.split(":")[4], arn.split(":")[5]
    url: str = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return url


def send_dead_letters(sqs: Any, letters: list[DeadLetter]) -> None:
    """Send in batches of ten, as SQS allows, queue by queue."""
    by_queue: dict[str, list[DeadLetter]] = {}
    for letter in letters:
        by_queue.setdefault(letter.queue_arn, []).append(letter)
    for arn, queued in by_queue.items():
        url = queue_url(sqs, arn)
        for start in range(0, len(queued), 10):
            entries = [
                {
                    "Id": str(n),
                    "MessageBody": letter.body,
                    "MessageAttributes": {
                        name: {
                            "DataType": "Number" if name == "ErrorCode" else "String",
                            "StringValue": value,
                        }
                        for name, value in letter.attributes.items()
                        if value
                    },
                }
                for n, letter in enumerate(queued[start : start + 10])
            ]
            failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
            if failed:
                raise RuntimeError(f"SQS refused dead letters for {arn}: {failed}")


def read_queue(sqs: Any, arn: str) -> list[dict[str, Any]]:
    """Every message in the queue through the SQS API (for backends whose model cannot
    be read directly). Received with a long visibility timeout so none comes round
    twice, then made visible again."""
    url = queue_url(sqs, arn)
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=3600,
        ).get("Messages", [])
        if not batch:
            break
        messages.extend(batch)
    for start in range(0, len(messages), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for n, m in enumerate(messages[start : start + 10])
            ],
        )
    return messages


def queued_messages(backend: Any, config: DeliveryConfig) -> list[tuple[str, str, dict[str, str]]]:
    """(queue ARN, body, attributes) of every message in the delivery's dead-letter and
    on-failure queues, each queue once."""
    targets = (
        config.trigger_dead_letter,
        config.async_config.on_failure,
        config.async_config.dead_letter_queue,
    )
    return [
        (arn, body, attributes)
        for arn in dict.fromkeys(q for q in targets if q)
        for body, attributes in backend.queue_messages(arn)
    ]
