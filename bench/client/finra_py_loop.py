#!/usr/bin/env python3
"""Downloads a query with finra-py (PyPI `finra-py`, module `finra`) pointed at the emulator.

finra-py has no paging helper: its users write the offset loop themselves around the dataset
method (`Client.get_weekly_summary(filters=..., limit=..., offset=...)`, which POSTs the filter)
and `finra.utils.extract_record_total`. This script does exactly that, with limit 5 000, parsing
each JSON page and writing one NDJSON line per row, as `finra query --format ndjson` does.

Pointing it at the emulator: the token URL is the module global
`finra.auth._PROD_TOKEN_ENDPOINT` (read when a client is built), and the Query API base is the
client's `_base_url` attribute (set in `BaseClient.__init__`). The token is minted by
`finra.auth.client_from_new_token` (authlib, HTTP Basic); it is not written to disk.
Credentials come from FINRA_API_KEY / FINRA_API_SECRET. Uses finra-py and the standard library
only. Prints a one-line JSON summary on stderr.

Usage: finra_py_loop.py --api-base URL --token-url URL --group otcMarket --name weeklySummary
                        [--filter 'FIELD OP VALUE']... --out FILE [--deadline SECONDS]
"""

import argparse
import json
import os
import re
import sys
import time

import finra.auth
import finra.filters
import finra.utils

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

# (group, name) -> (Client method, field enum attribute of the client)
DATASETS = {
    ("otcMarket", "weeklySummary"): ("get_weekly_summary", "WeeklySummary"),
}


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
    method_name, enum_name = DATASETS[(args.group, args.name)]

    finra.auth._PROD_TOKEN_ENDPOINT = args.token_url
    client = finra.auth.client_from_new_token(
        os.environ["FINRA_API_KEY"],
        os.environ["FINRA_API_SECRET"],
        None,
        token_write_func=lambda *_args, **_kwds: None,
    )
    client._base_url = args.api_base
    fields = getattr(client, enum_name)
    query_filter = finra.filters.Filter(fields)
    for field, op, value in args.filter:
        query_filter.add_compare(fields(field), value, finra.filters.CompareType[op])
    fetch = getattr(client, method_name)

    offset, total, requests_sent = 0, None, 0
    with open(args.out, "w", encoding="utf-8") as out:
        while True:
            if time.monotonic() > deadline:
                print(f"deadline passed at offset {offset}", file=sys.stderr)
                return 2
            response = fetch(
                filters=query_filter, limit=PAGE, offset=offset, accept_json=True
            )
            requests_sent += 1
            if response.status_code == 204:
                break
            response.raise_for_status()
            total = finra.utils.extract_record_total(response)
            rows = response.json()
            if not rows:
                break
            for row in rows:
                out.write(json.dumps(row, separators=(",", ":")))
                out.write("\n")
            offset += len(rows)
            if total is None or offset >= total:
                break
    client.close()
    summary = {"rows": offset, "record_total": total, "requests": requests_sent}
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
