"""`make token ROLE=admin|instructor|learner TENANT=<id> USER=<id>`: a token `make run` accepts.

The token alone is the last line of output, so `TOKEN=$(make -s token | tail -n 1)` works."""

import argparse

from local.issuer import ISSUER, TOKEN_LIFETIME_SECONDS, mint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", default="admin", help="admin, instructor or learner (several: a,b)")
    parser.add_argument("--tenant", default="demo-tenant")
    parser.add_argument("--user", default="demo-user")
    args = parser.parse_args()
    hours = TOKEN_LIFETIME_SECONDS // 3600
    print(f"# {args.role} {args.user} of tenant {args.tenant}, issuer {ISSUER}, valid {hours} h")
    print(mint(args.role, args.tenant, args.user))


if __name__ == "__main__":
    main()
