"""Deploying a function's stack: reading CloudFormation templates, deploying them to the
embedded AWS (resource by resource) or through CloudFormation (LocalStack, AWS), the
function's zip, the stack a run provisions, and the Compose stack."""

from .cloudformation import Stack, Template, TemplateError
from .package import build_function_zip
from .provision import Deployed, StackSpec, check_function, provision
from .stacks import DEFAULT_TEMPLATE, StackDeployment
from .targets import TARGETS, Deployment, DeployOptions, deploy

__all__ = [
    "DEFAULT_TEMPLATE",
    "TARGETS",
    "DeployOptions",
    "Deployed",
    "Deployment",
    "Stack",
    "StackDeployment",
    "StackSpec",
    "Template",
    "TemplateError",
    "build_function_zip",
    "check_function",
    "deploy",
    "provision",
]
