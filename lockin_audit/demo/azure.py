"""The demo's Microsoft cloud: Acme Dental's Azure subscriptions and Microsoft 365 tenant.

One local HTTPS server plays the identity platform, Azure Resource Manager and Graph
(`lockin_audit.demo.azure_server`), driven by the real azure-identity and Azure SDK
clients. What it shows: a CSP subscription whose partner is the provider (Lighthouse
delegation with Owner, the partner's admin agents as a foreign group, the provider's
admin as classic administrator, a managed application the provider published), a
directly-billed subscription that is clean, a subscription listed in the audit file that
the client's tenant cannot see, and the Graph tenant of `graph_routes`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from lockin_audit.demo import DemoPart
from lockin_audit.demo.arm_routes import CLIENT_TENANT, PROVIDER_SUBSCRIPTION, demo_data
from lockin_audit.demo.azure_server import MicrosoftCloud

DEMO_APP_ID = "11111111-2222-4333-8444-555555555555"


def start(workdir: Path) -> DemoPart:
    secret = secrets.token_urlsafe(24)  # lives only in this process's environment
    cloud = MicrosoftCloud(demo_data(), secret=secret, workdir=workdir / "azure")
    target = {
        "name": "Acme Dental tenant", "tenant_id": CLIENT_TENANT, "client_id": DEMO_APP_ID,
        "credential": "environment", "arm_endpoint": cloud.url, "graph_endpoint": cloud.url,
        "authority_host": cloud.url, "ca_bundle": cloud.ca_path,
        "subscription_ids": [PROVIDER_SUBSCRIPTION],
    }
    return DemoPart(scan={"azure": [target]},
                    env={"AZURE_CLIENT_ID": DEMO_APP_ID, "AZURE_CLIENT_SECRET": secret,
                         "AZURE_TENANT_ID": CLIENT_TENANT},
                    stop=cloud.stop)
