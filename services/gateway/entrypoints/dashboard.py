"""The restaurant dashboard, a web page (SPEC §8; routes mixed into GatewayService).

`GET /dashboard` is a static page; its script signs in and asks this gateway's own JSON
API for everything it shows. The gateway serves a fixed list of files, each at a route of
its own, so no request can name another file: the page, its script and styles, and the
chart library, Chart.js, all in `static/`. Chart.js comes from the npm registry: `npm ci`
(`package.json`, `package-lock.json`) installs it and the set-up copies its
`dist/chart.umd.js` beside the page (scripts/lib.sh's ensure_node_packages locally,
deploy/Dockerfile in the image). The page's Content-Security-Policy allows only this
origin, and no inline script or style: it loads, and sends to, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from werkzeug.wrappers import Request, Response

from services.gateway.domain.access import ANYONE
from services.gateway.http import (
    DEFAULT_PUBLIC_MAX_AGE,
    PUBLIC_MAX_AGE_CONFIG_KEY,
    SECURITY_HEADERS,
    entity_tag,
    matches,
    route,
)
from shared.errors import ServiceUnavailable

GATEWAY = Path(__file__).resolve().parents[1]
STATIC = GATEWAY / "static"

# only this origin, for everything; no inline script or style, no plugins, no framing
PAGE_POLICY = ("default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": PAGE_POLICY, "Cross-Origin-Opener-Policy": "same-origin"}
# and no other site may load these files into its own pages
FILE_HEADERS = {"Cross-Origin-Resource-Policy": "same-origin"}


@dataclass(frozen=True)
class PageFile:
    path: Path
    media_type: str  # what the route answers (and the OpenAPI document says)
    installed_by: str | None = None  # a file the set-up installs, not the repository's


PAGE = PageFile(STATIC / "dashboard.html", "text/html")
SCRIPT = PageFile(STATIC / "dashboard.js", "text/javascript")
STYLES = PageFile(STATIC / "dashboard.css", "text/css")
ICON = PageFile(STATIC / "favicon.svg", "image/svg+xml")
CHART_LIBRARY = PageFile(STATIC / "chart.umd.js", "text/javascript",
                         installed_by="scripts/lib.sh's ensure_node_packages installs it")


@lru_cache(maxsize=32)  # a few versions of each of the few files
def _read(path: Path, modified_ns: int) -> tuple[bytes, str]:
    """The file's bytes and entity tag, read once per version of it."""
    body = path.read_bytes()
    return body, entity_tag(body)


def serves(media_type: str):
    """Say, for the OpenAPI document, that a route answers `media_type` rather than JSON:
    in the doc of the route's entrypoint as the service class declares it, which
    openapi.operation reads (a container's bound copy is made anew from route()'s
    arguments, without it)."""

    def mark(handler):
        for entrypoint in handler.nameko_entrypoints:
            entrypoint.doc["media_type"] = media_type
        return handler

    return mark


class DashboardRoutes:
    @serves(PAGE.media_type)
    @route("GET", "/dashboard", summary="The restaurant dashboard: a web page (sign in, pick "
           "a restaurant, see its views, reviews, dishes and city's trending)", tag="dashboard",
           access=ANYONE)
    def get_dashboard(self, request):
        return self.page_file(request, PAGE)

    @serves(SCRIPT.media_type)
    @route("GET", "/dashboard/dashboard.js", summary="The dashboard page's script",
           tag="dashboard", access=ANYONE)
    def get_dashboard_script(self, request):
        return self.page_file(request, SCRIPT)

    @serves(STYLES.media_type)
    @route("GET", "/dashboard/dashboard.css", summary="The dashboard page's styles",
           tag="dashboard", access=ANYONE)
    def get_dashboard_styles(self, request):
        return self.page_file(request, STYLES)

    @serves(ICON.media_type)
    @route("GET", "/dashboard/favicon.svg", summary="The dashboard page's icon",
           tag="dashboard", access=ANYONE)
    def get_dashboard_icon(self, request):
        return self.page_file(request, ICON)

    @serves(CHART_LIBRARY.media_type)
    @route("GET", "/dashboard/chart.umd.js", summary="The chart library the dashboard draws "
           "with (Chart.js, from npm)", tag="dashboard", access=ANYONE)
    def get_chart_library(self, request):
        return self.page_file(request, CHART_LIBRARY)

    def page_file(self, request: Request, file: PageFile) -> Response:
        """`file` with its entity tag (304 when the client holds it), kept by caches as
        other public reads are (http.py, "HTTP caching"); the page with its own policy."""
        try:
            body, etag = _read(file.path, file.path.stat().st_mtime_ns)
        except FileNotFoundError:
            if file.installed_by is None:
                raise
            raise ServiceUnavailable(f"{file.path.name} is not installed on this gateway "
                                     f"({file.installed_by})", {"file": file.path.name}) from None
        if "Authorization" in request.headers:
            cache_control = "private, no-cache"
        else:
            max_age = int(self.config.get(PUBLIC_MAX_AGE_CONFIG_KEY, DEFAULT_PUBLIC_MAX_AGE))
            cache_control = f"public, max-age={max_age}"
        headers = {**SECURITY_HEADERS, **FILE_HEADERS, **(PAGE_HEADERS if file is PAGE else {}),
                   "Cache-Control": cache_control, "ETag": etag, "Vary": "Authorization"}
        if matches(request.headers.get("If-None-Match"), etag):
            response = Response(status=304, headers=headers)
            del response.headers["Content-Type"]
            return response
        return Response(body, status=200, headers=headers, mimetype=file.media_type)
