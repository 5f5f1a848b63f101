"""The local API Gateway: chalice's, plus the gateway responses the deployed API has.

Deployed, API Gateway answers a rejected token, a missing token and an unknown path with
the problem+json gateway responses of infra/ (UNAUTHORIZED, MISSING_AUTHENTICATION_TOKEN).
Chalice's local gateway answers those with its own bodies or drops the connection, so this
subclass renders the same problem documents, from chalicelib.problems, locally, with the
headers every API answer carries.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalGateway, LocalGatewayException
from chalice.test import Client, TestHTTPClient

from chalicelib import problems
from chalicelib.api.routing import answer_headers
from chalicelib.api.security import TokenRejected
from chalicelib.config import get_settings
from chalicelib.texts import pick_language

# What each gateway refusal becomes, as in infra's GatewayResponses.
_GATEWAY_CODES = {401: "unauthenticated", 403: "not_found", 500: "internal_error"}


def _problem(code: str, headers: dict[str, Any]) -> dict[str, Any]:
    language = pick_language(headers.get("accept-language") or headers.get("Accept-Language"))
    status, body = problems.problem(code, language)
    status, text, response_headers = problems.render(status, body, answer_headers(get_settings()))
    return {"statusCode": status, "headers": response_headers, "multiValueHeaders": {}, "body": text}


class ProblemGateway(LocalGateway):
    def handle_request(self, method: str, path: str, headers: dict[str, Any], body: bytes | None) -> dict[str, Any]:
        try:
            return super().handle_request(method, path, headers, body)  # type: ignore[no-any-return]
        except TokenRejected:
            return _problem("unauthenticated", headers)
        except LocalGatewayException as exc:
            if exc.CODE == 403 and b"not authorized" in (exc.body or b""):
                return _problem("forbidden", headers)
            return _problem(_GATEWAY_CODES.get(exc.CODE, "internal_error"), headers)


class ProblemRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        # The base handler serves the request inside __init__, so the gateway must exist first.
        self.local_gateway = ProblemGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)


class _ProblemHTTPClient(TestHTTPClient):
    def __init__(self, app: Any, config: Any) -> None:
        super().__init__(app, config)
        self._local_gateway = ProblemGateway(app, config)


class ApiClient(Client):
    """chalice.test.Client whose HTTP side goes through ProblemGateway."""

    @property
    def http(self) -> TestHTTPClient:
        if self._http_client is None:
            self._http_client = _ProblemHTTPClient(self._app, self._chalice_config)
        return self._http_client
