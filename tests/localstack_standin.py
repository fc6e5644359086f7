"""A loopback stand-in that answers as LocalStack does, for the parts the harness uses.

- `GET /_localstack/health`: the services' states, `starting` until the stand-in is
  told they are up (a list of answers, one per poll, the last one repeated);
- CloudFormation (query protocol): CreateStack, UpdateStack, DescribeStacks,
  ListStackResources, DescribeStackEvents. The stack is created by walking the template
  through the service APIs, and a failure leaves CREATE_FAILED with the resource's
  reason, as LocalStack's engine does;
- Lambda Invoke: the deployed zip is unpacked and its handler run in a fresh Python
  process (LocalStack runs it in a container), with `AWS_ENDPOINT_URL` pointing back
  here as LocalStack sets it; the answer carries the payload, `X-Amz-Function-Error`
  and the base64 log tail ending in a REPORT line;
- everything else goes to moto, as LocalStack's own providers would answer it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

from harness.aws.embedded import EmbeddedBackend
from harness.aws.remote import STACK_SERVICES
from harness.aws.wsgi_server import WsgiServer
from harness.deploy.cloudformation import Template, TemplateError
from harness.deploy.embedded_stack import StackResource, deploy_embedded

_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")

# The runtime's bootstrap: load the handler from the unpacked zip, run it on the event
# (stdin), the function's prints go to the log (stderr); the result is the last line.
_BOOTSTRAP = """
import importlib, json, sys, traceback
sys.path.insert(0, sys.argv[1])
module, _, name = sys.argv[2].rpartition(".")
event = json.loads(sys.stdin.read())
out, sys.stdout = sys.stdout, sys.stderr
try:
    result = {"ok": getattr(importlib.import_module(module), name)(event, None)}
except Exception as exc:
    traceback.print_exc()
    result = {"error": {"errorMessage": str(exc), "errorType": type(exc).__name__}}
out.write("\\n" + json.dumps(result, default=str) + "\\n")
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class _Stack:
    def __init__(self, name: str) -> None:
        self.name = name
        self.id = f"arn:aws:cloudformation:us-east-1:000000000000:stack/{name}/{uuid.uuid4()}"
        self.status = "CREATE_IN_PROGRESS"
        self.resources: list[StackResource] = []
        self.outputs: dict[str, str] = {}
        self.events: list[dict[str, str]] = []
        self.template_body = ""  # what CreateStack or UpdateStack was given


class LocalStackStandIn(WsgiServer):
    def __init__(
        self,
        backend: EmbeddedBackend,
        health: Iterable[str] = ("available",),
        disabled: Iterable[str] = (),
    ) -> None:
        self.backend = backend
        self._health = list(health)
        self._disabled = set(disabled)  # services left out of SERVICES
        self.health_polls = 0
        self.stacks: dict[str, _Stack] = {}
        self.invocations = 0
        self._unpacked: dict[str, str] = {}
        self._scratch = tempfile.TemporaryDirectory(prefix="standin-")
        super().__init__(self._app)

    def stop(self) -> None:
        super().stop()
        self._scratch.cleanup()

    # -- WSGI ------------------------------------------------------------------------
    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if path == "/_localstack/health":
            return self._reply(start_response, 200, self._health_answer())
        invoke = _INVOKE.match(path)
        if invoke and environ["REQUEST_METHOD"] == "POST":
            return self._invoke(start_response, unquote(invoke.group(1)), body)
        form = parse_qs(body.decode(errors="replace")) if body else {}
        if form.get("Version") == ["2010-05-15"] and "Action" in form:
            status, xml = self._cloudformation({k: v[0] for k, v in form.items()})
            return self._reply(start_response, status, xml, "text/xml")
        environ["wsgi.input"] = io.BytesIO(body)
        return list(self.backend.wsgi_app(environ, start_response))

    @staticmethod
    def _reply(
        start_response: Callable[..., Any],
        status: int,
        body: Any,
        content_type: str = "application/json",
        headers: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        data = (
            body
            if isinstance(body, bytes)
            else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        )
        start_response(
            f"{status} {'OK' if status < 400 else 'Error'}",
            [("Content-Type", content_type), ("Content-Length", str(len(data))), *(headers or [])],
        )
        return [data]

    def _health_answer(self) -> dict[str, Any]:
        state = self._health[min(self.health_polls, len(self._health) - 1)]
        self.health_polls += 1
        return {
            "services": {
                service: "disabled" if service in self._disabled else state
                for service in STACK_SERVICES
            },
            "edition": "pro",
            "version": "stand-in",
        }

    # -- CloudFormation --------------------------------------------------------------
    def _cloudformation(self, form: dict[str, str]) -> tuple[int, str]:
        action = form["Action"]
        name = form.get("StackName", "")
        if action in ("CreateStack", "UpdateStack"):
            if action == "UpdateStack":
                if name not in self.stacks:
                    return self._error(f"Stack with id {name} does not exist")
                return self._error("No updates are to be performed.")
            if name in self.stacks:
                return self._error(f"Stack [{name}] already exists", "AlreadyExistsException")
            stack = self.stacks[name] = _Stack(name)
            self._deploy(stack, form)
            return 200, self._result(action, f"<StackId>{stack.id}</StackId>")
        stack_or_none = self.stacks.get(name)
        if stack_or_none is None:
            return self._error(f"Stack with id {name} does not exist")
        stack = stack_or_none
        if action == "DescribeStacks":
            outputs = "".join(
                f"<member><OutputKey>{escape(k)}</OutputKey>"
                f"<OutputValue>{escape(v)}</OutputValue></member>"
                for k, v in stack.outputs.items()
            )
            member = (
                f"<member><StackName>{name}</StackName><StackId>{stack.id}</StackId>"
                f"<CreationTime>{_now()}</CreationTime><StackStatus>{stack.status}</StackStatus>"
                f"<Outputs>{outputs}</Outputs></member>"
            )
            return 200, self._result(action, f"<Stacks>{member}</Stacks>")
        if action == "ListStackResources":
            members = "".join(
                f"<member><LogicalResourceId>{r.logical_id}</LogicalResourceId>"
                f"<PhysicalResourceId>{escape(r.physical_id)}</PhysicalResourceId>"
                f"<ResourceType>{r.type}</ResourceType>"
                f"<LastUpdatedTimestamp>{_now()}</LastUpdatedTimestamp>"
                f"<ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>"
                for r in stack.resources
            )
            return 200, self._result(
                action, f"<StackResourceSummaries>{members}</StackResourceSummaries>"
            )
        if action == "DescribeStackEvents":
            members = "".join(
                "<member>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in e.items()) + "</member>"
                for e in reversed(stack.events)  # newest first, as CloudFormation lists them
            )
            return 200, self._result(action, f"<StackEvents>{members}</StackEvents>")
        return self._error(f"{action} is not in the stand-in")

    def _deploy(self, stack: _Stack, form: dict[str, str]) -> None:
        given = {}
        for key, value in form.items():
            match = re.fullmatch(r"Parameters\.member\.(\d+)\.ParameterKey", key)
            if match:
                given[value] = form.get(f"Parameters.member.{match.group(1)}.ParameterValue", "")
        path = Path(self._scratch.name) / f"{stack.name}.yaml"
        stack.template_body = form["TemplateBody"]
        path.write_text(form["TemplateBody"])
        try:
            template = Template.load(path)
            values = template.parameter_values(given)
            cfn = template.stack(stack.name, values, self.backend.account, self.backend.region)
            stack.resources = deploy_embedded(self.backend, cfn)
            stack.outputs = cfn.outputs()
            stack.status = "CREATE_COMPLETE"
        except TemplateError as exc:
            stack.status = "ROLLBACK_COMPLETE"
            logical = str(exc).split(": ", 2)[1].split(" ")[0] if ": " in str(exc) else stack.name
            stack.events.append(
                {
                    "StackId": stack.id,
                    "EventId": str(uuid.uuid4()),
                    "StackName": stack.name,
                    "LogicalResourceId": logical,
                    "ResourceType": "AWS::CloudFormation::Stack",
                    "Timestamp": _now(),
                    "ResourceStatus": "CREATE_FAILED",
                    "ResourceStatusReason": str(exc),
                }
            )

    @staticmethod
    def _result(action: str, inner: str) -> str:
        return (
            f'<{action}Response xmlns="{_NS}"><{action}Result>{inner}</{action}Result>'
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            f"</{action}Response>"
        )

    @staticmethod
    def _error(message: str, code: str = "ValidationError") -> tuple[int, str]:
        return 400, (
            f'<ErrorResponse xmlns="{_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        )

    # -- Lambda ----------------------------------------------------------------------
    def _invoke(self, start_response: Callable[..., Any], name: str, event: bytes) -> list[bytes]:
        from moto.awslambda.models import lambda_backends

        function = lambda_backends[self.backend.account][self.backend.region].get_function(name)
        config = function.get_configuration()
        code_dir = self._unpack(config["CodeSha256"], function.code_bytes)
        request_id = str(uuid.uuid4())
        environment = {
            "PATH": os.environ.get("PATH", ""),
            **config["Environment"]["Variables"],
            "AWS_ENDPOINT_URL": self.url,  # LocalStack points its functions back at itself
            "AWS_REGION": self.backend.region,
            "AWS_DEFAULT_REGION": self.backend.region,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_LAMBDA_FUNCTION_NAME": config["FunctionName"],
        }
        started = time.perf_counter()
        try:
            run = subprocess.run(
                [sys.executable, "-I", "-c", _BOOTSTRAP, code_dir, config["Handler"]],
                input=event,
                capture_output=True,
                env=environment,
                timeout=config["Timeout"],
                check=False,
            )
            lines = run.stdout.decode().strip().splitlines()
            outcome = json.loads(lines[-1]) if lines else {"error": {"errorMessage": "no result"}}
            log = run.stderr.decode()
        except subprocess.TimeoutExpired:
            outcome = {
                "error": {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {config['Timeout']:.2f} seconds",
                }
            }
            log = ""
        self.invocations += 1
        duration = (time.perf_counter() - started) * 1000
        tail = (
            f"START RequestId: {request_id} Version: $LATEST\n{log}END RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {int(duration) + 1} ms\tMemory Size: {config['MemorySize']} MB\n"
        )
        headers = [
            ("X-Amz-Executed-Version", "$LATEST"),
            ("X-Amz-Log-Result", base64.b64encode(tail.encode()[-4096:]).decode()),
            ("x-amzn-RequestId", request_id),
        ]
        if "error" in outcome:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
            return self._reply(start_response, 200, outcome["error"], headers=headers)
        return self._reply(start_response, 200, outcome["ok"], headers=headers)

    def _unpack(self, sha: str, code: bytes) -> str:
        if sha not in self._unpacked:
            target = Path(self._scratch.name) / sha.replace("/", "_")
            zipfile.ZipFile(io.BytesIO(code)).extractall(target)
            self._unpacked[sha] = str(target)
        return self._unpacked[sha]
