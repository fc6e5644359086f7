"""A CDK app's synthesized template (`cdk.out/<Stack>.template.json`) deployed as
`cdk deploy` deploys it: its file assets (the `<Stack>.assets.json` beside it) zipped
and put where the template's functions find them, in the bootstrap bucket the template
names. A function whose code is such an asset runs from the asset's directory, the copy
of your code CDK made at synth time: what is deployed is what runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mock_api.documents import DocumentError, load_json

from ..errors import BadInput
from .cloudformation import Stack, Template
from .package import build_user_zip
from .seed_data import ensure_bucket

MAX_MANIFEST_BYTES = 10_000_000


def assets_manifest(template: Template) -> Path | None:
    name = template.path.name
    if not name.endswith(".template.json"):
        return None
    manifest = template.path.with_name(name.removesuffix(".template.json") + ".assets.json")
    return manifest if manifest.is_file() else None


def publish_assets(template: Template, stack: Stack, s3: Any) -> dict[tuple[str, str], Path]:
    """Upload each zip file asset to its destinations; each asset's directory by its
    (bucket, key)."""
    manifest = assets_manifest(template)
    if manifest is None:
        return {}
    try:
        document = load_json(manifest.read_bytes(), str(manifest), max_bytes=MAX_MANIFEST_BYTES)
    except DocumentError as exc:
        raise BadInput(str(exc)) from None
    published: dict[tuple[str, str], Path] = {}
    files = document.get("files") if isinstance(document, dict) else None
    for asset_id, asset in (files if isinstance(files, dict) else {}).items():
        source = asset.get("source") or {}
        if source.get("packaging") != "zip":
            continue  # the template itself, and single-file assets
        directory = (manifest.parent / str(source.get("path", ""))).resolve()
        if not directory.is_dir():
            raise BadInput(f"{manifest}: asset {asset_id} has no directory {directory}")
        code = build_user_zip(directory)
        for destination in (asset.get("destinations") or {}).values():
            bucket = str(stack.resolve({"Fn::Sub": destination["bucketName"]}))
            key = str(destination["objectKey"])
            ensure_bucket(s3, bucket)
            s3.put_object(Bucket=bucket, Key=key, Body=code)
            published[(bucket, key)] = directory
    return published


def asset_code_dirs(
    stack: Stack, logical_ids: list[str], published: dict[tuple[str, str], Path]
) -> dict[str, Path]:
    """The asset directory of each function (by logical id) whose code is an asset."""
    found = {}
    for logical in logical_ids:
        code = stack.properties(logical).get("Code") or {}
        directory = published.get((str(code.get("S3Bucket")), str(code.get("S3Key"))))
        if directory is not None:
            found[logical] = directory
    return found
