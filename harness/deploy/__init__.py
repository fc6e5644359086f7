"""Deploying a function's stack: reading CloudFormation templates, deploying them to the
embedded AWS (resource by resource) or through CloudFormation (LocalStack, AWS), the
function's zip, the stack a run provisions, and the Compose stack."""

from .cloudformation import Stack, Template, TemplateError
from .package import build_function_zip
from .provision import HANDLER, Deployed, StackSpec, check_function, provision
from .seed_data import DeployedStack, SeedData, check_data_dir, load_data, prepare_stack
from .stacks import DEFAULT_TEMPLATE, StackDeployment
from .targets import TARGETS, Deployment, DeployOptions, deploy

__all__ = [
    "DEFAULT_TEMPLATE",
    "HANDLER",
    "TARGETS",
    "DeployOptions",
    "Deployed",
    "DeployedStack",
    "Deployment",
    "SeedData",
    "Stack",
    "StackDeployment",
    "StackSpec",
    "Template",
    "TemplateError",
    "build_function_zip",
    "check_data_dir",
    "check_function",
    "deploy",
    "load_data",
    "prepare_stack",
    "provision",
]
