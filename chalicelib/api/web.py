"""The portal pages, served by the app itself on the API's origin.

Every answer is a fixed file from chalicelib/web: no user data is ever templated into a page.
The pages' ES modules fetch the API (same origin) and build the DOM with textContent.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from chalice import Response
from chalice.app import Request

from chalicelib.api.routing import Routes
from chalicelib.config import Settings, get_settings
from chalicelib.errors import NotFound

routes = Routes(__name__)

WEB = Path(__file__).resolve().parent.parent / "web"
STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Flat names only: no separators, no parent references, no hidden files.
STATIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
HSTS = "max-age=63072000; includeSubDomains"


@routes.route("/")
def client_portal(request: Request, _: None) -> Response:
    return _page("index.html")


@routes.route("/advisor")
def advisor_dashboard(request: Request, _: None) -> Response:
    return _page("advisor.html")


@routes.route("/activate")
def activate(request: Request, _: None) -> Response:
    return _page("activate.html")


@routes.route("/outbox")
def outbox(request: Request, _: None) -> Response:
    # Like /dev/outbox, which it reads: a missing page on every deployed stage.
    if not get_settings().is_local:
        raise NotFound()
    return _page("outbox.html")


@routes.route("/static/{name}")
def static_file(request: Request, _: None, name: str) -> Response:
    path = static_files().get(name) if STATIC_NAME.fullmatch(name) and ".." not in name else None
    if path is None:
        raise NotFound()
    return _file(path, {"Content-Type": STATIC_TYPES[path.suffix], "Cache-Control": "no-cache"})


def static_files() -> dict[str, Path]:
    """The allow-list: the js, css and svg files that exist in web/ and web/vendor/, by flat name."""
    files: dict[str, Path] = {}
    for folder in (WEB / "vendor", WEB):  # the project's own file wins over a vendored one
        if folder.is_dir():
            files.update({p.name: p for p in folder.iterdir() if p.is_file() and p.suffix in STATIC_TYPES})
    return files


def _page(filename: str) -> Response:
    return _file(WEB / filename, {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    })


def _file(path: Path, headers: dict[str, str]) -> Response:
    sent: dict[str, str | list[str]] = {**headers, **security_headers(get_settings())}
    return Response(body=path.read_text(encoding="utf-8"), status_code=200, headers=sent)


def security_headers(settings: Settings) -> dict[str, str]:
    """What every page and static file carries, set here because the app-wide defaults only fill gaps.

    A static file gets the page's policy too: an SVG or script opened on its own is a document,
    and must neither run anything foreign nor be framed.
    """
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
    if not settings.is_local:  # deployed stages are served over HTTPS only; the local one is plain HTTP
        headers["Strict-Transport-Security"] = HSTS
    return headers


def content_security_policy(settings: Settings) -> str:
    """Scripts and styles from this origin only; fetches to the API and to the document bucket (the upload,
    and the PDF that the portal shows inline); PDF.js's worker from this origin only."""
    connect = " ".join(["'self'", *upload_origins(settings)])
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "worker-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        f"connect-src {connect}",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ])


def upload_origins(settings: Settings) -> list[str]:
    """Where the browser posts a presigned upload: the local S3 endpoint, or the bucket's S3 hosts."""
    if settings.aws_endpoint_url:
        parts = urlsplit(settings.aws_endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}"]
    bucket, region = settings.documents_bucket, settings.region
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]
