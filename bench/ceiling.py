"""The ceiling: bare FastAPI returning a fixed 2 KB JSON body, on the same server as the API."""

from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()
BODY = b'{"padding":"' + b"x" * 2030 + b'"}'


@app.get("/")
async def fixed() -> Response:
    return Response(BODY, media_type="application/json")
