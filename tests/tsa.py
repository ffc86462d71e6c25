"""A local RFC 3161 time-stamping authority for the evidence tests.

It answers `POST` with `Content-Type: application/timestamp-query` (RFC 3161 section 3.4)
by a TimeStampResp (section 2.4.2): status granted and a TimeStampToken, a CMS SignedData
(RFC 5652 section 5) over a TSTInfo (policy, the request's imprint and nonce, a serial, the
time), signed with signed attributes content-type and message-digest by a certificate whose
only extended key usage is id-kp-timeStamping, marked critical (section 2.3). It omits the
ESS signing-certificate attribute (RFC 5816), which our verifier does not rely on.
`mode="refuse"` answers status rejection (badAlg) instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


class LocalTsa:
    def __init__(self, mode: str = "grant") -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        self.mode = mode
        self.requests = 0
        now = dt.datetime.now(dt.UTC)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA Root")])
        self.ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                        .public_key(self.ca_key.public_key()).serial_number(1)
                        .not_valid_before(now - dt.timedelta(days=1))
                        .not_valid_after(now + dt.timedelta(days=30))
                        .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
                        .sign(self.ca_key, hashes.SHA256()))
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Time Stamping Unit")])
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name)
                     .public_key(self.key.public_key()).serial_number(2)
                     .not_valid_before(now - dt.timedelta(days=1))
                     .not_valid_after(now + dt.timedelta(days=30))
                     .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                                    critical=True)
                     .sign(self.ca_key, hashes.SHA256()))
        self.ca_pem = self.ca_cert.public_bytes(serialization.Encoding.PEM)
        self._server: ThreadingHTTPServer | None = None

    def answer(self, body: bytes) -> bytes:
        from asn1crypto import algos, cms, core, tsp, x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.requests += 1
        if self.mode == "refuse":
            # TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken OPTIONAL }
            # (asn1crypto does not mark the token optional, so the SEQUENCE is built here)
            status = tsp.PKIStatusInfo({"status": "rejection", "status_string": ["unsupported"],
                                        "fail_info": {"bad_alg"}}).dump()
            return core.Sequence.load(b"\x30" + _der_length(len(status)) + status).dump()
        req = tsp.TimeStampReq.load(body)
        tst = tsp.TSTInfo({
            "version": "v1",
            "policy": "1.3.6.1.4.1.99999.1",
            "message_imprint": req["message_imprint"],
            "serial_number": self.requests,
            "gen_time": dt.datetime.now(dt.UTC).replace(microsecond=0),
            "nonce": req["nonce"].native,
        })
        tst_der = tst.dump()
        cert = x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))
        attrs = cms.CMSAttributes([
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]},
        ])
        signature = self.key.sign(b"\x31" + attrs.dump()[1:], ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo({
            "version": "v1",
            "sid": {"issuer_and_serial_number": {"issuer": cert.issuer,
                                                 "serial_number": cert.serial_number}},
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm(
                {"algorithm": "sha256_ecdsa"}),
            "signature": signature,
        })
        signed = cms.SignedData({
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info",
                                   "content": core.ParsableOctetString(tst_der)},
            "certificates": [cert],
            "signer_infos": [signer],
        })
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed})
        return tsp.TimeStampResp({"status": {"status": "granted"},
                                  "time_stamp_token": token}).dump()

    def start(self) -> str:
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_response(415)
                    self.end_headers()
                    return
                out = tsa.answer(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/tsa"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
