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
