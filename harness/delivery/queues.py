"""Dead letters in SQS on the backend: sent as AWS sends them, read back to check them."""

from __future__ import annotations

from typing import Any

from .engine import DeadLetter


def queue_url(sqs: Any, arn: str) -> str:
    account, name = arn.split(":")[4], arn.split(":")[5]
    url: str = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return url


def send_dead_letters(sqs: Any, letters: list[DeadLetter]) -> None:
    urls: dict[str, str] = {}
    for letter in letters:
        url = urls.get(letter.queue_arn) or urls.setdefault(
            letter.queue_arn, queue_url(sqs, letter.queue_arn)
        )
        attributes = {
            name: {"DataType": "Number" if name == "ErrorCode" else "String", "StringValue": value}
            for name, value in letter.attributes.items()
            if value
        }
        sqs.send_message(QueueUrl=url, MessageBody=letter.body, MessageAttributes=attributes)


def read_queue(sqs: Any, arn: str) -> list[dict[str, Any]]:
    """Every message in the queue (received, then made visible again)."""
    url = queue_url(sqs, arn)
    messages: list[dict[str, Any]] = []
    seen: set[str] = set()
    while True:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=30,
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            messages.append(message)
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return messages
