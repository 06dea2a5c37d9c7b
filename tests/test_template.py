"""template.yaml is a valid SAM template, and the local stack reads the same routes from it."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from local import template
from local.stack import matches_filter


def test_sam_validate_lint_passes():
    sam = Path(sys.executable).with_name("sam")
    environment = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}

    result = subprocess.run(  # noqa: S603 - our own virtualenv's sam on our own template
        [str(sam), "validate", "--lint", "--template-file", str(template.TEMPLATE)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout


def test_the_courses_function_serves_the_courses_routes():
    courses = sorted((route.method, route.path) for route in template.routes() if route.function == "CoursesFunction")

    assert courses == [
        ("DELETE", "/api/courses/{courseId}"),
        ("GET", "/api/courses"),
        ("GET", "/api/courses/{courseId}"),
        ("GET", "/api/courses/{courseId}/details"),
        ("POST", "/api/courses"),
        ("POST", "/api/courses/{courseId}/clone"),
        ("PUT", "/api/courses/{courseId}"),
        ("PUT", "/api/courses/{courseId}/structure"),
    ]


def test_the_local_table_is_the_templates_table():
    definition = template.table_definition()

    assert [key["AttributeName"] for key in definition["KeySchema"]] == ["PK", "SK"]
    assert {index["IndexName"] for index in definition["GlobalSecondaryIndexes"]} == {
        "ListIndex",
        "LookupIndex",
        "UserIndex",
        "ExpiryIndex",
    }
    assert definition["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_every_route_has_its_function():
    """The contract's 38 routes, and those added beside it (docs/DECISIONS.md: Beyond the contract)."""
    functions: dict[str, list[str]] = {}
    for route in template.routes():
        functions.setdefault(route.function, []).append(f"{route.method} {route.path}")

    assert {name: len(paths) for name, paths in functions.items()} == {
        "CoursesFunction": 8,  # the contract's 6, and the course builder's structure and clone
        "ModulesFunction": 6,
        "LessonsFunction": 8,
        "MediaFunction": 4,
        "EnrollmentsFunction": 6,  # the contract's 5, and the instructor's report
        "CourseTrackingFunction": 6,  # the contract's 4, and the course player's details and next
        "LessonTrackingFunction": 5,
    }


def _alarmed(namespace: str, metric: str) -> set[str]:
    """Logical ids of what alarms on `metric` watch (a !Ref or a !GetAtt in their dimensions)."""
    watched = set()
    for alarm in template.resources("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if (properties.get("Namespace"), properties.get("MetricName")) == (namespace, metric):
            for dimension in properties["Dimensions"]:
                value = dimension["Value"]
                watched.add(value.get("Ref") or value.get("Fn::GetAtt", "").split(".")[0])
    return watched


def _failure_queue(properties: dict) -> str | None:
    """The queue a function's failed asynchronous or stream events go to, if any."""
    destinations = [properties.get("EventInvokeConfig", {}).get("DestinationConfig", {})]
    destinations += [event["Properties"].get("DestinationConfig", {}) for event in properties["Events"].values()]
    for destination in destinations:
        target = destination.get("OnFailure", {}).get("Destination")
        if target:
            return str(target["Fn::GetAtt"]).split(".")[0]
    return None


def test_every_function_has_its_policy_alarms_and_failure_destination():
    errors, throttles = _alarmed("AWS/Lambda", "Errors"), _alarmed("AWS/Lambda", "Throttles")
    queue_depth = _alarmed("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    for name, function in template.resources("AWS::Serverless::Function").items():
        properties = function["Properties"]
        assert properties["Policies"], f"{name} has no policy"
        assert name in errors, f"{name} has no errors alarm"
        assert name in throttles, f"{name} has no throttles alarm"
        if {event["Type"] for event in properties.get("Events", {}).values()} - {"HttpApi"}:
            queue = _failure_queue(properties)
            assert queue, f"{name} is invoked asynchronously but has no failure destination"
            assert queue in queue_depth, f"{queue} has no depth alarm"


def test_the_api_is_throttled_and_watched():
    resources = template.load()["Resources"]
    routes = resources["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert routes == {"ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
                      "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"}}  # fmt: skip
    rate = resources["ApiServerErrorRateAlarm"]["Properties"]["Metrics"]
    assert [metric["MetricStat"]["Metric"]["MetricName"] for metric in rate[:2]] == ["5xx", "Count"]
    assert "TableThrottlesAlarm" in resources
    for name, alarm in template.resources("AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name


def test_every_function_gets_the_memory_size_the_cost_model_chose():
    """docs/PERFORMANCE.md: the cheapest size whose modelled p95 stays under 100 ms (`make bench`)."""
    chosen = json.loads((template.ROOT / "bench" / "results" / "cost.json").read_text())["chosen_memory_mb"]

    assert template.load()["Globals"]["Function"]["MemorySize"] == chosen
    assert not [
        name
        for name, spec in template.resources("AWS::Serverless::Function").items()
        if "MemorySize" in spec["Properties"]
    ]


def test_the_audience_is_required_unless_its_check_is_turned_off():
    document = template.load()
    rule = document["Rules"]["AudienceRequired"]

    assert document["Parameters"]["CheckJwtAudience"]["Default"] == "true"
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "CheckJwtAudience"}, "true"]}
    assert rule["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "JwtAudience"}, ""]}]}
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["JWT_VERIFY_AUDIENCE"] == {"Ref": "CheckJwtAudience"}


def test_no_browser_origin_is_allowed_by_default():
    document = template.load()
    api, bucket = document["Resources"]["HttpApi"], document["Resources"]["MediaBucket"]

    assert document["Parameters"]["CorsAllowOrigins"]["Default"] == ""
    for cors in (api["Properties"]["CorsConfiguration"], bucket["Properties"]["CorsConfiguration"]):
        condition, _, otherwise = cors["Fn::If"]
        assert (condition, otherwise) == ("HasCorsOrigins", {"Ref": "AWS::NoValue"})


def test_what_holds_data_is_protected_and_every_log_is_kept_for_a_while():
    """Issue 17's fixes, beside checkov's scan (make scan): access logs as JSON with what a fault
    needs, a retention on every log group, a versioned bucket whose old versions expire, encrypted
    queues, point-in-time recovery on both tables, deletion protection where the domain's data lives."""
    resources = template.load()["Resources"]
    access = resources["HttpApi"]["Properties"]["AccessLogSettings"]
    logged = json.loads(access["Format"])
    assert {"requestId", "route", "status", "latencyMs", "integrationError"} <= set(logged)
    assert access["DestinationArn"] == {"Fn::GetAtt": "ApiAccessLogs.Arn"}
    for name, group in template.resources("AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    assert template.load()["Globals"]["Function"]["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionLogs"}}
    bucket = resources["MediaBucket"]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireNoncurrentVersions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": {"Ref": "MediaNoncurrentVersionDays"}
    }
    for name, queue in template.resources("AWS::SQS::Queue").items():
        assert queue["Properties"]["KmsMasterKeyId"] == {"Ref": "FailureQueueKey"}, name
    for name in ("LmsTable", "IdempotencyTable"):
        table = resources[name]["Properties"]
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
    assert resources["LmsTable"]["Properties"]["DeletionProtectionEnabled"] == {"Ref": "TableDeletionProtection"}
    assert resources["LmsTable"]["DeletionPolicy"] == resources["MediaBucket"]["DeletionPolicy"] == "Retain"
    assert template.load()["Globals"]["Function"]["Timeout"] < 30  # under API Gateway's 30 s


def test_the_projector_is_handed_the_changes_it_acts_on_and_no_other():
    """Its stream event's filters, applied as Lambda applies them (local.stack.matches_filter, which
    the local stack's feed uses too): a pending media record's removal (its TTL ran out) passes,
    so does a course track's change; an uploaded record's removal and an enrollment's do not."""
    filters = template.stream_filters("StreamProjectorFunction")

    def admitted(event_name: str, **images: Any) -> bool:
        record = {"eventName": event_name, "dynamodb": images}
        return any(matches_filter(pattern, record) for pattern in filters)

    pending = {"kind": {"S": "media"}, "status": {"S": "pending"}}
    assert admitted("REMOVE", OldImage=pending)
    assert not admitted("REMOVE", OldImage={**pending, "status": {"S": "uploaded"}})
    assert not admitted("MODIFY", OldImage=pending, NewImage={**pending, "status": {"S": "uploaded"}})
    assert admitted("MODIFY", NewImage={"kind": {"S": "course_track"}})
    assert not admitted("INSERT", NewImage={"kind": {"S": "enrollment"}})
