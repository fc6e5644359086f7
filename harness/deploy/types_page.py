"""docs/resource-types.md, written from the code: what the embedded deploy does with each
resource type, and with each SAM event type (`python -m harness.deploy.types_page`
prints it; a test holds the page to it)."""

from __future__ import annotations

from pathlib import Path

from .cloudformation import Template
from .embedded_stack import CREATORS
from .moto_models import NOTHING_TO_CREATE, model_types
from .sam import expand

FIRED = {
    "AWS::Events::Rule": "fired on its schedule (a rule with a ScheduleExpression)",
    "AWS::Scheduler::Schedule": "fired on its schedule",
}
# A minimal function event of each SAM type, as SAM's documentation gives them.
SAM_EVENTS: dict[str, dict[str, object]] = {
    "Schedule": {"Schedule": "rate(1 day)"},
    "ScheduleV2": {"ScheduleExpression": "rate(1 day)", "ScheduleExpressionTimezone": "UTC"},
    "EventBridgeRule": {"Pattern": {"source": ["my.app"]}},
    "CloudWatchEvent": {"Pattern": {"source": ["my.app"]}},
    "SQS": {"Queue": "arn:aws:sqs:us-east-1:123456789012:jobs"},
    "SNS": {"Topic": "arn:aws:sns:us-east-1:123456789012:news"},
    "S3": {"Bucket": {"Ref": "Uploads"}, "Events": "s3:ObjectCreated:*"},
    "DynamoDB": {
        "Stream": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000",
        "StartingPosition": "LATEST",
    },
    "Kinesis": {
        "Stream": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
        "StartingPosition": "LATEST",
    },
    "Api": {"Path": "/items", "Method": "get"},
    "CloudWatchLogs": {"LogGroupName": "app", "FilterPattern": "ERROR"},
}


def how_created(kind: str) -> str:
    if kind in CREATORS:
        return "service API"
    if kind in NOTHING_TO_CREATE:
        return NOTHING_TO_CREATE[kind]
    if kind in model_types():
        return "moto's model"
    return "refused"


def resource_rows() -> list[tuple[str, str]]:
    kinds = sorted(set(CREATORS) | set(model_types()) | set(NOTHING_TO_CREATE))
    return [
        (kind, how_created(kind) + (f"; {FIRED[kind]}" if kind in FIRED else "")) for kind in kinds
    ]


def sam_event_rows() -> list[tuple[str, str, str]]:
    """(event type, the resources SAM makes of it, what the harness does)."""
    rows = []
    for event, properties in SAM_EVENTS.items():
        made = _expanded_types(event, properties)
        fired = any(kind in FIRED and event.startswith("Schedule") for kind in made)
        deploy = ", ".join(f"`{kind}` ({how_created(kind)})" for kind in made)
        what = "fired on its schedule, with AWS's delivery semantics" if fired else "not fired"
        rows.append((event, deploy, what))
    return rows


def _expanded_types(event: str, properties: dict[str, object]) -> list[str]:
    import json
    import tempfile

    body = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Uploads": {"Type": "AWS::S3::Bucket"},
            "Job": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "s3://bucket/code.zip",
                    "Handler": "app.handler",
                    "Runtime": "python3.12",
                    "Events": {"Trigger": {"Type": event, "Properties": properties}},
                },
            },
        },
    }
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "template.json"
        path.write_text(json.dumps(body))
        expanded, _ = expand(Template.parse(path), {}, region="us-east-1", upload=_no_upload)
    base = {"Uploads", "Job", "JobRole"}
    return sorted({r["Type"] for name, r in expanded.resources.items() if name not in base})


def _no_upload(directory: Path) -> tuple[str, str]:
    raise AssertionError("the samples' code is in S3 already")


NAV = (
    "[README](../README.md) · [Command line](cli.md) · [Your own stack](your-stack.md) ·"
    " [Schedules](schedules.md) · [Delivery](delivery.md) · [Latency](latency.md) ·"
    " [Faults](faults.md) · [Swarm](swarm.md) · [Testing](testing.md) · [Deploying](deploy.md) ·"
    " [Run page](report.md) · [Function](function.md) · [Performance](performance.md) ·"
    " [Architecture](architecture.md)"
)


def page() -> str:
    lines = [
        "# Resource types in the embedded deploy",
        "",
        NAV,
        "",
        "Written from the code by `python -m harness.deploy.types_page`; a test keeps it so.",
        "LocalStack and AWS deploy through CloudFormation itself and take every type they",
        "support. A SAM template is first expanded by AWS's own translator",
        "(`aws-sam-translator`), so its `AWS::Serverless::*` resources become the types below;",
        "a CDK app's synthesized template is deployed with its assets, as `cdk deploy` does.",
        "",
        "## SAM function events",
        "",
        "| Event type | Resources SAM makes of it (how each is created) | In a run |",
        "|---|---|---|",
        *(f"| `{e}` | {made} | {what} |" for e, made, what in sam_event_rows()),
        "",
        "Only schedules fire: the harness is for scheduled functions. The other triggers are",
        "deployed, so a template that has them deploys whole, and your function is fired by",
        "its schedule alone.",
        "",
        "## Resource types",
        "",
        "*Service API*: created with the call CloudFormation's own handler makes (the types a",
        "scheduled function's stack is made of, in milliseconds). *moto's model*: created by",
        "moto's CloudFormation model of the type, so `Ref` and `Fn::GetAtt` answer as moto's",
        "CloudFormation would.",
        "",
        "| Type | What the embedded deploy does |",
        "|---|---|",
        *(f"| `{kind}` | {what} |" for kind, what in resource_rows()),
        "",
        "Any other type (custom resources included) is refused in one line that names it.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(page(), end="")
