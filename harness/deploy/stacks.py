"""Deploy one template, unchanged, to the embedded AWS, to LocalStack or to AWS.

The function's zip goes to S3 first (what `aws cloudformation package` does) and the
template names it with its `CodeBucket` and `CodeKey` parameters. The embedded AWS gets
the template through the service APIs (`embedded_stack`); LocalStack and AWS get it
through CloudFormation. Either way the result is the stack's resources and outputs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from ..delivery.deployed import DeployedDelivery, read_rule, read_schedule
from ..errors import BadInput
from . import cdk, sam
from .cloudformation import Template, TemplateError
from .embedded_stack import StackResource, deploy_embedded
from .package import build_user_zip

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"
DEFAULT_STACK = "scheduled-sync"
TRIGGER_TYPES = ("AWS::Events::Rule", "AWS::Scheduler::Schedule")


@dataclass(frozen=True)
class StackDeployment:
    """What a deploy left: the stack's resources (physical ids) and outputs."""

    name: str
    target: str
    resources: list[StackResource]
    outputs: dict[str, str] = field(default_factory=dict)
    # A SAM function's local CodeUri directory, by the function's physical name.
    code_dirs: dict[str, Path] = field(default_factory=dict)

    def of_type(self, kind: str) -> list[str]:
        return [r.physical_id for r in self.resources if r.type == kind]

    def names(self) -> dict[str, str]:
        """`physical_ids` but URLs and ARNs: they hold a port or a random suffix, which
        a report that one seed fixes leaves out."""
        return {k: v for k, v in self.physical_ids().items() if not v.startswith(("http", "arn:"))}

    def physical_ids(self) -> dict[str, str]:
        """Each resource's physical id (a table's or bucket's name) by its logical id."""
        return {r.logical_id: r.physical_id for r in self.resources}

    def trigger(self, backend: Any) -> tuple[str, str]:
        """(kind, name) of what fires the function: its first Scheduler schedule or rule
        with a schedule expression (a rule on an event pattern fires on events, not here)."""
        for resource in self.resources:
            if resource.type in TRIGGER_TYPES:
                kind = "rule" if resource.type == "AWS::Events::Rule" else "scheduler"
                # A rule on a custom bus is `bus|name`; a schedule may be an ARN.
                name = resource.physical_id.rsplit("/", 1)[-1].split("|")[-1]
                if kind == "scheduler" or _scheduled_rule(backend, name):
                    return kind, name
        raise BadInput(
            f"stack {self.name} has no EventBridge rule or Scheduler schedule to fire;"
            " the template needs an AWS::Events::Rule with a ScheduleExpression or an"
            " AWS::Scheduler::Schedule"
        )


def _scheduled_rule(backend: Any, name: str) -> bool:
    return "ScheduleExpression" in backend.client("events").describe_rule(Name=name)


def stack_name_for(template: Path) -> str:
    """The reference stack's name, a CDK app's stack's, or a user's template's directory
    as a stack name (CloudFormation's letters, digits and hyphens), so their resources
    read as theirs."""
    if template.resolve() == DEFAULT_TEMPLATE:
        return DEFAULT_STACK
    synthesized = template.name.endswith(".template.json")  # CDK's: cdk.out/<Stack>.template.json
    base = (
        template.name.removesuffix(".template.json")
        if synthesized
        else template.resolve().parent.name
    )
    name = re.sub(r"[^A-Za-z0-9-]+", "-", base).strip("-")
    name = name if name[:1].isalpha() else f"stack-{name}".rstrip("-")
    return name[:64]


def read_back(backend: Any, stack: StackDeployment) -> DeployedDelivery:
    """What fires the function, read from the backend's own APIs as the deploy left it."""
    kind, name = stack.trigger(backend)
    try:
        if kind == "rule":
            return read_rule(backend, name)
        return read_schedule(backend, name, schedule_group(backend, name))
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise BadInput(
            f"reading back {kind} {name} failed: {error.get('Code')}: {error.get('Message')}"
        ) from None


def schedule_group(backend: Any, name: str) -> str:
    """The group a Scheduler schedule of that name is in (`default` unless a template
    put it in a group of its own)."""
    pages = backend.client("scheduler").get_paginator("list_schedules").paginate(NamePrefix=name)
    groups = [s["GroupName"] for page in pages for s in page["Schedules"] if s["Name"] == name]
    return groups[0] if groups else "default"


def artifact_key(code: bytes) -> str:
    """The zip's key in the artifact bucket, named by its content as `sam package` does,
    so an unchanged function is not uploaded or redeployed again."""
    return f"functions/{hashlib.sha256(code).hexdigest()[:32]}.zip"


def upload_code(s3: Any, bucket: str, code: bytes, *, create: bool, region: str) -> str:
    try:
        return _upload(s3, bucket, code, create=create, region=region)
    except (ClientError, BotoCoreError) as exc:
        reason = " ".join(str(exc).split())
        raise BadInput(f"cannot upload the function's zip to s3://{bucket}: {reason}") from None


def _upload(s3: Any, bucket: str, code: bytes, *, create: bool, region: str) -> str:
    if create:
        try:
            if region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(
                    Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
                )
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou",):
                raise BadInput(f"cannot create the artifact bucket {bucket}: {exc}") from None
    key = artifact_key(code)
    s3.put_object(Bucket=bucket, Key=key, Body=code)
    return key


def deploy_to_embedded(
    backend: Any,
    template: Template,
    parameters: Mapping[str, str],
    code: bytes,
    *,
    stack_name: str = DEFAULT_STACK,
) -> StackDeployment:
    """Deploy to the embedded AWS (or anything that answers its service APIs)."""
    bucket = f"harness-artifacts-{backend.account}-{backend.region}"
    s3 = backend.client("s3")
    key = upload_code(s3, bucket, code, create=True, region=backend.region)
    values = template.parameter_values({**parameters, "CodeBucket": bucket, "CodeKey": key})
    template, code_dirs = expand_sam(template, values, s3, bucket, region=backend.region)
    stack = template.stack(stack_name, values, backend.account, backend.region)
    assets = cdk.publish_assets(template, stack, s3)  # a CDK app's, as `cdk deploy` does
    resources = deploy_embedded(backend, stack)
    functions = [r.logical_id for r in resources if r.type == "AWS::Lambda::Function"]
    code_dirs.update(cdk.asset_code_dirs(stack, functions, assets))
    return StackDeployment(
        stack_name, "embedded", resources, stack.outputs(), _by_physical(resources, code_dirs)
    )


def expand_sam(
    template: Template, values: dict[str, str], s3: Any, bucket: str, *, region: str
) -> tuple[Template, dict[str, Path]]:
    """A SAM template as plain CloudFormation, its local code zipped into `bucket`; any
    other template as it is."""
    if not template.is_sam:
        return template, {}

    def upload(directory: Path) -> tuple[str, str]:
        zipped = build_user_zip(directory)
        return bucket, upload_code(s3, bucket, zipped, create=False, region=region)

    return sam.expand(template, values, region=region, upload=upload)


def _by_physical(resources: list[StackResource], code_dirs: dict[str, Path]) -> dict[str, Path]:
    return {r.physical_id: code_dirs[r.logical_id] for r in resources if r.logical_id in code_dirs}


def deploy_with_cloudformation(
    clients: Any,
    template: Template,
    parameters: Mapping[str, str],
    code: bytes,
    *,
    target: str,
    bucket: str,
    create_bucket: bool,
    region: str,
    stack_name: str = DEFAULT_STACK,
    wait_seconds: int = 600,
) -> StackDeployment:
    """Create or update the stack through CloudFormation (LocalStack, AWS) and wait."""
    s3 = clients.client("s3")
    key = upload_code(s3, bucket, code, create=create_bucket, region=region)
    given = {**parameters, "CodeBucket": bucket, "CodeKey": key}
    values = template.parameter_values(given)  # checked here: one line, not a stack event
    # Expanded here as for the embedded AWS: the same resources everywhere, and local
    # CodeUri directories packaged (what `sam package` would do).
    template, _ = expand_sam(template, values, s3, bucket, region=region)
    cfn = clients.client("cloudformation")
    request = {
        "StackName": stack_name,
        "TemplateBody": template.text,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    }
    try:
        status = _stack_status(cfn, stack_name)
        if status == "ROLLBACK_COMPLETE":
            raise BadInput(
                f"stack {stack_name} on {target} is ROLLBACK_COMPLETE (its first deploy"
                " failed) and cannot be updated: delete it (`aws cloudformation delete-stack"
                f" --stack-name {stack_name}`) and deploy again"
            )
        exists = status not in (None, "REVIEW_IN_PROGRESS")
        try:
            if exists:
                cfn.update_stack(**request)
            else:
                cfn.create_stack(**request)
        except ClientError as exc:
            message = exc.response["Error"].get("Message", "")
            if "No updates are to be performed" not in message:
                raise TemplateError(f"{target} refused the stack {stack_name}: {message}") from None
        else:
            waiter = cfn.get_waiter("stack_update_complete" if exists else "stack_create_complete")
            delay = 2
            try:
                waiter.wait(
                    StackName=stack_name,
                    WaiterConfig={"Delay": delay, "MaxAttempts": max(1, wait_seconds // delay)},
                )
            except WaiterError:
                failure = _first_failure(cfn, stack_name)
                raise TemplateError(
                    f"stack {stack_name} did not deploy on {target}: {failure}"
                ) from None
        return read_stack(cfn, stack_name, target)
    except (ClientError, BotoCoreError) as exc:
        reason = " ".join(str(exc).split())
        raise BadInput(f"deploying stack {stack_name} to {target} failed: {reason}") from None


def read_stack(cfn: Any, stack_name: str, target: str) -> StackDeployment:
    resources = [
        StackResource(r["LogicalResourceId"], r["ResourceType"], r.get("PhysicalResourceId", ""))
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        for r in page["StackResourceSummaries"]
    ]
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return StackDeployment(stack_name, target, resources, outputs)


def _stack_status(cfn: Any, stack_name: str) -> str | None:
    """The stack's status; None when there is no such stack (other errors propagate)."""
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in exc.response["Error"].get("Message", ""):
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None


def _first_failure(cfn: Any, stack_name: str) -> str:
    """The reason of this deploy's earliest failed resource: the cause, not its
    consequences. Events come newest first; this deploy's begin at the stack's own
    latest CREATE/UPDATE_IN_PROGRESS."""
    try:
        events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    except ClientError as exc:
        return str(exc)
    this_deploy = []
    for event in events:
        this_deploy.append(event)
        stack_level = event.get("ResourceType") == "AWS::CloudFormation::Stack"
        if stack_level and event.get("ResourceStatus") in (
            "CREATE_IN_PROGRESS",
            "UPDATE_IN_PROGRESS",
        ):
            break
    failed = [
        e for e in reversed(this_deploy) if str(e.get("ResourceStatus", "")).endswith("FAILED")
    ]
    if not failed:
        return f"status {_stack_status(cfn, stack_name)}"
    first = failed[0]
    return f"{first['LogicalResourceId']}: {first.get('ResourceStatusReason', 'failed')}"
