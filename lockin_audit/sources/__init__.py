"""Built-in sources, imported lazily so that `lockin-audit --help` never loads an SDK.

Each entry maps a source name (what a check's `source=` names) to `module:Class`.
"""

from __future__ import annotations

import importlib

from lockin_audit.sources.interface import Source

BUILTIN_SOURCES: dict[str, str] = {
    "dns": "lockin_audit.sources.dns:DnsSource",
    "rdap": "lockin_audit.sources.rdap:RdapSource",
    "network": "lockin_audit.sources.network:NetworkSource",
    "delegation": "lockin_audit.sources.delegation:DelegationSource",
    "aws": "lockin_audit.sources.aws:AwsSource",
    "azure": "lockin_audit.sources.azure:AzureSource",
    "graph": "lockin_audit.sources.graph:GraphSource",
    "intune": "lockin_audit.sources.intune:IntuneSource",
    "gws": "lockin_audit.sources.gws:GwsSource",
    "gcp": "lockin_audit.sources.gcp:GcpSource",
    "inventory": "lockin_audit.sources.inventory:InventorySource",
    "endpoints": "lockin_audit.sources.endpoints:EndpointsSource",
}


class UnknownSource(Exception):
    pass


def load_source(name: str) -> Source:
    try:
        spec = BUILTIN_SOURCES[name]
    except KeyError:
        raise UnknownSource(f"no source named {name!r}; known: "
                            f"{', '.join(sorted(BUILTIN_SOURCES))}") from None
    module_name, _, cls_name = spec.partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, cls_name)
    return cls()  # type: ignore[no-any-return]
