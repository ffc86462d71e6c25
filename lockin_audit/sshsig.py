"""SSH signatures (OpenSSH's PROTOCOL.sshsig), so that anyone can check our evidence with
`ssh-keygen -Y verify` and no tool of ours.

The format (openssh-portable, PROTOCOL.sshsig): the signer signs

    "SSHSIG" || string namespace || string reserved || string hash_algorithm || string H(message)

and publishes, base64-armoured between `-----BEGIN SSH SIGNATURE-----` lines,

    "SSHSIG" || uint32 version (1) || string public key || string namespace
             || string reserved || string hash_algorithm || string signature

where `string` is SSH's length-prefixed byte string (RFC 4251 section 5) and the signature is
SSH's own encoding for the key type (RFC 8709 for Ed25519, RFC 8332 for rsa-sha2-512,
RFC 5656 for ECDSA). Keys are read with `cryptography`; nothing here calls ssh-keygen, so a
machine without OpenSSH can sign and verify too.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAGIC = b"SSHSIG"
NAMESPACE = "lockin-audit"
HASH = "sha512"
ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"
PASSPHRASE_ENV = "LOCKIN_AUDIT_SIGN_KEY_PASSPHRASE"


class SignatureError(Exception):
    """A key that cannot sign, or a signature that does not verify (the message says why)."""


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _mpint(value: int) -> bytes:
    if value == 0:
        return _string(b"")
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")  # a leading 0 keeps it positive
    return _string(raw)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SignatureError("the signature is truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def string(self) -> bytes:
        return self.take(self.uint32())

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)

    def done(self) -> bool:
        return self.pos == len(self.data)


def _signed_data(message_hash: bytes, namespace: str) -> bytes:
    return (MAGIC + _string(namespace.encode()) + _string(b"") + _string(HASH.encode())
            + _string(message_hash))


def public_key_blob(public_key: Any) -> bytes:
    """The SSH wire encoding of a public key (what `ssh-keygen` prints, base64-decoded)."""
    from cryptography.hazmat.primitives import serialization

    line = public_key.public_bytes(serialization.Encoding.OpenSSH,
                                   serialization.PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


def fingerprint(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob (`ssh-keygen -l`)."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def load_private_key(path: Path) -> Any:
    """An OpenSSH (or PEM) private key; a passphrase comes from $LOCKIN_AUDIT_SIGN_KEY_PASSPHRASE
    (never from the command line, where other users could read it)."""
    from cryptography.hazmat.primitives import serialization

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read the signing key {path}: {exc.strerror}") from None
    secret = os.environ.get(PASSPHRASE_ENV)
    password = secret.encode() if secret else None
    loaders = (serialization.load_ssh_private_key, serialization.load_pem_private_key)
    last: Exception | None = None
    from cryptography.exceptions import UnsupportedAlgorithm

    for load in loaders:
        try:
            return load(data, password)  # type: ignore[operator]
        except UnsupportedAlgorithm as exc:
            raise SignatureError(f"the signing key {path} cannot be read here: {exc}") from None
        except TypeError:
            raise SignatureError(f"the signing key {path} is protected by a passphrase: set "
                                 f"{PASSPHRASE_ENV}") from None
        except ValueError as exc:
            last = exc
    raise SignatureError(f"{path} is not an SSH private key this tool can use "
                         f"(Ed25519, ECDSA or RSA): {last}")


def sign(message: bytes, key_path: Path, namespace: str = NAMESPACE) -> str:
    """The armoured SSH signature of `message` (what `ssh-keygen -Y sign` writes)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = load_private_key(key_path)
    blob = public_key_blob(key.public_key())
    data = _signed_data(hashlib.sha512(message).digest(), namespace)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = _string(b"ssh-ed25519") + _string(key.sign(data))
    elif isinstance(key, rsa.RSAPrivateKey):
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA512())
        signature = _string(b"rsa-sha2-512") + _string(raw)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        name, digest = _ecdsa(key.curve.name)
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest())))
        signature = _string(name.encode()) + _string(_mpint(r) + _mpint(s))
    else:
        raise SignatureError(f"{key_path}: unsupported key type {type(key).__name__}")
    body = (MAGIC + struct.pack(">I", 1) + _string(blob) + _string(namespace.encode())
            + _string(b"") + _string(HASH.encode()) + _string(signature))
    text = base64.b64encode(body).decode()
    lines = [text[i:i + 70] for i in range(0, len(text), 70)]
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


def _ecdsa(curve: str) -> tuple[str, Any]:
    """The SSH name and hash of an ECDSA curve (RFC 5656 section 6.2.1)."""
    from cryptography.hazmat.primitives import hashes

    table = {"secp256r1": ("ecdsa-sha2-nistp256", hashes.SHA256),
             "secp384r1": ("ecdsa-sha2-nistp384", hashes.SHA384),
             "secp521r1": ("ecdsa-sha2-nistp521", hashes.SHA512)}
    if curve not in table:
        raise SignatureError(f"unsupported ECDSA curve {curve}")
    return table[curve]


@dataclass(frozen=True)
class Verified:
    """A signature that verified: the signer's key and its fingerprint."""

    key_type: str
    public_key_b64: str
    fingerprint: str


def verify(message: bytes, armored: str, namespace: str = NAMESPACE) -> Verified:
    """Check an armoured SSH signature over `message`; SignatureError says what is wrong."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    text = armored.strip()
    if not (text.startswith(ARMOR_BEGIN) and text.endswith(ARMOR_END)):
        raise SignatureError("not an armoured SSH signature")
    try:
        body = base64.b64decode("".join(text[len(ARMOR_BEGIN):-len(ARMOR_END)].split()),
                                validate=True)
    except ValueError:
        raise SignatureError("the signature is not valid base64") from None
    r = _Reader(body)
    if r.take(6) != MAGIC or r.uint32() != 1:
        raise SignatureError("not an SSHSIG version 1 signature")
    blob = r.string()
    signed_ns = r.string().decode(errors="replace")
    r.string()  # reserved
    hash_alg = r.string().decode(errors="replace")
    sig = _Reader(r.string())
    if not r.done():
        raise SignatureError("trailing data after the signature")
    if signed_ns != namespace:
        raise SignatureError(f"signed for namespace {signed_ns!r}, not {namespace!r}")
    if hash_alg not in ("sha512", "sha256"):
        raise SignatureError(f"unsupported hash algorithm {hash_alg!r}")
    digest = hashlib.new(hash_alg, message).digest()
    data = _signed_data(digest, namespace).replace(_string(HASH.encode()),
                                                   _string(hash_alg.encode()), 1)
    sig_type = sig.string().decode(errors="replace")
    raw = sig.string()
    key_type = _Reader(blob).string().decode(errors="replace")
    key_line = f"{key_type} {base64.b64encode(blob).decode()}".encode()
    try:
        public = serialization.load_ssh_public_key(key_line)
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"the signer's public key cannot be read: {exc}") from None
    try:
        if isinstance(public, ed25519.Ed25519PublicKey) and sig_type == "ssh-ed25519":
            public.verify(raw, data)
        elif isinstance(public, rsa.RSAPublicKey) and sig_type in ("rsa-sha2-512",
                                                                    "rsa-sha2-256"):
            chosen = hashes.SHA512() if sig_type == "rsa-sha2-512" else hashes.SHA256()
            public.verify(raw, data, padding.PKCS1v15(), chosen)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            name, digest_cls = _ecdsa(public.curve.name)
            if sig_type != name:
                raise SignatureError(f"signature type {sig_type} does not match key {name}")
            parts = _Reader(raw)
            der = encode_dss_signature(parts.mpint(), parts.mpint())
            public.verify(der, data, ec.ECDSA(digest_cls()))
        else:
            raise SignatureError(f"signature type {sig_type} does not match key {key_type}")
    except InvalidSignature:
        raise SignatureError("the signature does not match the signed file (it was changed "
                             "after signing, or signed by another key)") from None
    return Verified(key_type, base64.b64encode(blob).decode(), fingerprint(blob))


def allowed_signer(verified: Verified, allowed_signers: str,
                   namespace: str = NAMESPACE) -> str | None:
    """The principal(s) of the allowed-signers line (ssh-keygen(1) ALLOWED SIGNERS) whose key
    is the signer's and whose `namespaces=` option, if any, admits `namespace`; else None."""
    for raw in allowed_signers.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = _split_allowed(line)
        if len(fields) < 3:
            continue
        principals, rest = fields[0], fields[1:]
        options = rest[0] if not rest[0].startswith(("ssh-", "ecdsa-", "sk-")) else ""
        key_fields = rest[1:] if options else rest
        if len(key_fields) < 2 or key_fields[1] != verified.public_key_b64:
            continue
        allowed_ns = _option(options, "namespaces")
        if allowed_ns is not None and namespace not in allowed_ns.split(","):
            continue
        return principals
    return None


def _split_allowed(line: str) -> list[str]:
    fields: list[str] = []
    current, quoted = "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch in " \t" and not quoted:
            if current:
                fields.append(current)
            current = ""
            continue
        current += ch
    if current:
        fields.append(current)
    return fields


def _option(options: str, name: str) -> str | None:
    for part in _split_options(options):
        key, _, value = part.partition("=")
        if key.lower() == name:
            return value.strip('"')
    return None


def _split_options(options: str) -> list[str]:
    parts, current, quoted = [], "", False
    for ch in options:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
            continue
        current += ch
    if current:
        parts.append(current)
    return parts
