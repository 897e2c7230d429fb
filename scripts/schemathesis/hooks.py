"""Schemathesis hooks for FinHub's conformance run: some generated logins are replaced by the
demo's real credentials (a machine's and a person's), so the stateful links from a login to the
session's operations start from a session that exists."""

import json
import os

import schemathesis
from hypothesis import strategies as st

_CREDENTIALS = json.load(open(os.environ["DEMO_CREDENTIALS"], encoding="utf-8"))


def _headers():
    return {
        "X-Tenant-ID": _CREDENTIALS["tenantId"],
        "sec-ch-ua-platform": "Linux",
        "X-Forwarded-For": "203.0.113.7",
        "User-Agent": "schemathesis",
    }


def _client():
    return {
        "customerId": _CREDENTIALS["customerId"],
        "customerSecret": _CREDENTIALS["customerSecret"],
        "accountType": _CREDENTIALS["accountType"],
    }


@schemathesis.hook.apply_to(path="/v1/auth/token", method="POST")
def flatmap_case(ctx, case):
    machine = {"grantType": "client_credentials", **_client()}
    person = {
        "grantType": "password",
        "username": _CREDENTIALS["username"],
        "password": _CREDENTIALS["password"],
        **_client(),
    }
    real = [
        ctx.operation.Case(body=body, headers=_headers(), media_type="application/json")
        for body in (machine, person)
    ]
    return st.sampled_from([case, *real])


# Operations that take a session token. Outside the stateful phase (whose tokens come from the
# login's links) they get a real one: the demo person's, logged in again whenever the hub
# answers 401 (after a generated logout, say). Schemathesis then also checks that each of them
# refuses a request without the token and one with a forged token.
_SESSION_OPERATIONS = [
    "getSession",
    "refreshSession",
    "logout",
    "getMfa",
    "startTotp",
    "removeTotp",
    "confirmTotp",
    "renewRecoveryCodes",
    "getTraqsFile",
    "finraDatasets",
    "finraGetData",
    "finraQueryData",
    "finraGetRecord",
    "finraMetadata",
    "finraPartitions",
    "finraAsyncRequest",
]

if os.environ.get("SESSION_AUTH") == "on":

    @schemathesis.auth(refresh_interval=60).apply_to(operation_id=_SESSION_OPERATIONS)
    class SessionToken:
        def get(self, case, ctx):
            import requests

            body = {
                "grantType": "password",
                "username": _CREDENTIALS["username"],
                "password": _CREDENTIALS["password"],
                **_client(),
            }
            answer = requests.post(
                _CREDENTIALS["baseUrl"] + "/v1/auth/token", json=body, headers=_headers(), timeout=30
            )
            answer.raise_for_status()
            return answer.json()["userSessionToken"]

        def set(self, case, data, ctx):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"
