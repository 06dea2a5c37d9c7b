"""`make invoke FUNCTION=CoursesFunction EVENT=events/courses/list.json`: one function, one event.

Like `sam local invoke -e`, without Docker: the function's real handler runs in this process and
its response is printed. With `--emulator` (EMULATOR=1) the function of the deployable build runs
instead, under Lambda's Runtime Interface Emulator, as `sam local invoke` runs it in a container
(local/emulator.py; `sam build` for this machine's processor first). It works on the running
`make run`'s data (its DynamoDB, S3 and event bus, found through .local/stack.json), so what it
writes shows in the API and its events at /local/events; with none running, or with `--isolated`
(ISOLATED=1), on embedded stand-ins of its own that go when it ends. The placeholder `<token>` in
the event becomes a fresh token of the local issuer."""

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from local import emulator, issuer, stack, template
from local.running import running

TOKEN_PLACEHOLDER = "<token>"  # noqa: S105 - the marker event files carry, not a secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("function", help="logical id in template.yaml, e.g. CoursesFunction")
    parser.add_argument("event", type=Path, help="an event file, e.g. events/courses/list.json")
    parser.add_argument("--role", default="admin")
    parser.add_argument("--tenant", default="demo-tenant")
    parser.add_argument("--user", default="demo-user")
    parser.add_argument("--isolated", action="store_true", help="on stand-ins of its own, even with make run up")
    parser.add_argument("--emulator", action="store_true", help="the deployable build, under Lambda's emulator")
    args = parser.parse_args()

    event = json.loads(
        args.event.read_text().replace(TOKEN_PLACEHOLDER, issuer.mint(args.role, args.tenant, args.user))
    )
    if args.emulator:
        print(f"# sam build for {emulator.machine_architecture()} into {emulator.BUILD_DIR}", file=sys.stderr)
        emulator.sam_build(emulator.BUILD_DIR, emulator.machine_architecture())
    with stack_for(args.function, args.isolated) as variables, contextlib.redirect_stdout(sys.stderr):
        # The function's log lines go to stderr (its logger is made here, on first import), its
        # answer alone to stdout, as `sam local invoke` prints them.
        if args.emulator:
            emulated = emulator.EmulatedFunction(
                emulator.BUILD_DIR, template.functions()[args.function], variables, sys.stderr
            )
            try:
                response = emulated.invoke(event)
            finally:
                emulated.stop()
        else:
            response = stack.FunctionHost().invoke(args.function, event)
    print(json.dumps(response, indent=2))


@contextlib.contextmanager
def stack_for(function: str, isolated: bool) -> Iterator[dict[str, str]]:
    """The functions' variables for the running stack, or for stand-ins of our own (`isolated`,
    or none running) with the resources created, set here while the block runs."""
    found = None if isolated else running()
    if found is not None:
        print(f"# {function} on the data of the running stack at {found.url}", file=sys.stderr)
        variables = stack.function_environment(found.jwks_url, found.dynamodb_endpoint, found.s3_endpoint)
        stack.apply_environment(variables)
        yield variables
        return
    print(f"# {function} on stand-ins of its own (no `make run` is running, or ISOLATED=1)", file=sys.stderr)
    jwks = stack.serve_jwks(issuer.jwks())
    dynamodb_endpoint, s3_endpoint, stop_stand_ins = stack.start_aws_stand_ins()
    try:
        variables = stack.function_environment(stack.jwks_url(jwks), dynamodb_endpoint, s3_endpoint)
        stack.apply_environment(variables)
        stack.create_resources(dynamodb_endpoint, s3_endpoint)
        yield variables
    finally:
        jwks.shutdown()
        stop_stand_ins()


if __name__ == "__main__":
    main()
