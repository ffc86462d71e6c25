"""The HTTP read-only rule, shared by the engine's HTTP client and the Azure SDK policy."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lockin_audit.guards import WriteRefused

# POST endpoints that only read (Microsoft Graph resolves object ids with a POST; Azure
# Resource Graph queries with one; Google Cloud reads IAM policies with one). Any other
# non-GET request is refused before it leaves the process.
READ_ONLY_POST_PATHS: tuple[re.Pattern[str], ...] = (
    re.compile(r"/directoryObjects/getByIds$"),
    re.compile(r"/providers/Microsoft\.ResourceGraph/resources$", re.IGNORECASE),
    # Google Cloud Resource Manager v3 reads IAM policies with a POST (documented at
    # cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy).
    re.compile(r"^/v3/(organizations|folders|projects)/[^/:]+:getIamPolicy$"),
)


def assert_read_only_http(method: str, url: str) -> None:
    """Raise WriteRefused unless `method url` only reads."""
    method = method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return
    path = urlsplit(url).path
    if method == "POST" and any(p.search(path) for p in READ_ONLY_POST_PATHS):
        return
    raise WriteRefused(f"refused {method} {url}: lockin-audit only reads")


__all__ = ["READ_ONLY_POST_PATHS", "WriteRefused", "assert_read_only_http"]
