"""A small fault-injecting DNS server for the tests and the benchmark.

A label of the query name picks the fault (so `_dmarc.servfail.example` fails too): `servfail.` answers SERVFAIL,
`refused.` REFUSED, `timeout.` never answers, `garbage.` sends bytes that are not a DNS
message, `truncated.` sets TC over UDP and answers fully over TCP. Any other name is
answered NXDOMAIN. An optional delay is added to every answer (latency injection).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

FAULTS = frozenset({"timeout", "garbage", "servfail", "refused", "truncated"})


def _answer(data: bytes, tcp: bool) -> bytes | None:
    query = dns.message.from_wire(data)
    question = query.question[0]
    labels = [x.decode().lower() for x in question.name.labels]
    label = next((x for x in labels if x in FAULTS), "")
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    if label == "timeout":
        return None
    if label == "garbage":
        return query.id.to_bytes(2, "big") + b"\x81\x80\x00\x01\xff\xff not dns"
    if label == "servfail":
        response.set_rcode(dns.rcode.SERVFAIL)
    elif label == "refused":
        response.set_rcode(dns.rcode.REFUSED)
    elif label == "truncated":
        if tcp:
            texts = [f'"record {n} {"x" * 60}"' for n in range(3)]
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN",
                                                       question.rdtype if question.rdtype ==
                                                       dns.rdatatype.TXT else "TXT", *texts))
        else:
            response.flags |= dns.flags.TC
    else:
        response.set_rcode(dns.rcode.NXDOMAIN)
    return response.to_wire()


def serve(delay_s: float = 0.0) -> tuple[int, Callable[[], None]]:
    """Serve on 127.0.0.1 (UDP and TCP, same port); returns (port, stop)."""
    from lockin_audit.demo.mini_dns import serve_wire

    def answer(data: bytes, tcp: bool) -> bytes | None:
        time.sleep(delay_s)
        return _answer(data, tcp=tcp)

    return serve_wire(answer)


# --- a fault-injecting proxy in front of a real DNS server (the fault matrix) -------------


class DnsFault:
    """Queries whose name (lowercase, no trailing dot) and type match these regular
    expressions (full match) get `fault`: servfail, refused, timeout (no answer), garbage
    (bytes that are not a DNS message) or nxdomain (an authoritative NXDOMAIN, as some
    servers answer for an empty non-terminal such as `_domainkey.<domain>` although
    names exist below it, against RFC 8020). `hits` counts them."""

    def __init__(self, name: str, rdtype: str = ".*", fault: str = "servfail") -> None:
        if fault not in (FAULTS - {"truncated"}) | {"nxdomain"}:
            raise ValueError(f"unknown fault {fault!r}")
        self.name, self.rdtype, self.fault = name, rdtype, fault
        self.hits = 0

    def matches(self, name: str, rdtype: str) -> bool:
        import re

        return bool(re.fullmatch(self.name, name) and re.fullmatch(self.rdtype, rdtype))


class DnsFaultProxy:
    """Listens on 127.0.0.1 (UDP and TCP), forwards every query unchanged to `upstream`
    ("host:port", a real server such as Knot) except those a `DnsFault` in `faults`
    matches, and records (name, type) of every query in `calls`."""

    def __init__(self, upstream: str) -> None:
        from lockin_audit.demo.mini_dns import serve_wire

        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.faults: list[DnsFault] = []
        self.calls: list[tuple[str, str]] = []
        self.port, self._stop = serve_wire(self._answer)
        self.address = f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stop()

    def _answer(self, data: bytes, tcp: bool) -> bytes | None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.calls.append((name, rdtype))
        for rule in list(self.faults):
            if rule.matches(name, rdtype):
                rule.hits += 1
                return _fault_answer(query, rule.fault)
        return _forward(data, self.upstream, tcp)


def _fault_answer(query: dns.message.Message, fault: str) -> bytes | None:
    """The fault's answer to `query` (its own question and id)."""
    if fault == "timeout":
        return None
    if fault == "garbage":
        return query.id.to_bytes(2, "big") + b"\x81\x80\x00\x01\xff\xff not dns"
    response = dns.message.make_response(query)
    if fault == "nxdomain":
        response.flags |= dns.flags.AA
        response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()
    response.set_rcode(dns.rcode.SERVFAIL if fault == "servfail" else dns.rcode.REFUSED)
    return response.to_wire()


def _forward(data: bytes, upstream: tuple[str, int], tcp: bool) -> bytes | None:
    import socket
    import struct

    try:
        if tcp:
            with socket.create_connection(upstream, timeout=3) as conn:
                conn.sendall(struct.pack("!H", len(data)) + data)
                head = conn.recv(2)
                (length,) = struct.unpack("!H", head)
                wire = b""
                while len(wire) < length:
                    chunk = conn.recv(length - len(wire))
                    if not chunk:
                        break
                    wire += chunk
                return wire
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(3)
            sock.sendto(data, upstream)
            return sock.recv(65535)
    except OSError:
        return None
