"""The resource types the embedded deploy creates through moto's own CloudFormation models.

The types a scheduled function's stack is made of have creators of their own
(`embedded_stack.CREATORS`: the service API call CloudFormation's handler makes). Every
other type moto's CloudFormation knows (SNS topics, KMS keys, SSM parameters, EC2
instances, Step Functions...) is created by moto's model for it, in the embedded AWS's
own process, with the properties already resolved: what `Ref` and `Fn::GetAtt` answer
is what moto's CloudFormation would answer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from .cloudformation import Stack

# Types accepted and left uncreated, and why: `Ref` answers a made-up physical id.
NOTHING_TO_CREATE = {
    "AWS::CloudFormation::WaitCondition": "nothing to create",
    "AWS::CloudFormation::WaitConditionHandle": "nothing to create",
    "AWS::CDK::Metadata": "nothing to create (what CDK reports of the app's constructs)",
    # moto refuses a deployment of an API without methods, which SAM's Swagger 2 APIs
    # are once imported; a scheduled run serves no HTTP.
    "AWS::ApiGateway::Deployment": "not created: a scheduled run serves no HTTP",
    "AWS::ApiGateway::Stage": "not created: a scheduled run serves no HTTP",
}


@functools.cache
def model_types() -> dict[str, Any]:
    """Every type moto's CloudFormation models (importing them takes about a second, so
    only a template that needs one pays it)."""
    from moto.cloudformation.parsing import get_model_map

    # Leaving out the base classes' placeholder names ("?", "AWS::SERVICE::RESOURCE").
    return {
        kind: model
        for kind, model in get_model_map().items()
        if kind.count("::") == 2 and kind != "AWS::SERVICE::RESOURCE"
    }


class ModelAttributes(Mapping[str, str]):
    """`Fn::GetAtt` of a moto model, asked for when a template needs it."""

    def __init__(self, resource: Any) -> None:
        self._resource = resource

    def __getitem__(self, name: str) -> str:
        if not self._resource.has_cfn_attr(name):
            raise KeyError(name)
        return str(self._resource.get_cfn_attribute(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self._resource.has_cfn_attr(name))

    def __iter__(self) -> Iterator[str]:
        return iter(())  # moto models do not list their attributes

    def __len__(self) -> int:
        return 0


def create_with_model(
    stack: Stack, logical: str, kind: str, properties: dict[str, Any], name: str
) -> tuple[str, Mapping[str, str]]:
    """Create one resource with moto's model: (what Ref answers, its attributes)."""
    model = model_types()[kind]
    name_property = model.cloudformation_name_type()
    physical = properties.get(name_property, name) if name_property else name
    resource = model.create_from_cloudformation_json(
        physical,
        {"Type": kind, "Properties": properties},
        stack.account,
        stack.region,
        LogicalId=logical,
        StackId=stack.pseudo["AWS::StackId"],
        ResourceType=kind,
    )
    # Most models name their physical id; some (Lambda versions, event buses) only an ARN.
    for attribute in ("physical_resource_id", "arn", "name"):
        ref = getattr(resource, attribute, None)
        if ref:
            return str(ref), ModelAttributes(resource)
    return physical, ModelAttributes(resource)


def add_aws_managed_policy(account: str, arn: str) -> None:
    """Make an AWS managed policy attachable. moto's IAM knows AWS's managed policies
    but loads none of them unless asked to load all (a second per backend); a role that
    attaches one (every SAM function attaches AWSLambdaBasicExecutionRole) gets it here,
    from the same published list."""
    prefix = "arn:aws:iam::aws:policy"
    if not arn.startswith(prefix + "/"):
        return
    from moto.iam.models import AWSManagedPolicy, iam_backends

    iam = iam_backends[account]["global"]
    if arn in iam.managed_policies:
        return
    name = arn.rsplit("/", 1)[-1]
    data = aws_managed_policies().get(name)
    if data is not None and f"{prefix}{data.get('Path', '/')}{name}" == arn:
        iam.managed_policies[arn] = AWSManagedPolicy.from_data(name, account, "global", data)


@functools.cache
def aws_managed_policies() -> dict[str, Any]:
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies: dict[str, Any] = json.loads(aws_managed_policies_data)
    return policies
