#!/usr/bin/env python3
"""The way most FINRA clients download a dataset: a plain sequential offset loop with `requests`.

Mints one token (HTTP Basic, grant_type=client_credentials in the query string), then POSTs the
query with limit 5 000 and offset += rows received until the offset reaches `Record-Total`,
parsing each JSON page and writing one NDJSON line per row, as `finra query --format ndjson`
does. Credentials come from FINRA_API_KEY / FINRA_API_SECRET. Uses `requests` and the standard
library only. Prints a one-line JSON summary on stderr.

Usage: plain_loop.py --api-base URL --token-url URL --group G --name N
                     [--filter 'FIELD OP VALUE']... --out FILE [--deadline SECONDS]
"""

import argparse
import json
import os
import re
import sys
import time

import requests

PAGE = 5_000

# The `finra` CLI's filter grammar: FIELD OP VALUE, longest operator first.
OPERATORS = {">=": "GTE", "<=": "LTE", "!=": "NOT_EQUAL", "==": "EQUAL", "=": "EQUAL",
             ">": "GREATER", "<": "LESSER"}
FILTER = re.compile(r"^\s*(\w+)\s*(>=|<=|!=|==|=|>|<)\s*(.*?)\s*$")


def parse_filter(text: str) -> tuple[str, str, str]:
    """'tierIdentifier = T1' -> ("tierIdentifier", "EQUAL", "T1")."""
    match = FILTER.match(text)
    if not match or not match.group(3):
        raise argparse.ArgumentTypeError(f"expected 'FIELD OP VALUE', got {text!r}")
    field, op, value = match.groups()
    return field, OPERATORS[op], value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--token-url", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument(
        "--filter", action="append", default=[], type=parse_filter, metavar="'FIELD OP VALUE'"
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--deadline", type=float, default=600.0)
    args = parser.parse_args()
    deadline = time.monotonic() + args.deadline

    session = requests.Session()
    token = session.post(
        args.token_url,
        params={"grant_type": "client_credentials"},
        auth=(os.environ["FINRA_API_KEY"], os.environ["FINRA_API_SECRET"]),
        timeout=30,
    )
    token.raise_for_status()
    headers = {
        "Authorization": f"Bearer {token.json()['access_token']}",
        "Accept": "application/json",
    }
    compare = [
        {"fieldName": field, "fieldValue": value, "compareType": op}
        for field, op, value in args.filter
    ]
    body = {"limit": PAGE, "offset": 0, "compareFilters": compare}
    url = f"{args.api_base}/data/group/{args.group}/name/{args.name}"

    offset, total, requests_sent = 0, None, 0
    with open(args.out, "w", encoding="utf-8") as out:
        while True:
            if time.monotonic() > deadline:
                print(f"deadline passed at offset {offset}", file=sys.stderr)
                return 2
            body["offset"] = offset
            response = session.post(url, json=body, headers=headers, timeout=60)
            requests_sent += 1
            if response.status_code == 204:
                break
            response.raise_for_status()
            total = int(response.headers["Record-Total"])
            rows = response.json()
            if not rows:
                break
            for row in rows:
                out.write(json.dumps(row, separators=(",", ":")))
                out.write("\n")
            offset += len(rows)
            if offset >= total:
                break
    summary = {"rows": offset, "record_total": total, "requests": requests_sent}
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
