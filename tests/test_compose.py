"""docker-compose.yml and the images it builds: valid Compose, and the settings a live run
against LocalStack depends on."""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = Path(__file__).with_name("data") / "compose-spec.json"  # see data/README.md
TEMPLATE = ROOT / "deploy" / "template.yaml"
LOCK = ROOT / "requirements.lock"
MOCK_API_DOCKERFILE = ROOT / "mock_api" / "Dockerfile"

# The one variable the file requires; every other one has a default.
RUN_ENVIRONMENT = {"LOCALSTACK_AUTH_TOKEN": "ls-test-token"}

# AWS::<Service>::<Resource> in the template -> the name LocalStack's SERVICES knows it by.
LOCALSTACK_SERVICES = {
    "CloudFormation": "cloudformation",
    "CloudWatch": "cloudwatch",
    "DynamoDB": "dynamodb",
    "Events": "events",
    "IAM": "iam",
    "Lambda": "lambda",
    "Logs": "logs",
    "S3": "s3",
    "Scheduler": "scheduler",
    "SecretsManager": "secretsmanager",
    "SQS": "sqs",
}
# Needed whatever the template holds: the deploy itself, the bucket CloudFormation and Lambda
# keep code in, and the SDKs' identity calls.
ALWAYS_STARTED = {"cloudformation", "s3", "sts"}


class MissingVariable(Exception):
    """A `${VAR:?message}` (or `${VAR?message}`) whose variable is missing."""


# $$, $NAME, ${NAME} and ${NAME<op>argument}, op one of :- - :? ? :+ +. An argument holding
# another ${...} is not supported (the file has none).
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<argument>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_]\w*))"
)


def interpolate(text: str, environment: Mapping[str, str]) -> str:
    """`text` with its variables substituted as Compose does: the `:` forms take an empty
    variable for a missing one."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op = match["op"] or ""
        value = environment.get(name, "")
        is_set = name in environment and (value != "" or not op.startswith(":"))
        kind = op.removeprefix(":")
        if kind == "-":
            return value if is_set else match["argument"]
        if kind == "?":
            if not is_set:
                raise MissingVariable(f"{name}: {match['argument']}")
            return value
        if kind == "+":
            return match["argument"] if is_set else ""
        return value

    return _VARIABLE.sub(substitute, text)


def interpolated(node: Any, environment: Mapping[str, str]) -> Any:
    """A copy of a Compose document with every string value interpolated (keys are not)."""
    if isinstance(node, str):
        return interpolate(node, environment)
    if isinstance(node, list):
        return [interpolated(item, environment) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, environment) for key, value in node.items()}
    return node


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert "draft-07" in schema["$schema"]  # the validator below must match the schema's draft
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_follows_the_compose_specification(
    compose: dict[str, Any], validator: Any
) -> None:
    errors = validator.iter_errors(interpolated(compose, RUN_ENVIRONMENT))
    problems = sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "harness", "restart"), False),  # what an unquoted `no` loads as
        (("services", "harness", "depends_on", "mock-api", "condition"), "service_ready"),
        (("services", "localstack", "healthcheck", "start_periods"), "30s"),
    ],
)
def test_the_specification_rejects_a_broken_file(
    compose: dict[str, Any], validator: Any, path: tuple[str, ...], value: object
) -> None:
    broken = interpolated(compose, RUN_ENVIRONMENT)
    parent = broken
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    assert list(validator.iter_errors(broken))


def test_localstack_will_not_start_without_the_callers_auth_token(
    services: dict[str, Any],
) -> None:
    token = services["localstack"]["environment"]["LOCALSTACK_AUTH_TOKEN"]
    for environment in ({}, {"LOCALSTACK_AUTH_TOKEN": ""}):
        with pytest.raises(MissingVariable, match=r"app\.localstack\.cloud"):
            interpolate(token, environment)
    assert interpolate(token, {"LOCALSTACK_AUTH_TOKEN": "ls-abc"}) == "ls-abc"


def test_localstack_image_is_a_pinned_release(services: dict[str, Any]) -> None:
    image = services["localstack"]["image"]
    assert re.fullmatch(r"localstack/localstack:\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?", image), (
        f"{image} is not pinned to a release"
    )


def test_localstack_runs_functions_in_containers_on_the_compose_network(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    localstack = services["localstack"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in localstack["volumes"]
    network = compose["networks"]["default"]["name"]
    assert localstack["environment"]["LAMBDA_DOCKER_NETWORK"] == network


def test_localstack_is_healthy_once_its_health_endpoint_answers(
    services: dict[str, Any],
) -> None:
    check = services["localstack"]["healthcheck"]
    assert check["test"][0] == "CMD"
    assert "http://localhost:4566/_localstack/health" in check["test"]
    assert "start_period" in check


class _TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form functions (!Ref, !Sub, ...) as their plain value."""


def _function(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


_TemplateLoader.add_multi_constructor("!", _function)


def test_localstack_starts_every_service_the_template_deploys(services: dict[str, Any]) -> None:
    template = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_TemplateLoader)
    kinds = {
        resource["Type"].split("::")[1]
        for resource in template["Resources"].values()
        if resource["Type"].startswith("AWS::")
    }
    unknown = kinds - LOCALSTACK_SERVICES.keys()
    assert not unknown, f"add {sorted(unknown)} to LOCALSTACK_SERVICES and to SERVICES"
    needed = {LOCALSTACK_SERVICES[kind] for kind in kinds} | ALWAYS_STARTED
    started = set(services["localstack"]["environment"]["SERVICES"].split(","))
    assert needed <= started, f"SERVICES lacks {sorted(needed - started)}"


def test_ports_are_published_on_loopback_only(services: dict[str, Any]) -> None:
    published = [
        (name, port) for name, service in services.items() for port in service.get("ports", [])
    ]
    assert published
    for name, port in published:
        # Short syntax is [HOST_IP:]HOST_PORT:CONTAINER_PORT.
        host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).rsplit(":", 2)[0]
        assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond loopback"


def test_harness_starts_once_localstack_and_the_mock_api_are_healthy(
    services: dict[str, Any],
) -> None:
    assert services["harness"]["depends_on"] == {
        "localstack": {"condition": "service_healthy"},
        "mock-api": {"condition": "service_healthy"},
    }
    for name in ("localstack", "mock-api"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck to be healthy by"


def _option(command: list[str], name: str) -> str:
    """The value of `name value` or `name=value` in an exec-form command."""
    for index, argument in enumerate(command):
        if argument == name:
            return command[index + 1]
        if argument.startswith(f"{name}="):
            return argument.partition("=")[2]
    raise AssertionError(f"{name} is not in {command}")


def test_harness_reaches_the_other_services_by_name_with_the_mock_apis_token(
    services: dict[str, Any],
) -> None:
    harness, mock_api = services["harness"]["command"], services["mock-api"]["command"]
    assert _option(harness, "--endpoint-url") == "http://localstack:4566"
    assert _option(harness, "--api-url") == f"http://mock-api:{_option(mock_api, '--port')}"
    for environment in ({}, {"API_TOKEN": "secret"}):
        assert interpolate(_option(harness, "--api-token"), environment) == interpolate(
            _option(mock_api, "--token"), environment
        )


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert duration and match, f"not a Compose duration: {duration!r}"
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return 3600 * hours + 60 * minutes + seconds


def test_harness_is_stopped_with_sigint_and_given_time_to_report(
    services: dict[str, Any],
) -> None:
    harness = services["harness"]
    assert harness["stop_signal"] == "SIGINT"
    assert _seconds(harness["stop_grace_period"]) >= 10


def test_every_image_built_here_has_its_dockerfile(services: dict[str, Any]) -> None:
    builds = {name: service["build"] for name, service in services.items() if "build" in service}
    assert builds
    for name, build in builds.items():
        spec = {"context": build} if isinstance(build, str) else build
        dockerfile = ROOT / spec.get("context", ".") / spec.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name} builds from {dockerfile}, which does not exist"


def _pins(path: Path) -> dict[str, str]:
    """`name==version` pins outside comments, by normalized name."""
    text = "\n".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    found = re.findall(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)", text)
    return {canonicalize_name(name): version for name, version in found}


def test_mock_api_image_installs_the_locked_versions() -> None:
    image, lock = _pins(MOCK_API_DOCKERFILE), _pins(LOCK)
    assert image
    assert image == {name: lock.get(name) for name in image}


def _requirements(roots: Iterable[str]) -> set[str]:
    """`roots` and all they require, transitively, on the image's Python (3.12 on Linux), as
    the installed (locked) distributions declare it."""
    environment = {"python_version": "3.12", "python_full_version": "3.12.0", "extra": ""}
    seen: set[str] = set()
    pending = [canonicalize_name(root) for root in roots]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                pending.append(canonicalize_name(requirement.name))
    return seen


def test_mock_api_image_installs_everything_the_mock_api_imports() -> None:
    # uvicorn's httptools parser is an optional extra; mock_api.transport builds on it.
    roots = {"httptools"}
    owners = metadata.packages_distributions()
    for path in (ROOT / "mock_api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top not in sys.stdlib_module_names and top != "mock_api":
                    roots.update(owners[top])
    assert set(_pins(MOCK_API_DOCKERFILE)) == _requirements(roots)
