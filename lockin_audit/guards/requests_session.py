"""Rules for the `requests` sessions the SDKs send through (the Azure SDK's transport,
google-auth's token refresh), which do not go through the engine's HTTP client:

- `no_redirects=True` (google-auth's session): no redirect is followed by `requests`
  itself (`max_redirects = 0`), so a POST carrying a signed assertion is never re-sent
  elsewhere. azure-core asks requests not to follow redirects and follows them in its
  own policy, where the endpoint policy checks every hop: its session keeps the default;
- an answer is read through a byte cap (decoded), enforced while it streams in: above it,
  `AnswerTooLarge` and the connection is closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lockin_audit.guards import AnswerTooLarge


def _cap_hook(limit: int, what: str) -> Any:
    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        raw = getattr(response, "raw", None)
        stream = getattr(raw, "stream", None)
        if stream is None:
            return response
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > limit and \
                not response.headers.get("Content-Encoding"):
            response.close()
            raise AnswerTooLarge(f"the {what} answer from {response.url} is larger than "
                                 f"{limit} bytes; not read")

        def capped(amt: int = 2 ** 16, decode_content: Any = None) -> Iterator[bytes]:
            total = 0
            for chunk in stream(amt, decode_content=decode_content):
                total += len(chunk)
                if total > limit:
                    response.close()
                    raise AnswerTooLarge(f"the {what} answer from {response.url} is larger "
                                         f"than {limit} bytes; not read further")
                yield chunk

        assert raw is not None
        raw.stream = capped
        return response

    return hook


def harden_session(session: Any, limit: int, what: str, *, no_redirects: bool = False) -> Any:
    """Apply the rules above to a requests.Session and return it."""
    if no_redirects:
        session.max_redirects = 0
    session.hooks.setdefault("response", []).append(_cap_hook(limit, what))
    return session


__all__ = ["harden_session"]
