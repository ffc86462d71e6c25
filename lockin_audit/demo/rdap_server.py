"""A local RDAP service in the shapes of the real registries (for the demo and tests).

It serves, under one base URL: the IANA bootstrap files (`/bootstrap/dns.json`,
`ipv4.json`, `ipv6.json`, `asn.json`) pointing back at itself; registry answers per TLD
(`/<tld>/domain/<name>`), registrar answers (`/registrar/domain/<name>`), and IP network
answers per RIR (`/<rir>/ip/<address or prefix>`, the most specific network containing
the query, as RFC 9082 asks). Its `http` is the LocalHttpServer underneath, where the
tests plug their hooks (lockin_audit.demo.local_http).
"""

from __future__ import annotations

import ipaddress
import json
import time
from dataclasses import dataclass, field
from typing import Any

from lockin_audit.demo.local_http import LocalHttpServer, Reply


@dataclass
class RdapData:
    tlds: dict[str, dict[str, Any]] = field(default_factory=dict)  # tld -> name -> object
    registrar: dict[str, Any] = field(default_factory=dict)  # name -> object
    networks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # rir -> objects


class RdapServer:
    def __init__(self, data: RdapData) -> None:
        self.data = data
        self.latency_s = 0.0  # added to every answer (the benchmark sets it)
        self.http = LocalHttpServer(self._reply)
        self.url = self.http.url

    @property
    def bootstrap_url(self) -> str:
        return f"{self.url}/bootstrap/"

    def stop(self) -> None:
        self.http.stop()

    # -- answers -------------------------------------------------------------------------

    def answer(self, path: str) -> tuple[int, str, dict[str, str], str]:
        parts = path.strip("/").split("/", 2)
        if parts[0] == "bootstrap" and len(parts) == 2:
            return self._json(self.bootstrap(parts[1].removesuffix(".json")))
        if len(parts) == 3 and parts[1] == "domain":
            table = self.data.registrar if parts[0] == "registrar" else \
                self.data.tlds.get(parts[0], {})
            obj = table.get(parts[2].lower().rstrip("."))
            return self._json(obj) if obj else self._not_found(path)
        if len(parts) == 3 and parts[1] == "ip":
            obj = self.network(parts[0], parts[2])
            return self._json(obj) if obj else self._not_found(path)
        return self._not_found(path)

    def bootstrap(self, kind: str) -> dict[str, Any] | None:
        services: list[list[list[str]]] = []
        if kind == "dns":
            services = [[[tld], [f"{self.url}/{tld}/"]] for tld in self.data.tlds]
        elif kind in ("ipv4", "ipv6"):
            version = 4 if kind == "ipv4" else 6
            for rir, objects in self.data.networks.items():
                prefixes = sorted({str(n) for o in objects if _version(o) == version
                                   and o.get("parentHandle") is None
                                   for n in _ranges(o)})
                if prefixes:
                    services.append([prefixes, [f"{self.url}/{rir}/"]])
        elif kind != "asn":
            return None
        return {"version": "1.0", "publication": "2026-11-01T00:00:00Z",
                "description": f"local RDAP bootstrap ({kind})", "services": services}

    def network(self, rir: str, query: str) -> dict[str, Any] | None:
        try:
            wanted = ipaddress.ip_network(query, strict=False)
        except ValueError:
            return None
        best: tuple[int, dict[str, Any]] | None = None
        for obj in self.data.networks.get(rir, []):
            for net in _ranges(obj):
                if (net.version == wanted.version and wanted.subnet_of(net)  # type: ignore[arg-type]
                        and (best is None or net.prefixlen > best[0])):
                    best = (net.prefixlen, obj)
        return best[1] if best else None

    @staticmethod
    def _json(obj: Any) -> tuple[int, str, dict[str, str], str]:
        if obj is None:
            return 404, "application/rdap+json", {}, json.dumps(
                {"errorCode": 404, "title": "Not Found"})
        return 200, "application/rdap+json", {}, json.dumps(obj)

    @staticmethod
    def _not_found(path: str) -> tuple[int, str, dict[str, str], str]:
        return 404, "application/rdap+json", {}, json.dumps(
            {"rdapConformance": ["rdap_level_0"], "errorCode": 404, "title": "Not Found",
             "description": [f"no object at {path}"]})

    def _reply(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "GET":  # RDAP is read with GET only
            return 501, {"Content-Type": "text/plain"}, b"unsupported method"
        if self.latency_s:
            time.sleep(self.latency_s)
        status, ctype, extra, text = self.answer(path.split("?", 1)[0])
        return status, {"Content-Type": ctype, **extra}, text.encode("utf-8")


def _ranges(obj: dict[str, Any]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Every prefix an object covers (its start-end range; old forms included)."""
    from lockin_audit.sources.network import _address

    first, last = _address(obj["startAddress"]), _address(obj["endAddress"])
    return list(ipaddress.summarize_address_range(first, last))  # type: ignore[type-var]


def _cidr(obj: dict[str, Any]) -> str:
    cidrs = obj.get("cidr0_cidrs") or []
    if cidrs:
        c = cidrs[0]
        return f"{c.get('v4prefix') or c.get('v6prefix')}/{c['length']}"
    return str(_ranges(obj)[0])


def _version(obj: dict[str, Any]) -> int:
    return 6 if obj.get("ipVersion") == "v6" else 4


# ---------------------------------------------------------------------------------------
# building blocks in the registries' real shapes


def vcard(fn: str | None = None, org: str | None = None, email: str | None = None,
          kind: str = "org", address: str | None = None) -> list[Any]:
    props: list[list[Any]] = [["version", {}, "text", "4.0"]]
    if fn is not None:
        props.append(["fn", {}, "text", fn])
    if org is not None:
        props.append(["org", {}, "text", org])
    props.append(["kind", {}, "text", kind])
    if email is not None:
        props.append(["email", {}, "text", email])
    if address is not None:
        props.append(["adr", {"label": address}, "text", ["", "", "", "", "", "", ""]])
    return ["vcard", props]


def entity(roles: list[str], handle: str | None = None, **card: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"objectClassName": "entity", "roles": roles,
                           "vcardArray": vcard(**card)}
    if handle:
        obj["handle"] = handle
    return obj


def registrar_entity(name: str, iana_id: str, abuse_email: str) -> dict[str, Any]:
    return {"objectClassName": "entity", "handle": iana_id, "roles": ["registrar"],
            "publicIds": [{"type": "IANA Registrar ID", "identifier": iana_id}],
            "vcardArray": vcard(fn=name),
            "entities": [entity(["abuse"], fn="Abuse contact", email=abuse_email,
                                kind="individual")]}


def domain_object(name: str, *, entities: list[dict[str, Any]], expires: str,
                  registered: str = "2015-03-02T10:00:00Z", nameservers: list[str] = (),  # type: ignore[assignment]
                  status: list[str] = ("client transfer prohibited",),  # type: ignore[assignment]
                  signed: bool = False, related: str | None = None, self_url: str = "",
                  redacted: list[dict[str, Any]] | None = None,
                  remarks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "objectClassName": "domain",
        "rdapConformance": ["rdap_level_0", "icann_rdap_response_profile_1",
                            "icann_rdap_technical_implementation_guide_1"]
        + (["redacted"] if redacted else []),
        "handle": name.upper().replace(".", "_") + "-DOM",
        "ldhName": name.upper() if name.endswith((".com", ".net")) else name,
        "status": list(status),
        "entities": entities,
        "events": [{"eventAction": "registration", "eventDate": registered},
                   {"eventAction": "expiration", "eventDate": expires},
                   {"eventAction": "last update of RDAP database",
                    "eventDate": "2026-11-20T08:00:00Z"}],
        "nameservers": [{"objectClassName": "nameserver", "ldhName": ns.upper()}
                        for ns in nameservers],
        "secureDNS": {"delegationSigned": signed},
        "links": [{"value": self_url, "rel": "self", "href": self_url,
                   "type": "application/rdap+json"}],
        "notices": [{"title": "Terms of Use", "description": [
            "Service subject to Terms of Use."]}],
    }
    if related:
        obj["links"].append({"value": self_url, "rel": "related", "href": related,
                             "type": "application/rdap+json"})
    if redacted:
        obj["redacted"] = redacted
    if remarks:
        obj["remarks"] = remarks
    return obj


def arin_network(start: str, end: str, name: str, kind: str, org: str, handle: str,
                 parent: str | None = None, org_handle: str = "",
                 up: str | None = None) -> dict[str, Any]:
    """ARIN's shape: type DIRECT ALLOCATION / REASSIGNED / REALLOCATED, the org as a
    registrant entity, cidr0 extension."""
    prefix = ipaddress.ip_network(_cidr({"startAddress": start, "endAddress": end}))
    obj: dict[str, Any] = {
        "objectClassName": "ip network", "rdapConformance": ["nro_rdap_profile_0",
                                                             "rdap_level_0", "cidr0"],
        "handle": handle, "startAddress": start, "endAddress": end, "ipVersion": "v4",
        "name": name, "type": kind, "parentHandle": parent,
        "cidr0_cidrs": [{"v4prefix": str(prefix.network_address),
                         "length": prefix.prefixlen}],
        "entities": [entity(["registrant"], handle=org_handle or handle + "-ORG", fn=org)],
        "events": [{"eventAction": "registration", "eventDate": "2019-05-14T12:00:00-04:00"}],
        "status": ["active"], "port43": "whois.arin.net",
    }
    if up:
        obj["links"] = [{"value": up, "rel": "up", "href": up, "type": "application/rdap+json"}]
    return obj


def ripe_network(start: str, end: str, netname: str, kind: str, org: str, org_handle: str,
                 maintainer: str, parent: str | None = None) -> dict[str, Any]:
    """RIPE's shape: type ASSIGNED PI / ASSIGNED PA / ALLOCATED PA, the organisation and
    the maintainer (mnt-by) as entities."""
    return {
        "objectClassName": "ip network", "rdapConformance": ["nro_rdap_profile_0",
                                                             "rdap_level_0", "cidr0"],
        "handle": f"{start} - {end}", "startAddress": start, "endAddress": end,
        "ipVersion": "v4", "name": netname, "type": kind, "country": "DE",
        "parentHandle": parent,
        "entities": [entity(["registrant"], handle=org_handle, fn=org),
                     {"objectClassName": "entity", "handle": maintainer,
                      "roles": ["registrant"]}],
        "remarks": [{"description": [f"mnt-by: {maintainer}"]}],
        "status": ["active"], "port43": "whois.ripe.net",
    }


def apnic_network(start: str, end: str, netname: str, kind: str, org: str,
                  maintainer: str, parent: str | None = None) -> dict[str, Any]:
    """APNIC's shape: type ALLOCATED PORTABLE / ASSIGNED PORTABLE / ASSIGNED NON-PORTABLE."""
    return {
        "objectClassName": "ip network", "rdapConformance": ["nro_rdap_profile_0",
                                                             "rdap_level_0"],
        "handle": f"{start} - {end}", "startAddress": start, "endAddress": end,
        "ipVersion": "v4", "name": netname, "type": kind, "country": "AU",
        "parentHandle": parent,
        "entities": [entity(["registrant"], handle="ORG-EHPL1-AP", fn=org),
                     entity(["administrative", "technical"], handle=maintainer,
                            fn=f"{org} NOC", kind="group")],
        "remarks": [{"title": "description", "description": [org]}],
        "status": ["active"], "port43": "whois.apnic.net",
    }
