"""A lean DNS-over-UDP transport for the DNS source: queries built as bytes, answers read
straight from the wire (RFC 1035 section 4), a few sockets per resolver shared by every
query and matched by message id and question.

Why: a scan asks ~40 questions per domain; building each query as a dnspython message,
opening a socket per query and parsing every section of every answer into objects cost
most of the scan's CPU. Here only the answer section is read; the common types (A, AAAA,
NS, CNAME, PTR, MX, TXT) are decoded directly, the others (SOA, CAA, DS, DNSKEY ...) by
dnspython's rdata parser, to the same text the source used before. Anything that does
not parse is a `dns.exception.FormError` (the source reports it as a malformed answer).

Spoofing: each socket has its own random source port, ids are random, and an answer is
accepted only from the server asked, with the id and the question echoed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import struct
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

A, NS, CNAME, PTR, MX, TXT, AAAA = 1, 2, 5, 12, 15, 16, 28
_OPT = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)  # EDNS0, 1232-byte UDP payload
_PLAIN_BYTES = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*"
SOCKETS_PER_SERVER = 4


def qname_wire(name: str) -> bytes:
    text = name.rstrip(".")
    if "\\" in text or not text.isascii():
        wire = dns.name.from_text(name).to_wire()  # escapes, IDNA
        assert wire is not None
        return bytes(wire)
    out = bytearray()
    for label in text.split(".") if text else ():
        raw = label.encode("ascii")
        if not raw or len(raw) > 63:
            raise ValueError(f"bad label in {name!r}")
        out.append(len(raw))
        out += raw
    out.append(0)
    return bytes(out)


def build_query(qid: int, name: str, rdtype: int, recursive: bool = True) -> bytes:
    """A query with EDNS0: recursive (RD set, like a stub resolver's) for a resolver, or
    not (RD clear) for an authoritative server asked iteratively."""
    return (struct.pack("!HHHHHH", qid, 0x0100 if recursive else 0, 1, 0, 0, 1)
            + qname_wire(name) + struct.pack("!HH", rdtype, 1) + _OPT)


def read_name(wire: bytes, off: int) -> tuple[str, int]:
    """The name at `off` (compression followed) as lowercase text without the trailing
    dot, and the offset after it."""
    labels: list[str] = []
    end = -1
    jumps = 0
    while True:
        length = wire[off]
        if length == 0:
            off += 1
            break
        if length & 0xC0 == 0xC0:
            if end < 0:
                end = off + 2
            off = ((length & 0x3F) << 8) | wire[off + 1]
            jumps += 1
            if jumps > 64:
                raise dns.exception.FormError("compression loop")
            continue
        if length & 0xC0:
            raise dns.exception.FormError("bad label type")
        raw = wire[off + 1:off + 1 + length]
        if len(raw) != length:
            raise dns.exception.FormError("truncated label")
        if not raw.translate(None, _PLAIN_BYTES):  # only letters, digits, - _ *
            labels.append(raw.decode("ascii").lower())
        else:  # escape as dnspython writes it
            labels.append(dns.name.Name([raw]).to_text(omit_final_dot=True).lower())
        off += 1 + length
    return ".".join(labels), (end if end >= 0 else off)


def _rdata_text(wire: bytes, rdtype: int, off: int, rdlen: int) -> str:
    if rdtype == A and rdlen == 4:
        return ".".join(str(b) for b in wire[off:off + 4])
    if rdtype == AAAA and rdlen == 16:
        return str(ipaddress.IPv6Address(wire[off:off + 16]))
    if rdtype in (NS, CNAME, PTR):
        return read_name(wire, off)[0]
    if rdtype == MX:
        return f"{struct.unpack_from('!H', wire, off)[0]} {read_name(wire, off + 2)[0]}"
    if rdtype == TXT:
        parts, pos, stop = [], off, off + rdlen
        while pos < stop:
            n = wire[pos]
            parts.append(wire[pos + 1:pos + 1 + n])
            pos += 1 + n
        if pos != stop:
            raise dns.exception.FormError("bad TXT rdata")
        return b"".join(parts).decode("utf-8", "replace")
    rd = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.RdataType.make(rdtype), wire,
                             off, rdlen)
    if rdtype == dns.rdatatype.CAA:
        return (f"{rd.flags} {rd.tag.decode('ascii', 'replace')} "  # type: ignore[attr-defined]
                f"{rd.value.decode('utf-8', 'replace')}")  # type: ignore[attr-defined]
    return str(rd.to_text())


class Response:
    """What the source needs of an answer: rcode, TC and the answer section's records
    as (owner, type, text)."""

    __slots__ = ("aa", "additional", "answer", "authority", "qname", "qtype", "rcode", "tc")

    def __init__(self, rcode: int, tc: bool, qname: str, qtype: int,
                 answer: list[tuple[str, int, str]],
                 authority: list[tuple[str, int, str]] | None = None,
                 additional: list[tuple[str, int, str]] | None = None,
                 aa: bool = False) -> None:
        self.rcode, self.tc, self.qname, self.qtype, self.answer = rcode, tc, qname, qtype, answer
        self.authority = authority or []
        self.additional = additional or []
        self.aa = aa


def parse_header(wire: bytes) -> tuple[int, str, int, int]:
    """(id, question name, question type, offset after the question); FormError when
    the message is not a DNS answer with one question."""
    try:
        qid, flags, qd = struct.unpack_from("!HHH", wire, 0)
        if not flags & 0x8000 or qd != 1:
            raise dns.exception.FormError("not an answer to one question")
        name, off = read_name(wire, 12)
        qtype = struct.unpack_from("!H", wire, off)[0]
    except (IndexError, struct.error) as exc:
        raise dns.exception.FormError(f"truncated message: {exc}") from None
    return qid, name, qtype, off + 4


_WANTED_EXTRA = frozenset({A, AAAA, NS, dns.rdatatype.SOA})


def parse_response(wire: bytes, sections: int = 1) -> Response:
    """The answer section (and with sections=3 the authority and additional sections'
    NS, SOA, A and AAAA records: referrals and their glue)."""
    _, qname, qtype, off = parse_header(wire)
    try:
        flags, _, an, ns, ar = struct.unpack_from("!HHHHH", wire, 2)
        found: list[list[tuple[str, int, str]]] = [[], [], []]
        for index, count in enumerate((an, ns, ar)[:sections]):
            for _ in range(count):
                owner, off = read_name(wire, off)
                rdtype, _, _, rdlen = struct.unpack_from("!HHIH", wire, off)
                off += 10
                if off + rdlen > len(wire):
                    raise dns.exception.FormError("rdata beyond the message")
                if index == 0 or rdtype in _WANTED_EXTRA:
                    found[index].append((owner, rdtype,
                                         _rdata_text(wire, rdtype, off, rdlen)))
                off += rdlen
    except (IndexError, struct.error, ValueError, UnicodeError) as exc:
        raise dns.exception.FormError(f"malformed answer: {exc}") from None
    return Response(flags & 0xF, bool(flags & 0x0200), qname, qtype, found[0], found[1],
                    found[2], bool(flags & 0x0400))


_ANSWER_HEAD = b"\x00\x00\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00"  # QR set, 1 question


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        # query id -> (the question section as sent, lowercased; the answer's future)
        self.pending: dict[int, tuple[bytes, asyncio.Future[bytes]]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if len(data) < 2:
            return
        entry = self.pending.get(int.from_bytes(data[:2], "big"))
        if entry is None:
            return
        question, fut = entry
        if len(data) >= 12 and data[2] & 0x80 and data[4:6] == b"\x00\x01" and \
                data[12:12 + len(question)].lower() == question:
            # our question, byte for byte (case aside): no need to parse it again
            if not fut.done():
                fut.set_result(data)
            return
        try:
            _, name, rtype, _ = parse_header(data)
        except dns.exception.FormError as exc:
            if not fut.done():
                fut.set_exception(exc)  # our id, but not DNS: a malformed answer
            return
        _, qname, qtype, _ = parse_header(_ANSWER_HEAD + question)
        if (name, rtype) != (qname, qtype):
            return  # not the answer to our question: keep waiting
        if not fut.done():
            fut.set_result(data)

    def error_received(self, exc: Exception) -> None:
        for _, fut in self.pending.values():
            if not fut.done():
                fut.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _expire(fut: asyncio.Future[bytes], timeout_s: float) -> None:
    if not fut.done():
        fut.set_exception(dns.exception.Timeout(timeout=timeout_s))


class UdpChannel:
    """A few connected UDP sockets to one server, shared by every query to it."""

    def __init__(self, host: str, port: int, sockets: int = SOCKETS_PER_SERVER) -> None:
        self.server = (host, port)
        self.size = sockets
        self._sockets: list[_Socket] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None
        self._next = 0

    async def _socket(self) -> _Socket:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (a new scan): new sockets
            self._loop, self._sockets, self._opening = loop, [], asyncio.Lock()
        assert self._opening is not None
        if len(self._sockets) < self.size:
            async with self._opening:
                while len(self._sockets) < self.size:
                    _, proto = await loop.create_datagram_endpoint(
                        lambda: _Socket(self.server), remote_addr=self.server)
                    self._sockets.append(proto)
        self._next = (self._next + 1) % self.size
        sock = self._sockets[self._next]
        if sock.transport is None or sock.transport.is_closing():
            _, sock = await loop.create_datagram_endpoint(
                lambda: _Socket(self.server), remote_addr=self.server)
            self._sockets[self._next] = sock
        return sock

    async def query(self, name: str, rdtype: int, timeout_s: float,
                    recursive: bool = True) -> Response:
        sock = await self._socket()
        loop = asyncio.get_running_loop()
        qid = secrets.randbits(16)
        while qid in sock.pending:
            qid = secrets.randbits(16)
        wire = build_query(qid, name, rdtype, recursive)
        fut: asyncio.Future[bytes] = loop.create_future()
        sock.pending[qid] = (wire[12:-len(_OPT)].lower(), fut)
        # a timer, not wait_for: no extra task per query
        timer = loop.call_later(timeout_s, _expire, fut, timeout_s)
        try:
            assert sock.transport is not None
            sock.transport.sendto(wire)
            data = await fut
        finally:
            timer.cancel()
            sock.pending.pop(qid, None)
        return parse_response(data, 1 if recursive else 3)

    def close(self) -> None:
        for sock in self._sockets:
            if sock.transport is not None:
                sock.transport.close()
        self._sockets = []
