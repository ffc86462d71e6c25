"""The demo estate's DNS (see DEMO_ESTATE.md), served by a real Knot server.

Zones: acmedental.com (provider DNS, mail filtering, hosting, CAA pinned to an ACME
account, signed by Knot so DNSKEY answers are real; the DS record the .com registry would
hold is put in the zone data, since the demo has no .com zone to carry it),
acme-dental.net (Cloudflare DNS), acmesmiles.com (Route 53, client-held web),
acmedental.co.uk (client DNS), acmedental.de (minimal, provider DNS), bobsit.example and
two reverse zones. When knotd is not installed the demo falls back to the small
authoritative server in `mini_dns` (same zone files; no automatic signing, so a static
DNSKEY stands in).
"""

from __future__ import annotations

from pathlib import Path

from lockin_audit.demo import DemoPart, DemoUnavailable

DOMAINS = ("acmedental.com", "acme-dental.net", "acmesmiles.com", "acmedental.co.uk",
           "acmedental.de")
SIGNED = ("acmedental.com",)


def _zone(origin: str, ns: tuple[str, ...], body: str,
          mname: str = "ns1.bobsit.example.", rname: str = "hostmaster.bobsit.example.") -> str:
    head = [f"$ORIGIN {origin}.", "$TTL 300",
            f"@ SOA {mname} {rname} 2026112301 3600 900 1209600 300"]
    head += [f"@ NS {n}." for n in ns]
    return "\n".join(head) + "\n" + body.strip() + "\n"


BOBS_NS = ("ns1.bobsit.example", "ns2.bobsit.example")
MS_DKIM = "_domainkey.acmedentalllc.onmicrosoft.com."
# The DS the .com registry would publish for acmedental.com (in a real delegation it lives
# in the parent zone; the demo has no .com zone, so the child zone carries it).
DEMO_DS = "@ DS 31415 13 2 " + "5F" * 32
STATIC_DNSKEY = ("@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
                 "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==")

DKIM_KEY = '"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"'
ONMICROSOFT_KEYS = "\n".join(
    f"{s}-acmedental-com._domainkey.acmedentalllc TXT {DKIM_KEY}" for s in ("selector1",
                                                                            "selector2"))

ZONES: dict[str, str] = {
    "acmedental.com": _zone("acmedental.com", BOBS_NS, f"""
@ A 203.0.113.10
@ MX 10 mx1.filter.bobsit.example.
@ TXT "v=spf1 include:spf.protection.outlook.com include:_spf.bobsit.example -all"
@ TXT "MS=ms31415926"
@ TXT "google-site-verification=AcmeDentalGoogleToken1234567890abcdefgh"
@ TXT "<script>alert(1)</script>"
@ TXT "=HYPERLINK(\\"http://evil.example\\",\\"click\\")"
@ CAA 0 issue "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/424242"
@ CAA 0 iodef "mailto:security@bobsit.example"
{DEMO_DS}
www CNAME web1.bobsit.example.
autodiscover CNAME autodiscover.outlook.com.
_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@bobsit.example"
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@bobsit.example"
selector1._domainkey CNAME selector1-acmedental-com.{MS_DKIM}
selector2._domainkey CNAME selector2-acmedental-com.{MS_DKIM}
ns1 A 198.51.100.53
"""),
    "acme-dental.net": _zone("acme-dental.net", ("ada.ns.cloudflare.com",
                                                 "bob.ns.cloudflare.com"), """
@ MX 0 acme-dental-net.mail.protection.outlook.com.
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@acmedental.com"
www A 192.0.2.80
""", mname="ada.ns.cloudflare.com.", rname="dns.cloudflare.com."),
    "acmesmiles.com": _zone("acmesmiles.com", ("ns-1.awsdns-01.org",
                                               "ns-2.awsdns-02.com"), """
@ A 198.51.100.80
@ MX 0 acmesmiles-com.mail.protection.outlook.com.
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@acmedental.com"
www CNAME acmesmiles.com.
""", mname="ns-1.awsdns-01.org.", rname="awsdns-hostmaster.amazon.com."),
    "acmedental.co.uk": _zone("acmedental.co.uk", ("ns1.acmedental.com",), """
@ MX 10 mail.acmedental.co.uk.
mail A 198.51.100.25
""", mname="ns1.acmedental.com.", rname="it.acmedental.com."),
    "acmedental.de": _zone("acmedental.de", ("ns1.bobsit.example",), """
@ A 203.0.113.10
"""),
    "bobsit.example": _zone("bobsit.example", BOBS_NS, """
@ A 203.0.113.5
ns1 A 203.0.113.53
ns2 A 203.0.113.54
web1 A 203.0.113.10
mx1.filter A 203.0.113.25
_spf TXT "v=spf1 ip4:203.0.113.0/24 -all"
acmedental.com._report._dmarc TXT "v=DMARC1"
"""),
    # Exchange Online Protection's MX hosts, so that the demo's authoritative-only resolver
    # answers them as a recursive one would (their addresses are Microsoft's, in
    # 52.100.0.0/14: https://learn.microsoft.com/microsoft-365/enterprise/urls-and-ip-address-ranges).
    "mail.protection.outlook.com": _zone("mail.protection.outlook.com",
                                         ("ns1-proddns.glbdns.o365filtering.com",), """
acme-dental-net A 52.101.68.10
acmesmiles-com A 52.101.68.11
""", mname="ns1-proddns.glbdns.o365filtering.com.", rname="hostmaster.microsoft.com."),
    # Microsoft 365 publishes each tenant's DKIM keys under <tenant>.onmicrosoft.com, the
    # target of the selector1/selector2 CNAMEs (learn.microsoft.com: "How to use DKIM for
    # email in your custom domain"), so the demo's resolver answers the whole chain.
    "onmicrosoft.com": _zone("onmicrosoft.com", ("ns1-proddns.glbdns.o365filtering.com",),
                             ONMICROSOFT_KEYS, mname="ns1-proddns.glbdns.o365filtering.com.",
                             rname="hostmaster.microsoft.com."),
    "113.0.203.in-addr.arpa": _zone("113.0.203.in-addr.arpa", ("ns1.bobsit.example",), """
10 PTR web1.bobsit.example.
25 PTR mx1.filter.bobsit.example.
"""),
    "100.51.198.in-addr.arpa": _zone("100.51.198.in-addr.arpa", ("ns1.acmedental.com",), """
25 PTR mail.acmedental.co.uk.
80 PTR acmesmiles.com.
""", mname="ns1.acmedental.com.", rname="it.acmedental.com."),
}


def _fragment(address: str) -> dict[str, object]:
    return {"domains": list(DOMAINS), "dns": {"resolvers": [address], "timeout_s": 2}}


def start(workdir: Path) -> DemoPart:
    from lockin_audit.demo.knot import KnotServer, KnotUnavailable, knotd_path

    dns_dir = workdir / "dns"
    # 198.51.100.0/24 is the client's own (provider-independent) block in the demo estate.
    client = {"domains": list(DOMAINS), "email_domains": ["acmedental.com"],
              "ip_ranges": ["198.51.100.0/24"]}
    if knotd_path() is not None:
        try:
            server = KnotServer(dns_dir, dict(ZONES), SIGNED).start()
        except KnotUnavailable as exc:
            raise DemoUnavailable(f"the demo DNS server (Knot) did not start: {exc}") from None
        return DemoPart(scan=_fragment(server.address), client=client, stop=server.stop)
    return _start_fallback(dns_dir, client)


def _start_fallback(dns_dir: Path, client: dict[str, list[str]]) -> DemoPart:
    try:
        from lockin_audit.demo import mini_dns
    except ImportError as exc:
        raise DemoUnavailable("the demo DNS needs Knot DNS (apt-get install knot) or "
                              f"dnspython ({exc})") from None
    dns_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for origin, text in ZONES.items():
        if origin in SIGNED:
            text += STATIC_DNSKEY + "\n"
        path = dns_dir / f"{origin}.zone"
        path.write_text(text)
        files[origin] = path
    port, stop = mini_dns.serve(files)
    return DemoPart(scan=_fragment(f"127.0.0.1:{port}"), client=client, stop=stop)
