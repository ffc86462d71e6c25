"""Read-only guards: the layer below the sources.

Every client a source creates carries one of these guards, which refuse any operation
that could change something *before* the request leaves the process:

- `lockin_audit.guards.http`: plain HTTP (the engine's httpx client): GET/HEAD/OPTIONS
  plus a short list of POST endpoints that only read;
- `lockin_audit.guards.aws`: a botocore event hook with an allow-list of read operations;
- `lockin_audit.guards.azure`: azure-core pipeline policies that apply the HTTP rule and
  keep the token on the configured ARM host, on every hop;
- `lockin_audit.guards.net`: which addresses links from answers may name (public only);
- `lockin_audit.guards.google`: an allow-list of Google API methods (with their verbs and
  scopes) that the Google client checks before building a request.

This package imports nothing from the engine, the check API, the sources or the SDKs
(the AWS and Azure modules import their SDK only when a guard is built), so sources can
import it without pulling in the layers above them.
"""

from __future__ import annotations


class WriteRefused(Exception):
    """A request that could change something was refused by the read-only guard."""


class ForeignHostRefused(Exception):
    """A request carrying credentials was about to go to another host than the configured
    endpoint's (a paging link or redirect from an answer): refused before it was sent."""


class AnswerTooLarge(Exception):
    """An answer grew past its byte cap (decoded) while it was read: not read further."""


__all__ = ["AnswerTooLarge", "ForeignHostRefused", "WriteRefused"]
