"""A user's SAM template is expanded by AWS's translator, a CDK app's synthesized template
is deployed with its assets, and each is deployed whole; its schedule fires."""

from __future__ import annotations

import json
from pathlib import Path

from harness.aws.embedded import EmbeddedBackend
from harness.deploy.types_page import page
from harness.runner import RunOptions, run

from .cli import REPO

EVENTS = REPO / "tests" / "data" / "sam-events"
CLEANUP = REPO / "examples" / "sam-cleanup"
CDK = REPO / "tests" / "data" / "cdk-app"  # synthesized by its app.js (see its README)


def test_a_function_with_every_kind_of_trigger_deploys_and_only_its_schedule_fires(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    result = run(
        RunOptions(
            template=EVENTS / "template.yaml", days=2, report_dir=tmp_path, show_progress=False
        ),
        backend=harness_backend,
    )

    assert result.report["schedule"] == "rate(6 hours)"
    # A rate counts from the rule's creation: 06:00, 12:00, 18:00, midnight... until the end.
    assert result.report["totals"]["succeeded"] == len(result.fires) == 7
    lam = harness_backend.client("lambda")
    (function,) = lam.list_functions()["Functions"]
    mappings = lam.list_event_source_mappings(FunctionName=function["FunctionName"])
    assert len(mappings["EventSourceMappings"]) == 2  # the queue's and the stream's
    assert len(harness_backend.client("apigateway").get_rest_apis()["items"]) == 1


def test_sam_policy_templates_become_the_roles_policies_as_on_aws(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    run(
        RunOptions(
            template=CLEANUP / "template.yaml", days=1, report_dir=tmp_path, show_progress=False,
            api_upstream="http://127.0.0.1:9",  # never called: nothing expires on day one
            api_env="AUDIT_API_URL",
        ),
        backend=harness_backend,
    )  # fmt: skip

    iam = harness_backend.client("iam")
    (role,) = [
        r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("sam-cleanup-CleanupRole")
    ]
    names = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    documents = [
        iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
        for name in names
    ]
    actions = {a for d in documents for s in d["Statement"] for a in s["Action"]}
    assert {"dynamodb:DeleteItem", "dynamodb:Scan", "s3:PutObject"} <= actions
    resources = json.dumps(documents)
    assert ":table/sam-cleanup-Sessions-" in resources
    attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole"]


def test_the_resource_types_page_is_what_the_code_does() -> None:
    stale = "stale: python -m harness.deploy.types_page > docs/resource-types.md"
    assert (REPO / "docs" / "resource-types.md").read_text() == page(), stale


def test_a_cdk_apps_synthesized_template_runs_its_asset(
    harness_backend: EmbeddedBackend, tmp_path: Path
) -> None:
    out = CDK / "cdk.out"
    result = run(
        RunOptions(
            template=out / "NightlyCount.template.json", days=3, report_dir=tmp_path,
            show_progress=False,
        ),
        backend=harness_backend,
    )  # fmt: skip

    report = result.report
    assert report["stack"]["name"] == "NightlyCount"
    assert report["function"]["handler"] == "app.handler"
    assert report["schedule"] == "cron(0 3 * * ? *)"
    assert report["totals"]["succeeded"] == 3
    (counts,) = [t for t in result.tables if "-Counts" in t]
    assert [item["items"] for item in result.tables[counts]] == [0, 1, 2]
    assert report["aws_calls"] == {"dynamodb:Scan": 3, "dynamodb:PutItem": 3}
    assert report["buckets"] == {}  # the bootstrap bucket holds code, not the function's data
