"""RFC 3161 time stamps over the evidence manifest, from a time-stamping authority (TSA) the
user names (`--timestamp URL`).

The request (RFC 3161 section 2.4.1) carries only the SHA-256 of the manifest, a random
nonce and `certReq`, sent as `application/timestamp-query` by HTTP POST (section 3.4). This
is the one non-GET request lockin-audit makes, and only to the URL the user gave: it
changes nothing anywhere and carries no credential. The answer (section 2.4.2) is a CMS
SignedData (RFC 5652) whose content is the TSTInfo: the imprint, the nonce and the time.

`verify_token` checks, offline: the imprint is the manifest's hash, the nonce (when we
asked), the CMS signature over the signed attributes, the message-digest attribute over
the TSTInfo, and that the signing certificate is marked for time stamping (RFC 3161
section 2.3). Whether that certificate chains to an authority the reader trusts is the
reader's call: `tsa_ca` names a CA certificate file to check it against.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampError(Exception):
    """The authority refused, could not be reached, or a token does not verify."""


@dataclass(frozen=True)
class Timestamp:
    token: bytes  # the DER TimeStampToken (a CMS ContentInfo)
    gen_time: str  # ISO 8601, UTC, from the TSTInfo
    authority: str  # the signing certificate's subject
    serial: int


def request(digest: bytes, nonce: int | None = None) -> tuple[bytes, int]:
    """A DER TimeStampReq for a SHA-256 digest; returns it and its nonce."""
    from asn1crypto import tsp

    nonce = nonce if nonce is not None else secrets.randbits(63)
    req = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    })
    return req.dump(), nonce


def fetch(url: str, message: bytes, *, timeout_s: float = 30.0,
          verify_tls: bool | str = True) -> Timestamp:
    """Ask the authority at `url` (configured by the user) to time-stamp `message`."""
    import httpx

    if not url.lower().startswith(("https://", "http://")):
        raise TimestampError(f"--timestamp takes an http(s) URL, not {url!r}")
    digest = hashlib.sha256(message).digest()
    body, nonce = request(digest)
    try:
        # redirects are not followed: a POST must not be re-sent elsewhere; the answer is
        # read raw (no content decoding asked for) and at most 1 MB of it, as it streams
        with httpx.stream("POST", url, content=body,
                          headers={"Content-Type": QUERY_TYPE, "Accept-Encoding": "identity"},
                          timeout=timeout_s, follow_redirects=False,
                          verify=verify_tls) as resp:
            if resp.status_code != 200:
                raise TimestampError(f"the time-stamping authority {url} answered HTTP "
                                     f"{resp.status_code}")
            if resp.headers.get("content-encoding", "identity").lower() != "identity":
                raise TimestampError("the time-stamping authority's answer is encoded "
                                     f"({resp.headers['content-encoding'][:40]}), not DER")
            data = bytearray()
            for chunk in resp.iter_raw():
                data += chunk
                if len(data) > 1_000_000:
                    raise TimestampError("the time-stamping authority's answer is over 1 MB")
    except httpx.HTTPError as exc:
        raise TimestampError(f"the time-stamping authority {url} could not be reached: "
                             f"{type(exc).__name__}") from None
    token = _token_from_response(bytes(data))
    return verify_token(token, message, nonce=nonce)


def _token_from_response(data: bytes) -> bytes:
    from asn1crypto import cms, core, tsp

    # TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken OPTIONAL } (read
    # element by element: asn1crypto's definition does not mark the token optional)
    try:
        outer = core.Sequence.load(data)
        if len(outer) == 0:
            raise ValueError("empty SEQUENCE")
        info = tsp.PKIStatusInfo.load(outer[0].dump())
        status = info["status"].native
        text = info["status_string"].native
        token = cms.ContentInfo.load(outer[1].dump()) if len(outer) > 1 else None
    except (ValueError, TypeError, KeyError) as exc:
        raise TimestampError(f"the authority's answer is not a TimeStampResp: {exc}") from None
    if status not in ("granted", "granted_with_mods"):
        raise TimestampError(f"the time-stamping authority refused: {status}"
                             + (f" ({'; '.join(text)})" if text else ""))
    if token is None:
        raise TimestampError("the authority granted the request but sent no token")
    return bytes(token.dump())


def verify_token(token: bytes, message: bytes, *, nonce: int | None = None,
                 tsa_ca: Path | None = None) -> Timestamp:
    """Check a TimeStampToken over `message`; TimestampError says what fails."""
    from asn1crypto import cms, tsp

    try:
        info = cms.ContentInfo.load(token)
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("the token does not hold a TSTInfo")
        tst_bytes = encap["content"].contents  # the OCTET STRING's value: DER TSTInfo
        tst = tsp.TSTInfo.load(tst_bytes)
        imprint = tst["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TimestampError(f"the time-stamp token cannot be read: {exc}") from None
    if algorithm not in ("sha256", "sha384", "sha512"):
        raise TimestampError(f"the token's imprint uses {algorithm}, not a SHA-2 hash")
    if hashlib.new(algorithm, message).digest() != hashed:
        raise TimestampError("the time stamp is for another file (the imprint does not "
                             "match the manifest)")
    if nonce is not None and tst["nonce"].native != nonce:
        raise TimestampError("the token's nonce is not the one we sent (a replayed answer)")
    cert = _check_signature(signed, tst_bytes)
    if tsa_ca is not None:
        _check_issuer(cert, tsa_ca)
    return Timestamp(token, tst["gen_time"].native.isoformat(),
                     cert.subject.human_friendly, int(tst["serial_number"].native))


def _check_signature(signed: Any, content: bytes) -> Any:
    """Verify the CMS signer over the signed attributes (RFC 5652 section 5.4); return the
    signer's certificate (asn1crypto x509.Certificate)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    infos = signed["signer_infos"]
    if len(infos) != 1:
        raise TimestampError(f"the token has {len(infos)} signers; RFC 3161 wants one")
    signer = infos[0]
    certs = [c.chosen for c in signed["certificates"] or []
             if c.name == "certificate"]
    sid = signer["sid"]
    cert = None
    for candidate in certs:
        if sid.name == "issuer_and_serial_number":
            if (candidate.issuer == sid.chosen["issuer"]
                    and candidate.serial_number == sid.chosen["serial_number"].native):
                cert = candidate
        elif candidate.key_identifier == sid.chosen.native:
            cert = candidate
    if cert is None:
        raise TimestampError("the token does not carry the signer's certificate "
                             "(ask with certReq)")
    usage = cert.extended_key_usage_value
    if usage is None or "time_stamping" not in usage.native:
        raise TimestampError("the signing certificate is not for time stamping "
                             "(no id-kp-timeStamping extended key usage)")
    digest_name = signer["digest_algorithm"]["algorithm"].native
    attrs = signer["signed_attrs"]
    if not attrs:
        raise TimestampError("the token has no signed attributes")
    digest_attr = [a for a in attrs if a["type"].native == "message_digest"]
    if not digest_attr or digest_attr[0]["values"][0].native != hashlib.new(
            digest_name, content).digest():
        raise TimestampError("the token's message digest does not match its TSTInfo")
    # the signature covers the attributes DER-encoded as a SET OF (tag 0x31), not [0]
    to_verify = b"\x31" + attrs.dump()[1:]
    public = x509.load_der_x509_certificate(cert.dump()).public_key()
    chosen = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
              "sha512": hashes.SHA512()}.get(digest_name)
    if chosen is None:
        raise TimestampError(f"unsupported digest {digest_name}")
    signature = signer["signature"].native
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, to_verify, padding.PKCS1v15(), chosen)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, to_verify, ec.ECDSA(chosen))
        else:
            raise TimestampError("unsupported time-stamping key type")
    except InvalidSignature:
        raise TimestampError("the time-stamp token's signature does not verify") from None
    return cert


def _check_issuer(cert: Any, ca_path: Path) -> None:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    try:
        ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TimestampError(f"cannot read the TSA CA certificate {ca_path}: {exc}") from None
    leaf = x509.load_der_x509_certificate(cert.dump())
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise TimestampError(f"the time-stamping certificate ({cert.subject.human_friendly}) "
                             f"was not issued by {ca_path}") from None
