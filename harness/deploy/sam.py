"""A SAM template (`Transform: AWS::Serverless-2016-10-31`) expanded as AWS expands it.

AWS's own translator (the `aws-sam-translator` package, what CloudFormation's SAM
transform and `sam deploy` run) turns `AWS::Serverless::*` resources, their `Events`
and their policy templates into plain CloudFormation. Before it runs, every local
`CodeUri` (a directory beside the template, as `sam build` reads it) is zipped and
uploaded, as `sam package` does, and the function's code directory is remembered so
that the harness runs the handler from the user's own files.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import BadInput
from .cloudformation import Template, TemplateError
from .moto_models import aws_managed_policies

FUNCTION = "AWS::Serverless::Function"

# (code directory) -> (bucket, key) of its uploaded zip
Uploader = Callable[[Path], tuple[str, str]]


def expand(
    template: Template,
    parameters: dict[str, str],
    *,
    region: str,
    upload: Uploader,
) -> tuple[Template, dict[str, Path]]:
    """The plain CloudFormation template AWS would make of `template`, and the code
    directory of each function whose `CodeUri` is local (by logical id)."""
    body = copy.deepcopy(template.body)
    code_dirs = _package_code(template, body, upload)
    translated = _translate(template, body, parameters, region)
    return Template(template.path, json.dumps(translated), translated), code_dirs


def _package_code(template: Template, body: dict[str, Any], upload: Uploader) -> dict[str, Path]:
    """Replace each local CodeUri with the S3 location of its uploaded zip."""
    base = template.path.resolve().parent
    globals_ = (body.get("Globals") or {}).get("Function") or {}
    default_uri = globals_.get("CodeUri")
    code_dirs: dict[str, Path] = {}
    for logical, resource in (body.get("Resources") or {}).items():
        if not isinstance(resource, dict) or resource.get("Type") != FUNCTION:
            continue
        properties = resource.setdefault("Properties", {}) or {}
        resource["Properties"] = properties
        if "InlineCode" in properties or "ImageUri" in properties:
            continue
        uri = properties.get("CodeUri", default_uri)
        if uri is None:
            raise TemplateError(f"{template.path}: {logical} needs a CodeUri (or InlineCode)")
        if not isinstance(uri, str) or uri.startswith("s3://"):
            continue  # already packaged: {Bucket, Key} or an S3 URI
        directory = (base / uri).resolve()
        if not directory.is_dir():
            raise TemplateError(
                f"{template.path}: {logical} CodeUri {uri!r} is not a directory"
                f" (looked in {directory})"
            )
        bucket, key = upload(directory)
        properties["CodeUri"] = {"Bucket": bucket, "Key": key}
        code_dirs[logical] = directory
    return code_dirs


def _translate(
    template: Template, body: dict[str, Any], parameters: dict[str, str], region: str
) -> dict[str, Any]:
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # The translator counts metrics for AWS's own use and warns when nobody publishes them.
    logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        result: dict[str, Any] = translator.translate(
            body,
            parameter_values=dict(parameters),
            get_managed_policy_map=_managed_policies,
        )
    except InvalidDocumentException as exc:
        reasons = "; ".join(" ".join(str(cause).split()) for cause in exc.causes)
        raise TemplateError(f"{template.path}: not a valid SAM template: {reasons}") from None
    except Exception as exc:  # the translator's other errors are its own classes
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise BadInput(f"{template.path}: the SAM translator failed: {reason}") from None
    return result


def _managed_policies() -> dict[str, str]:
    """AWS managed policy names to ARNs, for `Policies: [AmazonS3ReadOnlyAccess]`: the
    list moto's IAM carries (AWS's own, as published), so no IAM call is made."""
    return {
        name: f"arn:aws:iam::aws:policy{policy.get('Path', '/')}{name}"
        for name, policy in aws_managed_policies().items()
    }
