"""Read what the local stack needs from template.yaml: routes, functions, table and bucket."""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, ...) read as {"Fn::X": value}."""


def _intrinsic(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class Route:
    function: str  # logical id, e.g. CoursesFunction
    method: str
    path: str  # API Gateway form: /api/courses/{courseId}
    pattern: re.Pattern[str]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path) if method == self.method else None
        return found.groupdict() if found else None


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: str  # functions/courses/
    handler: str  # app.lambda_handler
    memory_size: int  # MB, the function's own or the template's global
    timeout: int  # seconds, likewise
    schedule: str | None = None  # its Schedule event's expression, e.g. rate(1 hour)

    @property
    def module(self) -> str:
        """The importable module of the handler, e.g. functions.courses.app."""
        package = self.code_uri.strip("/").replace("/", ".")
        return f"{package}.{self.handler.rsplit('.', 1)[0]}"

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@cache
def load() -> dict[str, Any]:
    with TEMPLATE.open() as stream:
        document: dict[str, Any] = yaml.load(stream, Loader=_CfnLoader)  # noqa: S506 - our own loader
    return document


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in load()["Resources"].items() if spec["Type"] == kind}


def stream_filters(function: str) -> list[dict[str, Any]]:
    """The filter patterns of the function's DynamoDB stream events: Lambda hands it the records
    that match one of them (every record, when there are none)."""
    events = load()["Resources"][function]["Properties"].get("Events", {}).values()
    return [
        json.loads(criterion["Pattern"])
        for event in events
        if event["Type"] == "DynamoDB"
        for criterion in event["Properties"].get("FilterCriteria", {}).get("Filters", [])
    ]


def _path_pattern(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(regex)


def functions() -> dict[str, Function]:
    defaults = load()["Globals"]["Function"]

    def function(name: str, properties: dict[str, Any]) -> Function:
        events = (properties.get("Events") or {}).values()
        schedule = next((event["Properties"]["Schedule"] for event in events if event["Type"] == "Schedule"), None)
        return Function(
            name,
            properties["CodeUri"],
            properties["Handler"],
            int(properties.get("MemorySize", defaults["MemorySize"])),
            int(properties.get("Timeout", defaults["Timeout"])),
            schedule,
        )

    return {name: function(name, spec["Properties"]) for name, spec in resources("AWS::Serverless::Function").items()}


RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}


def rate_seconds(expression: str) -> float:
    """Seconds between runs of a `rate(N unit)` schedule (the only kind the template uses)."""
    found = re.fullmatch(r"rate\((\d+) (\w+)\)", expression)
    if found is None or found[2] not in RATE_UNITS:
        raise ValueError(f"{expression!r} is not a rate(N minutes|hours|days) schedule")
    return int(found[1]) * RATE_UNITS[found[2]]


def routes() -> list[Route]:
    """Every HttpApi event of every function; literal paths before templated ones, as API Gateway."""
    found = [
        Route(
            name,
            event["Properties"]["Method"].upper(),
            event["Properties"]["Path"],
            _path_pattern(event["Properties"]["Path"]),
        )
        for name, spec in resources("AWS::Serverless::Function").items()
        for event in (spec["Properties"].get("Events") or {}).values()
        if event["Type"] == "HttpApi"
    ]
    return sorted(found, key=lambda route: route.path.count("{"))


def table_definition(logical_id: str = "LmsTable") -> dict[str, Any]:
    """CreateTable arguments from the template's own key schema and indexes."""
    properties = load()["Resources"][logical_id]["Properties"]
    definition: dict[str, Any] = {
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties["BillingMode"],
    }
    if "GlobalSecondaryIndexes" in properties:
        definition["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    if "StreamSpecification" in properties:
        definition["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
    return definition
