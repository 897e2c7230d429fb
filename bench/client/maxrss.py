#!/usr/bin/env python3
"""Runs one command and reports its wall time and peak resident memory.

Usage: maxrss.py [--timeout SECONDS] -- COMMAND [ARG...]

The command's own stdout goes to this script's stderr, so that this script's stdout carries one
JSON line only: {"maxrss_kib": N, "wall_s": S, "returncode": C}. `maxrss_kib` is
getrusage(RUSAGE_CHILDREN).ru_maxrss (KiB on Linux): the peak RSS of the largest waited-for
descendant, here the command itself. `returncode` is null when the command was killed for
passing the timeout. Standard library only.
"""

import argparse
import json
import resource
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    started = time.monotonic()
    try:
        returncode = subprocess.run(
            command, stdout=sys.stderr, timeout=args.timeout, check=False
        ).returncode
    except subprocess.TimeoutExpired:
        # subprocess.run has killed and reaped the command already.
        returncode = None
    wall = time.monotonic() - started
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"maxrss_kib": maxrss, "wall_s": wall, "returncode": returncode}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
