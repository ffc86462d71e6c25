"""The lean DNS wire reader against dnspython's own rendering of the same answers
(messages built and compressed by dnspython, RFC 1035 section 4.1)."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.rdatatype
import dns.rrset
import pytest

from lockin_audit.sources.dns import _rdata_text
from lockin_audit.sources.dns_wire import build_query, parse_header, parse_response

RECORDS = [
    ("A", ["192.0.2.1", "203.0.113.254"]),
    ("AAAA", ["2001:db8::1", "2001:db8:0:0:1::"]),
    ("NS", ["ns1.Example.net.", "ns2.example.net."]),
    ("MX", ["10 mx1.example.net.", "20 mx2.example.com."]),
    ("TXT", ['"v=spf1 include:_spf.example.net -all"', '"part one" "part two"',
             '"caf\\195\\169 <script>"']),
    ("CAA", ['0 issue "letsencrypt.org; accounturi=https://x.example/acct/1"',
             '128 iodef "mailto:sec@example.net"']),
    ("SOA", ["ns1.example.net. john\\.doe.example.net. 1 3600 600 86400 300"]),
    ("DS", ["31415 13 2 " + "5F" * 32]),
    ("PTR", ["web1.example.net."]),
]


def _answer(name: str, rdtype: str, values: list[str]) -> bytes:
    q = dns.message.make_query(name, rdtype, use_edns=0)
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text(name, 300, "IN", rdtype, *values))
    return bytes(r.to_wire())


@pytest.mark.parametrize(("rdtype", "values"), RECORDS)
def test_records_read_as_dnspython_renders_them(rdtype: str, values: list[str]) -> None:
    wire = _answer("Example.COM.", rdtype, values)
    lean = parse_response(wire)
    expected = sorted(_rdata_text(rd) for rr in dns.message.from_wire(wire).answer
                      for rd in rr)
    assert lean.qname == "example.com" and lean.rcode == 0
    assert sorted(text for _, _, text in lean.answer) == expected


def test_cname_chain_and_flags() -> None:
    q = dns.message.make_query("www.example.com.", "A")
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text("www.example.com.", 60, "IN", "CNAME",
                                        "web.example.net."))
    r.answer.append(dns.rrset.from_text("web.example.net.", 60, "IN", "A", "192.0.2.8"))
    r.flags |= dns.flags.TC
    lean = parse_response(r.to_wire())
    assert lean.tc and lean.answer == [("www.example.com", 5, "web.example.net"),
                                       ("web.example.net", 1, "192.0.2.8")]


def test_query_is_what_dnspython_reads() -> None:
    q = dns.message.from_wire(build_query(4660, "_dmarc.example.com", 16))
    assert q.id == 4660 and q.question[0].name.to_text() == "_dmarc.example.com."
    assert q.question[0].rdtype == dns.rdatatype.TXT and q.edns == 0
    assert q.payload == 1232 and q.flags & dns.flags.RD


@pytest.mark.parametrize("wire", [
    b"\x12\x34\x81\x80\x00\x01\xff\xff not dns",  # the fault server's garbage
    b"\x12\x34",
    b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\xc0\x0c",  # a compression loop
])
def test_malformed_answers_raise_formerror(wire: bytes) -> None:
    with pytest.raises(dns.exception.FormError):
        parse_response(wire)


def test_a_query_is_not_an_answer() -> None:
    with pytest.raises(dns.exception.FormError):
        parse_header(build_query(1, "example.com", 1))
