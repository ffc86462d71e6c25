"""The demo's Google: Acme Dental's Google Workspace and Google Cloud.

One local HTTPS server (`lockin_audit.demo.google_server`) plays Google's OAuth token
endpoint, the Admin SDK Directory API, Resource Manager, Cloud Billing and Essential
Contacts, driven by the real google-auth service-account flow with a throwaway key made
at start (in a private temporary folder, deleted at stop). What it shows: the provider's
super admin (named after the provider) and a helpdesk account with user management,
the Workspace's recovery address at the provider, the provider's RMM app with directory
scopes, a domain that is listed but unverified, a Cloud project billed through the
provider's reseller sub-account, a project in the provider's organization, and the
provider's people and service account in the Cloud IAM policies and Essential Contacts;
the business's own super admin recovered through the provider's mailbox, a delegated admin
on a secondary domain named like the provider's, the provider's service accounts (one named
`service-…`, the App Engine and Compute Engine default ones) holding roles, a personal
gmail.com address among the Essential Contacts, and projects the business's own billing
account pays for that sit in the provider's organization or in none.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lockin_audit.demo import DemoPart
from lockin_audit.demo.google_server import (
    CLIENT_ACCOUNT,
    CLIENT_ORG,
    CUSTOMER_ID,
    PROVIDER_ORG,
    PROVIDER_PROJECT,
    RESELLER_MASTER,
    RMM_CLIENT_ID,
    GoogleCloud,
    demo_data,
)


def start(workdir: Path) -> DemoPart:
    cloud = GoogleCloud(demo_data(), workdir=workdir / "google")
    keydir = Path(tempfile.mkdtemp(prefix="lockin-demo-google-"))
    keyfile = cloud.new_key().write(keydir / "service-account.json")

    def stop() -> None:
        cloud.stop()
        shutil.rmtree(keydir, ignore_errors=True)

    common = {"api_endpoint": cloud.url, "ca_bundle": cloud.ca_path}
    host = cloud.url.removeprefix("https://")
    return DemoPart(
        scan={"google": [{"name": "Acme Dental Workspace", "customer_id": CUSTOMER_ID,
                          "subject": "dr.smith@acmedental.com", **common}],
              "gcp": [{"name": "Acme Dental Cloud", "organization_id": CLIENT_ORG,
                       "project_ids": ["acme-xray-archive"], **common}],
              # A local server: no need to pace requests as for Google's quotas.
              "limits": {"host_rates": {host: 500.0}}},
        client={"google_customer_ids": [CUSTOMER_ID], "gcp_organization_ids": [CLIENT_ORG],
                "gcp_billing_account_ids": [CLIENT_ACCOUNT]},
        provider={"gcp_organization_ids": [PROVIDER_ORG],
                  "gcp_billing_account_ids": [RESELLER_MASTER],
                  "gcp_project_ids": [PROVIDER_PROJECT],
                  "google_oauth_client_ids": [RMM_CLIENT_ID]},
        env={"GOOGLE_APPLICATION_CREDENTIALS": str(keyfile), "NO_GCE_CHECK": "True"},
        stop=stop)
