"""The built-in authorizer: every protected route's bearer token is verified here."""

from __future__ import annotations

from chalice import AuthResponse, Blueprint
from chalice.app import AuthRequest

# What the authorizer runs on every call, so imported with the app (bench/aws_calls.py wraps
# `security.authenticate` to tell the authorizer's AWS calls from the route's). The composition
# root is imported where it is used, like the routes do.
from chalicelib.auth.service import authenticate, bearer_token
from chalicelib.errors import Unauthenticated
from chalicelib.observability import logger

security = Blueprint(__name__)


class TokenRejected(Exception):
    """Raised to API Gateway; the exact message 'Unauthorized' makes it answer 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


# API Gateway caches an answer per token for this long: a logout reaches a cached token within it.
CACHE_SECONDS = 60


@security.authorizer(ttl_seconds=CACHE_SECONDS)
def token_authorizer(auth_request: AuthRequest) -> AuthResponse:
    """The person behind the token, with every membership: the request picks one (X-Firm) after the cache."""
    from chalicelib import aws

    try:
        person = authenticate(aws.ports(), bearer_token(auth_request.token))
    except Unauthenticated:
        logger.info("token rejected")
        raise TokenRejected() from None
    return AuthResponse(routes=["*"], principal_id=person.sub, context=person.as_context())
