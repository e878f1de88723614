"""API keys on requests: `X-API-Key: …` or `Authorization: Bearer …`, never in the URL."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.delivery import caller_of
from app.errors import Forbidden, Unauthorized
from app.models import Scope
from app.services.keys import KeyInfo

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key from `python -m app keys create`."
)
bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token.")


def require(scope: Scope) -> Callable[..., Awaitable[KeyInfo]]:
    """A dependency that admits keys holding `scope` (admin holds every scope).

    The gate has already read and checked the key; the security parameters are here so that
    OpenAPI documents how to send it.
    """

    async def dependency(
        request: Request,
        key: Annotated[str | None, Security(api_key_header)],
        token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> KeyInfo:
        info = caller_of(request).key
        if info is None:
            raise Unauthorized("An API key is required: send it as X-API-Key or Authorization: Bearer.")
        if scope.value not in info.scopes and Scope.admin.value not in info.scopes:
            raise Forbidden(f"This operation needs a key with the {scope.value!r} scope.")
        return info

    return dependency


IngestKey = Annotated[KeyInfo, Depends(require(Scope.ingest))]
AdminKey = Annotated[KeyInfo, Depends(require(Scope.admin))]
