"""A small authoritative DNS server for the demo when Knot is not installed.

The tests always use a real Knot server; the demo prefers Knot too and falls back to this
server so that `pip install '.[demo]' && lockin-audit demo` works on a machine without the
Debian package. It serves standard zone files (the same files Knot would load) over UDP
and TCP on 127.0.0.1, answers authoritatively (AA), follows CNAMEs inside its zones,
answers NXDOMAIN and NODATA with the zone's SOA, and truncates oversized UDP answers
(TC) so that clients retry over TCP, as a real server does.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

MAX_CNAME_CHAIN = 8


class ZoneSet:
    def __init__(self, zone_files: dict[str, Path]) -> None:
        self.zones: list[dns.zone.Zone] = [
            dns.zone.from_file(str(path), origin=origin, relativize=False)
            for origin, path in zone_files.items()]

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        best: dns.zone.Zone | None = None
        for zone in self.zones:
            assert zone.origin is not None
            if qname.is_subdomain(zone.origin) and (
                    best is None or zone.origin.is_subdomain(best.origin)):  # type: ignore[arg-type]
                best = zone
        return best

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        response.flags &= ~dns.flags.RA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        qname, qtype = question.name, question.rdtype
        for _ in range(MAX_CNAME_CHAIN):
            zone = self.zone_for(qname)
            if zone is None:
                if not response.answer:
                    response.set_rcode(dns.rcode.REFUSED)
                    response.flags &= ~dns.flags.AA
                return response
            node = zone.get_node(qname)
            if node is None:
                if not response.answer:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                self._add_soa(zone, response)
                return response
            rdataset = node.get_rdataset(dns.rdataclass.IN, qtype)
            if rdataset is not None:
                response.answer.append(_rrset(qname, rdataset))
                return response
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cname is None or qtype == dns.rdatatype.CNAME:
                self._add_soa(zone, response)  # NODATA
                return response
            response.answer.append(_rrset(qname, cname))
            qname = cname[0].target  # type: ignore[attr-defined]
        return response

    @staticmethod
    def _add_soa(zone: dns.zone.Zone, response: dns.message.Message) -> None:
        assert zone.origin is not None
        soa = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)
        if soa is not None:
            response.authority.append(_rrset(zone.origin, soa))


def _rrset(name: dns.name.Name, rdataset: object) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdataset.rdtype)  # type: ignore[attr-defined]
    rrset.update(rdataset)  # type: ignore[arg-type]
    return rrset


def _wire(zones: ZoneSet, data: bytes, max_size: int | None) -> bytes | None:
    try:
        query = dns.message.from_wire(data)
    except dns.exception.DNSException:
        return None
    response = zones.answer(query)
    if max_size is None:
        return response.to_wire()
    limit = max(512, query.payload if query.edns >= 0 else 512)
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        response.answer.clear()
        response.authority.clear()
        response.flags |= dns.flags.TC
        return response.to_wire()


def serve(zone_files: dict[str, Path]) -> tuple[int, Callable[[], None]]:
    """Serve the zones on 127.0.0.1 (UDP and TCP on the same free port); returns
    (port, stop)."""
    zones = ZoneSet(zone_files)
    return serve_wire(lambda data, tcp: _wire(zones, data, max_size=None if tcp else 512))


def serve_wire(answer: Callable[[bytes, bool], bytes | None]) -> tuple[int, Callable[[], None]]:
    """A DNS listener on 127.0.0.1, UDP and TCP on one free port: `answer(query_wire,
    over_tcp)` returns the response wire (None: stay silent). Returns (port, stop)."""

    class Udp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            wire = answer(data, False)
            if wire is not None:
                sock.sendto(wire, self.client_address)

    class Tcp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            conn.settimeout(5)
            try:
                while True:
                    head = conn.recv(2)
                    if len(head) < 2:
                        return
                    (length,) = struct.unpack("!H", head)
                    data = b""
                    while len(data) < length:
                        chunk = conn.recv(length - len(data))
                        if not chunk:
                            return
                        data += chunk
                    wire = answer(data, True)
                    if wire is None:
                        return
                    conn.sendall(struct.pack("!H", len(wire)) + wire)
            except OSError:
                return

    # Bind TCP on a free port, then UDP on the same number (retrying if it is taken).
    for _ in range(20):
        tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tcp)
        port = tcp.server_address[1]
        try:
            udp = socketserver.ThreadingUDPServer(("127.0.0.1", port), Udp)
            break
        except OSError:
            tcp.server_close()
    else:
        raise OSError("no free port for a local DNS server")
    tcp.daemon_threads = udp.daemon_threads = True
    for server in (tcp, udp):
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        for server in (tcp, udp):
            server.shutdown()
            server.server_close()

    return port, stop
