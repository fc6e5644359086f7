"""Deploy a CloudFormation template to the embedded AWS through the service APIs.

moto's own CloudFormation lacks five of the resource types a scheduled function's stack
needs (Secrets Manager secrets, queue policies, Lambda event invoke configs, Scheduler
schedules, CloudWatch alarms), and takes two seconds a stack. This walks the template
(`cloudformation.Stack`) and creates each resource with the call CloudFormation's
resource handler would make, in dependency order, in milliseconds.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .cloudformation import Stack, TemplateError
from .moto_models import (
    NOTHING_TO_CREATE,
    add_aws_managed_policy,
    create_with_model,
    model_types,
)

TYPES_PAGE = "docs/resource-types.md"


@dataclass(frozen=True)
class Created:
    ref: str  # what `Ref` answers
    attributes: Mapping[str, str]  # what `Fn::GetAtt` answers


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    type: str
    physical_id: str


Creator = Callable[[Any, Stack, str, dict[str, Any]], Created]


def deploy_embedded(backend: Any, stack: Stack) -> list[StackResource]:
    """Create every resource of `stack` on `backend`; what was created, in order."""
    created = []
    for logical in stack.included():
        kind = stack.template.resources[logical]["Type"]
        properties = stack.properties(logical)
        try:
            result = _create(backend, stack, logical, kind, properties)
        except TemplateError:
            raise
        except ClientError as exc:
            error = exc.response.get("Error", {})
            message = " ".join(str(error.get("Message")).split())
            message = message if len(message) <= 300 else message[:297] + "..."
            raise TemplateError(
                f"{stack.where(logical)} ({kind}) failed: {error.get('Code')}: {message}"
            ) from None
        except KeyError as exc:  # a property the resource cannot do without
            raise TemplateError(
                f"{stack.where(logical)} ({kind}) needs the property {exc.args[0]}"
            ) from None
        except Exception as exc:  # moto's models raise their own classes
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise TemplateError(f"{stack.where(logical)} ({kind}): {reason}") from None
        stack.refs[logical] = result.ref
        stack.attributes[logical] = result.attributes
        created.append(StackResource(logical, kind, result.ref))
    return created


def _create(
    backend: Any, stack: Stack, logical: str, kind: str, properties: dict[str, Any]
) -> Created:
    """Our creator for the type, else moto's CloudFormation model of it."""
    creator = CREATORS.get(kind)
    if creator is not None:
        return creator(backend, stack, logical, properties)
    if kind in NOTHING_TO_CREATE:
        return Created(physical_name(stack, logical), {})
    if kind in model_types():
        ref, attributes = create_with_model(
            stack, logical, kind, properties, physical_name(stack, logical)
        )
        return Created(ref, attributes)
    raise TemplateError(
        f"{stack.where(logical)} is a {kind}, which neither the embedded deploy nor moto's"
        f" CloudFormation creates (the types it does: {TYPES_PAGE}); deploy it with"
        " --target localstack, or leave it out of the local run with a Condition"
    )


def physical_name(stack: Stack, logical: str, limit: int = 64) -> str:
    """A generated name as CloudFormation makes one (stack-logical-SUFFIX), with a
    suffix fixed by the names so that a redeploy is the same."""
    suffix = hashlib.sha256(f"{stack.name}/{logical}".encode()).hexdigest()[:12].upper()
    return f"{stack.name}-{logical}"[: limit - len(suffix) - 1] + "-" + suffix


def _arn(stack: Stack, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{stack.region}:{stack.account}:{resource}"


def _table(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("TableName") or physical_name(stack, logical, 255)
    keys = (
        "AttributeDefinitions",
        "KeySchema",
        "GlobalSecondaryIndexes",
        "LocalSecondaryIndexes",
        "BillingMode",
        "ProvisionedThroughput",
        "StreamSpecification",
        "SSESpecification",
        "Tags",
    )
    request = {k: p[k] for k in keys if k in p}
    if "StreamSpecification" in request:
        request["StreamSpecification"] = {"StreamEnabled": True, **request["StreamSpecification"]}
    table = api.client("dynamodb").create_table(TableName=name, **request)["TableDescription"]
    ttl = p.get("TimeToLiveSpecification")
    if ttl:
        api.client("dynamodb").update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
    recovery = (p.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled")
    if str(recovery).lower() == "true":
        api.client("dynamodb").update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    attributes = {"Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        attributes["StreamArn"] = table["LatestStreamArn"]
    return Created(name, attributes)


def _secret(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("Name") or physical_name(stack, logical)
    request: dict[str, Any] = {"Name": name}
    for key in ("Description", "KmsKeyId", "Tags"):
        if key in p:
            request[key] = p[key]
    if "SecretString" in p:
        request["SecretString"] = p["SecretString"]
    elif "GenerateSecretString" in p:
        request["SecretString"] = _generated_secret(api, p["GenerateSecretString"])
    arn: str = api.client("secretsmanager").create_secret(**request)["ARN"]
    return Created(arn, {"Id": arn})


def _generated_secret(api: Any, spec: dict[str, Any]) -> str:
    options = {
        k: spec[k]
        for k in (
            "PasswordLength",
            "ExcludeCharacters",
            "ExcludeNumbers",
            "ExcludePunctuation",
            "ExcludeUppercase",
            "ExcludeLowercase",
            "IncludeSpace",
            "RequireEachIncludedType",
        )
        if k in spec
    }
    password: str = api.client("secretsmanager").get_random_password(**options)["RandomPassword"]
    template = spec.get("SecretStringTemplate")
    if template and spec.get("GenerateStringKey"):
        return json.dumps({**json.loads(template), spec["GenerateStringKey"]: password})
    return password


def _log_group(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("LogGroupName") or physical_name(stack, logical, 512)
    logs = api.client("logs")
    logs.create_log_group(logGroupName=name)
    if "RetentionInDays" in p:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(p["RetentionInDays"]))
    return Created(name, {"Arn": _arn(stack, "logs", f"log-group:{name}:*")})


def _queue(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    fifo = str(p.get("FifoQueue", "")).lower() == "true"
    default = physical_name(stack, logical, 80 - (5 if fifo else 0)) + (".fifo" if fifo else "")
    name = p.get("QueueName") or default
    attributes = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in p.items()
        if key not in ("QueueName", "Tags")
    }
    attributes = {k: v.lower() if v in ("true", "false") else v for k, v in attributes.items()}
    sqs = api.client("sqs")
    url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = _arn(stack, "sqs", name)
    return Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def _queue_policy(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    for url in p["Queues"]:
        api.client("sqs").set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json.dumps(p["PolicyDocument"])}
        )
    return Created(physical_name(stack, logical), {})


def _role(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("RoleName") or physical_name(stack, logical)
    iam = api.client("iam")
    request: dict[str, Any] = {
        "RoleName": name,
        "AssumeRolePolicyDocument": json.dumps(p["AssumeRolePolicyDocument"]),
        "Path": p.get("Path", "/"),
    }
    for key in ("Description", "MaxSessionDuration", "PermissionsBoundary", "Tags"):
        if key in p:
            request[key] = p[key]
    role = iam.create_role(**request)["Role"]
    for policy in p.get("Policies", []):
        # IAM takes a document without a Version (as 2008-10-17, which SAM's policy
        # templates rely on); moto refuses one, so it is given the current version.
        document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
        iam.put_role_policy(
            RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document)
        )
    for arn in p.get("ManagedPolicyArns", []):
        add_aws_managed_policy(stack.account, arn)
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})


def _inline_zip(source: str) -> bytes:
    """CloudFormation's `Code.ZipFile`: the source as `index.py` in a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


def _function(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("FunctionName") or physical_name(stack, logical)
    code = dict(p["Code"])
    if "ZipFile" in code:
        code["ZipFile"] = _inline_zip(code["ZipFile"])
    keys = (
        "Runtime",
        "Handler",
        "Description",
        "Environment",
        "DeadLetterConfig",
        "Layers",
        "Architectures",
        "TracingConfig",
        "EphemeralStorage",
        "LoggingConfig",
    )
    request = {k: p[k] for k in keys if k in p}
    for key in ("Timeout", "MemorySize"):
        if key in p:
            request[key] = int(p[key])
    lam = api.client("lambda")
    arn: str = lam.create_function(FunctionName=name, Role=p["Role"], Code=code, **request)[
        "FunctionArn"
    ]
    if "ReservedConcurrentExecutions" in p:
        lam.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=int(p["ReservedConcurrentExecutions"])
        )
    return Created(name, {"Arn": arn})


def _invoke_config(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    request: dict[str, Any] = {"FunctionName": p["FunctionName"], "Qualifier": p["Qualifier"]}
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if key in p:
            request[key] = int(p[key])
    if "DestinationConfig" in p:
        request["DestinationConfig"] = p["DestinationConfig"]
    api.client("lambda").put_function_event_invoke_config(**request)
    return Created(physical_name(stack, logical), {})


def _permission(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    statement = physical_name(stack, logical, 100)
    keys = ("Action", "Principal", "SourceArn", "SourceAccount", "EventSourceToken")
    api.client("lambda").add_permission(
        FunctionName=p["FunctionName"],
        StatementId=statement,
        **{k: p[k] for k in keys if k in p},
    )
    return Created(statement, {})


def _rule(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("Name") or physical_name(stack, logical)
    events = api.client("events")
    keys = ("ScheduleExpression", "EventPattern", "State", "Description", "RoleArn")
    request = {k: p[k] for k in keys if k in p}
    if isinstance(request.get("EventPattern"), dict):
        request["EventPattern"] = json.dumps(request["EventPattern"])
    bus = p.get("EventBusName", "default")
    arn: str = events.put_rule(Name=name, EventBusName=bus, **request)["RuleArn"]
    targets = [_target(target) for target in p.get("Targets", [])]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return Created(name, {"Arn": arn})


def _target(target: dict[str, Any]) -> dict[str, Any]:
    """A rule target as PutTargets takes it: the numbers in its retry policy are ints."""
    result = dict(target)
    if "RetryPolicy" in result:
        result["RetryPolicy"] = {k: int(v) for k, v in result["RetryPolicy"].items()}
    return result


def _schedule(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("Name") or physical_name(stack, logical)
    group = p.get("GroupName", "default")
    keys = ("ScheduleExpressionTimezone", "Description", "State", "KmsKeyArn")
    request: dict[str, Any] = {k: p[k] for k in keys if k in p}
    for key in ("StartDate", "EndDate"):
        if key in p:
            request[key] = datetime.fromisoformat(str(p[key]).replace("Z", "+00:00"))
    window = dict(p["FlexibleTimeWindow"])
    if "MaximumWindowInMinutes" in window:
        window["MaximumWindowInMinutes"] = int(window["MaximumWindowInMinutes"])
    target = dict(p["Target"])
    if "RetryPolicy" in target:
        target["RetryPolicy"] = {k: int(v) for k, v in target["RetryPolicy"].items()}
    arn: str = api.client("scheduler").create_schedule(
        Name=name,
        GroupName=group,
        ScheduleExpression=p["ScheduleExpression"],
        FlexibleTimeWindow=window,
        Target=target,
        **request,
    )["ScheduleArn"]
    return Created(name, {"Arn": arn})


def _alarm(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("AlarmName") or physical_name(stack, logical, 255)
    request = dict(p)
    request.pop("AlarmName", None)
    for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
        if key in request:
            request[key] = int(request[key])
    if "Threshold" in request:
        request["Threshold"] = float(request["Threshold"])
    api.client("cloudwatch").put_metric_alarm(AlarmName=name, **request)
    return Created(name, {"Arn": _arn(stack, "cloudwatch", f"alarm:{name}")})


def _bucket(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("BucketName") or physical_name(stack, logical, 63).lower()
    api.client("s3").create_bucket(Bucket=name)
    return Created(name, {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"})


def _subscription(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    attributes = {
        k: v if isinstance(v, str) else json.dumps(v)
        for k, v in p.items()
        if k in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy")
    }
    arn: str = api.client("sns").subscribe(
        TopicArn=p["TopicArn"],
        Protocol=p["Protocol"],
        Endpoint=p.get("Endpoint", ""),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Created(arn, {"Arn": arn})


def _schedule_group(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("Name") or physical_name(stack, logical)
    arn: str = api.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
    return Created(name, {"Arn": arn})


def _rest_api(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    gateway = api.client("apigateway")
    body = dict(p.get("Body") or {})
    info = body.get("info") or {}
    created = None
    if body.get("openapi"):  # moto imports OpenAPI 3 (it wants a description)
        body["info"] = {"description": "", **info}
        created = gateway.import_rest_api(body=json.dumps(body).encode())
    if created is None:  # no body, or Swagger 2 as SAM writes it: the API, without its paths
        keys = ("Description", "BinaryMediaTypes", "Tags")
        created = gateway.create_rest_api(
            name=p.get("Name") or info.get("title") or physical_name(stack, logical),
            **{k[0].lower() + k[1:]: p[k] for k in keys if k in p},
        )
    resources = gateway.get_resources(restApiId=created["id"])["items"]
    root = next(r["id"] for r in resources if r["path"] == "/")
    return Created(created["id"], {"RootResourceId": root, "RestApiId": created["id"]})


def _subscription_filter(api: Any, stack: Stack, logical: str, p: dict[str, Any]) -> Created:
    name = p.get("FilterName") or physical_name(stack, logical, 512)
    api.client("logs").put_subscription_filter(
        logGroupName=p["LogGroupName"],
        filterName=name,
        filterPattern=p.get("FilterPattern", ""),
        destinationArn=p["DestinationArn"],
    )
    return Created(name, {})


CREATORS: dict[str, Creator] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SQS::Queue": _queue,
    "AWS::SQS::QueuePolicy": _queue_policy,
    "AWS::IAM::Role": _role,
    "AWS::Lambda::Function": _function,
    "AWS::Lambda::EventInvokeConfig": _invoke_config,
    "AWS::Lambda::Permission": _permission,
    "AWS::Events::Rule": _rule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::S3::Bucket": _bucket,
    "AWS::SNS::Subscription": _subscription,
    "AWS::Scheduler::ScheduleGroup": _schedule_group,
    "AWS::ApiGateway::RestApi": _rest_api,
    "AWS::Logs::SubscriptionFilter": _subscription_filter,
}
