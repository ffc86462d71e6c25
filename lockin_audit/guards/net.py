"""Which addresses an answer may send us to (SECURITY.md).

A URL or a nameserver that comes from an answer (an RDAP `related` link, a redirect, a
bootstrap entry, a DNS referral) is untrusted: it is followed only to a public address.
`address_problem()` names why an address is not public: loopback, private (RFC 1918,
fc00::/7), link-local (169.254.0.0/16 — the cloud metadata services — fe80::/10),
shared/CGNAT (100.64.0.0/10), multicast, unspecified, reserved and documentation ranges,
and IPv4 written inside IPv6 (::ffff:127.0.0.1, 64:ff9b::/96) by the IPv4 it carries.

`AllowList` is the user's explicit exception (`scan.allow_hosts`): host names, addresses
or networks that answers may name although they are not public, and the hosts of the
endpoints configured in the audit file (which the user chose; tests' local servers are
configured endpoints or listed here, never a blanket exception).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(address: str | IPAddress) -> str | None:
    """None for a public unicast address, else why it is not one ("a loopback address")."""
    try:
        ip = ipaddress.ip_address(str(address).strip("[]").split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            problem = address_problem(inner)
            return f"{problem} (inside an IPv6 address)" if problem else None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (the range of cloud metadata services)"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a shared (CGNAT) address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved or not ip.is_global:
        return "a reserved or non-global address"
    return None


def is_public(address: str | IPAddress) -> bool:
    return address_problem(address) is None


Origin = tuple[str, str, int]  # (scheme, host, port), host lowercase without brackets


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, the port filled in; None otherwise."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or (443 if scheme == "https"
                                                                else 80)


@dataclass(frozen=True)
class AllowList:
    """Hosts, networks and origins that answers may point at although they are not public
    (and over plain http). Host names match exactly (case-insensitive, no wildcards); an
    entry written as a URL (`http://127.0.0.1:8080`) allows that one origin only."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default_factory=tuple)
    origins: frozenset[Origin] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[str]) -> AllowList:
        hosts: set[str] = set()
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        origins: set[Origin] = set()
        for raw in entries:
            entry = str(raw).strip().lower()
            if not entry:
                continue
            if "://" in entry:
                found = origin_of(entry)
                if found is not None:
                    origins.add(found)
                continue
            entry = entry.strip("[]")
            try:
                nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(nets), frozenset(origins))

    def with_entries(self, entries: Iterable[str]) -> AllowList:
        more = AllowList.of(entries)
        return AllowList(self.hosts | more.hosts, self.networks + more.networks,
                         self.origins | more.origins)

    def allows_url(self, url: str) -> bool:
        """The URL's origin is listed, or its host (any port, either scheme)."""
        found = origin_of(url)
        if found is None:
            return False
        return found in self.origins or self.allows_host(found[1])

    def allows_host(self, host: str) -> bool:
        host = host.strip("[]").lower().rstrip(".")
        if host in self.hosts:
            return True
        return self.allows_address(host)

    def allows_address(self, address: str | IPAddress) -> bool:
        try:
            ip = ipaddress.ip_address(str(address).strip("[]").split("%", 1)[0])
        except ValueError:
            return False
        return str(ip) in self.hosts or any(ip in n for n in self.networks
                                            if n.version == ip.version)

    def __bool__(self) -> bool:
        return bool(self.hosts or self.networks or self.origins)


__all__ = ["AllowList", "Origin", "address_problem", "is_public", "origin_of"]
