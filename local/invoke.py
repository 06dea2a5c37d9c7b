"""`make invoke FUNCTION=CoursesFunction EVENT=events/courses/list.json`: one function, one event.

Like `sam local invoke -e`, without Docker: the function's real handler runs in this process
against embedded AWS stand-ins (or DYNAMODB_ENDPOINT / S3_ENDPOINT), and its response is
printed. The placeholder `<token>` in the event becomes a fresh token of the local issuer."""

import argparse
import json
from pathlib import Path

from local import issuer, stack

TOKEN_PLACEHOLDER = "<token>"  # noqa: S105 - the marker event files carry, not a secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("function", help="logical id in template.yaml, e.g. CoursesFunction")
    parser.add_argument("event", type=Path, help="an event file, e.g. events/courses/list.json")
    parser.add_argument("--role", default="admin")
    parser.add_argument("--tenant", default="demo-tenant")
    parser.add_argument("--user", default="demo-user")
    args = parser.parse_args()

    event_text = args.event.read_text().replace(TOKEN_PLACEHOLDER, issuer.mint(args.role, args.tenant, args.user))
    jwks = stack.serve_jwks(issuer.jwks())
    dynamodb_endpoint, s3_endpoint, stop_stand_ins = stack.start_aws_stand_ins()
    try:
        stack.apply_environment(stack.function_environment(stack.jwks_url(jwks), dynamodb_endpoint, s3_endpoint))
        stack.create_resources(dynamodb_endpoint, s3_endpoint)
        response = stack.FunctionHost().invoke(args.function, json.loads(event_text))
        print(json.dumps(response, indent=2))
    finally:
        jwks.shutdown()
        stop_stand_ins()


if __name__ == "__main__":
    main()
