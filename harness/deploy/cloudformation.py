"""A CloudFormation template read as CloudFormation reads it.

YAML (with the short-form tags `!Ref`, `!GetAtt`, `!Sub`...) or JSON; parameters checked
against their declarations; conditions evaluated; intrinsic functions resolved; resources
ordered by what they reference. The embedded deploy walks a template with this; LocalStack
and AWS get the template text itself.
"""

from __future__ import annotations

import base64
import functools
import graphlib
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mock_api.documents import DocumentError, read_yaml_text

from ..errors import BadInput

MAX_TEMPLATE_BYTES = 1_000_000  # CloudFormation's limit for a template in S3
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

try:  # libyaml's parser, which PyYAML's wheels carry
    from yaml import CSafeLoader as _FastLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _FastLoader  # type: ignore[assignment]

NO_VALUE = object()  # what `!Ref AWS::NoValue` resolves to: the property is left out
_SUB = re.compile(r"\$\{([^}!]+)\}")


class TemplateError(BadInput):
    """A template CloudFormation would reject: one line naming the template and the place."""


class _Loader(_FastLoader):
    """YAML as CloudFormation reads it: dates stay strings, `!Tag` is `Fn::Tag`. On
    libyaml's parser when PyYAML has it: five times faster, and every run loads one."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _short_form(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_Loader.add_multi_constructor("!", _short_form)


@dataclass(frozen=True)
class Template:
    path: Path
    text: str
    body: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> Template:
        try:
            stat = path.stat()
        except OSError as exc:
            raise TemplateError(f"cannot read template {path}: {exc.strerror}") from None
        return _load(path, stat.st_mtime_ns, stat.st_size)

    @classmethod
    def parse(cls, path: Path) -> Template:
        try:
            text = read_yaml_text(path, "template", max_bytes=MAX_TEMPLATE_BYTES)
        except DocumentError as exc:
            raise TemplateError(str(exc)) from None
        try:
            body = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f":{where.line + 1}" if where is not None else ""
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise TemplateError(f"{path}{line}: not valid YAML or JSON: {reason}") from None
        if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
            raise TemplateError(f"{path}: a template needs a Resources mapping")
        _check_transform(path, body.get("Transform"))
        return cls(path, text, body)

    @property
    def is_sam(self) -> bool:
        transform = self.body.get("Transform")
        return SAM_TRANSFORM in (transform if isinstance(transform, list) else [transform])

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return dict(self.body.get("Parameters") or {})

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.body["Resources"])

    def parameter_values(self, given: Mapping[str, str]) -> dict[str, str]:
        """The values CloudFormation would use: those given that the template declares
        (others are dropped, so one set of values fits several templates), else defaults.
        """
        values = {}
        for name, declaration in self.parameters.items():
            if name in given:
                value = str(given[name])
            elif "Default" in declaration:
                value = str(declaration["Default"])
            else:
                raise TemplateError(f"{self.path}: parameter {name} needs a value")
            _check_parameter(self.path, name, declaration, value)
            values[name] = value
        return values

    def stack(self, name: str, values: Mapping[str, str], account: str, region: str) -> Stack:
        return Stack(self, name, dict(values), account, region)


@functools.cache
def _load(path: Path, mtime_ns: int, size: int) -> Template:
    """A template as it is on disk now (nothing changes a loaded template)."""
    return Template.parse(path)


def _check_transform(path: Path, transform: Any) -> None:
    """Only the SAM transform is expanded here; any other macro needs CloudFormation."""
    if transform is None:
        return
    names = transform if isinstance(transform, list) else [transform]
    others = [str(name) for name in names if name != SAM_TRANSFORM]
    if others:
        raise TemplateError(
            f"{path}: Transform {', '.join(others)} is a macro the embedded deploy cannot"
            f" run; only {SAM_TRANSFORM} is expanded here"
        )


def _check_parameter(path: Path, name: str, declaration: dict[str, Any], value: str) -> None:
    allowed = declaration.get("AllowedValues")
    if allowed is not None and value not in [str(a) for a in allowed]:
        raise TemplateError(f"{path}: parameter {name}={value!r} must be one of {allowed}")
    if declaration.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise TemplateError(f"{path}: parameter {name}={value!r} must be a number") from None
        low, high = declaration.get("MinValue"), declaration.get("MaxValue")
        if (low is not None and number < float(low)) or (high is not None and number > float(high)):
            raise TemplateError(f"{path}: parameter {name}={value} must be {low} to {high}")


@dataclass
class Stack:
    """One deployment of a template: parameter values, pseudo parameters, and what each
    created resource answers to `Ref` and `Fn::GetAtt`."""

    template: Template
    name: str
    values: dict[str, str]
    account: str
    region: str
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._conditions: dict[str, bool] = {}

    @property
    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::StackName": self.name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.name}/embedded"
            ),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def where(self, logical: str) -> str:
        return f"{self.template.path}: {logical}"

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.body.get("Conditions") or {}
            if name not in conditions:
                raise TemplateError(f"{self.template.path}: condition {name} is not declared")
            self._conditions[name] = bool(self._truth(conditions[name]))
        return self._conditions[name]

    def _truth(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, args),) = node.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in args)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._truth(args[0])
            if key == "Fn::And":
                return all(self._truth(a) for a in args)
            if key == "Fn::Or":
                return any(self._truth(a) for a in args)
            if key == "Condition":
                return self.condition(args)
        return self.resolve(node)

    def included(self) -> list[str]:
        """The resources this deployment creates (their Condition holds), dependencies
        first."""
        resources = self.template.resources
        chosen = {
            name
            for name, resource in resources.items()
            if not isinstance(resource, dict)
            or "Condition" not in resource
            or self.condition(resource["Condition"])
        }
        graph: dict[str, set[str]] = {}
        for name in sorted(chosen):
            resource = resources[name]
            if not isinstance(resource, dict) or "Type" not in resource:
                raise TemplateError(f"{self.where(name)} needs a Type")
            with self._mistakes(name):
                needs = set(self._references(resource.get("Properties") or {})) & set(resources)
            depends = resource.get("DependsOn") or []
            needs |= {depends} if isinstance(depends, str) else set(depends)
            missing = needs - chosen
            if missing:
                raise TemplateError(
                    f"{self.where(name)} refers to {', '.join(sorted(missing))}, which is not"
                    " created (unknown, or its Condition is false)"
                )
            graph[name] = needs
        try:
            return list(graphlib.TopologicalSorter(graph).static_order())
        except graphlib.CycleError as exc:
            raise TemplateError(
                f"{self.template.path}: resources refer to each other in a circle: {exc.args[1]}"
            ) from None

    def properties(self, logical: str) -> dict[str, Any]:
        resource = self.template.resources[logical]
        with self._mistakes(logical):
            resolved = self.resolve(resource.get("Properties") or {})
        return resolved if isinstance(resolved, dict) else {}

    @contextmanager
    def _mistakes(self, where: str) -> Iterator[None]:
        """A malformed intrinsic (wrong arguments, an index out of range) as one line."""
        try:
            yield
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise TemplateError(
                f"{self.template.path}: {where}: a malformed value or intrinsic function ({reason})"
            ) from None

    def outputs(self) -> dict[str, str]:
        result = {}
        for name, output in (self.template.body.get("Outputs") or {}).items():
            with self._mistakes(f"output {name}"):
                if "Condition" in output and not self.condition(output["Condition"]):
                    continue
                value = self.resolve(output.get("Value"))
            if value is not NO_VALUE:
                result[name] = _text(value)
        return result

    def resolve(self, node: Any) -> Any:
        """A template value with every intrinsic function worked out."""
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, args),) = node.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._function(key, args)
        result = {}
        for key, value in node.items():
            resolved = self.resolve(value)
            if resolved is not NO_VALUE:
                result[key] = resolved
        return result

    def _function(self, key: str, args: Any) -> Any:
        if key == "Ref":
            return self._ref(args)
        if key == "Fn::GetAtt":
            logical, attribute = args if isinstance(args, list) else str(args).split(".", 1)
            return self._attribute(str(logical), str(self.resolve(attribute)))
        if key == "Fn::Sub":
            text, variables = (args, {}) if isinstance(args, str) else args
            return self._sub(text, {k: self.resolve(v) for k, v in variables.items()})
        if key == "Fn::Join":
            separator, items = args
            return str(separator).join(_text(i) for i in self.resolve(items))
        if key == "Fn::If":
            name, yes, no = args
            return self.resolve(yes if self.condition(name) else no)
        if key == "Fn::Select":
            index, items = args
            return self.resolve(items)[int(self.resolve(index))]
        if key == "Fn::Split":
            separator, text = args
            return str(self.resolve(text)).split(separator)
        if key == "Fn::Base64":
            return base64.b64encode(str(self.resolve(args)).encode()).decode()
        if key == "Fn::FindInMap":
            mapping, top, second = (self.resolve(a) for a in args)
            try:
                return self.template.body["Mappings"][mapping][top][second]
            except (KeyError, TypeError):
                raise TemplateError(
                    f"{self.template.path}: Fn::FindInMap {mapping}/{top}/{second} not found"
                ) from None
        if key == "Fn::GetAZs":
            return [f"{self.region}{zone}" for zone in "abc"]
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(args), separators=(",", ":"))
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._truth({key: args})
        raise TemplateError(f"{self.template.path}: {key} is not supported by the embedded deploy")

    def _ref(self, name: Any) -> Any:
        name = str(name)
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.values:
            return self.values[name]
        if name in self.refs:
            return self.refs[name]
        raise TemplateError(f"{self.template.path}: Ref {name} names no parameter or resource")

    def _attribute(self, logical: str, attribute: str) -> str:
        known = self.attributes.get(logical)
        if known is None:
            raise TemplateError(f"{self.template.path}: Fn::GetAtt {logical} names no resource")
        if attribute not in known:
            raise TemplateError(
                f"{self.template.path}: Fn::GetAtt {logical}.{attribute}: the embedded deploy"
                f" knows {', '.join(sorted(known)) or 'no attributes'} of it"
            )
        return known[attribute]

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return _text(variables[name])
            if "." in name and name.split(".", 1)[0] in self.template.resources:
                return self._attribute(*name.split(".", 1))
            return _text(self._ref(name))

        return _SUB.sub(value, str(text)).replace("${!", "${")

    def _references(self, node: Any) -> Iterator[str]:
        """The names a template value refers to, in the branches its conditions take."""
        if isinstance(node, list):
            for item in node:
                yield from self._references(item)
        elif isinstance(node, dict):
            for key, args in node.items():
                if key == "Ref":
                    yield str(args)
                elif key == "Fn::GetAtt":
                    yield str(args[0] if isinstance(args, list) else str(args).split(".", 1)[0])
                elif key == "Fn::If":
                    name, yes, no = args
                    yield from self._references(yes if self.condition(name) else no)
                elif key == "Fn::Sub":
                    text, variables = (args, {}) if isinstance(args, str) else args
                    for name in _SUB.findall(str(text)):
                        if name not in variables:  # its own variables are not references
                            yield name.split(".", 1)[0]
                    yield from self._references(variables)
                else:
                    yield from self._references(args)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
