"""Intune through Microsoft Graph: the bindings that tie the business's devices to an
Apple ID or a Google account.

One target per `scan.azure` entry (the tenant the Graph source reads). Every read goes
through the Graph client of `lockin_audit.sources.graph` (the engine's HTTP with its rate
limits, retries, timeouts and read-only guard; a nextLink to another host never gets the
token). Each reader is one entry of `READERS`: a Graph path (v1.0 where Microsoft
publishes the resource in v1.0, beta where it exists only there), the least permission
Microsoft documents for it, and a parser into typed facts. A failed read is that
reader's failed `Fetched` (the checks report it as `error`); the others are still read.

Secrets are never asked for: the push certificate's `certificate` and a VPP token's
`token` hold key material, so every read names its properties with `$select`.

To read another Intune collection (e.g. detected apps), add a `Reader`, a field of
`IntuneFacts` with the same name, and its parser; `IntuneSource.fetch` reads every reader.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from lockin_audit.facts import Fetched, FetchError, SourceFailure
from lockin_audit.model import Asset, Evidence
from lockin_audit.sources.graph import (
    GraphClient,
    GraphError,
    TenantSource,
    guard,
    tenant_asset,
)
from lockin_audit.sources.interface import SourceContext, Target

if TYPE_CHECKING:
    from lockin_audit.config import AzureTarget

T = TypeVar("T")
SOURCE = "intune"
READ_THROUGH = "graph"  # the source named in the evidence of a read (Microsoft Graph)

# The least-privileged application permission Microsoft documents for each read.
SERVICE_CONFIG = "DeviceManagementServiceConfig.Read.All"
APPS = "DeviceManagementApps.Read.All"
CONFIGURATION = "DeviceManagementConfiguration.Read.All"
MANAGED_DEVICES = "DeviceManagementManagedDevices.Read.All"


# ---------------------------------------------------------------------------------------
# facts


@dataclass(frozen=True)
class DeviceBinding:
    """One thing that binds the business's devices or apps to an outside account: an
    Apple MDM push certificate, an Apple Business Manager (ADE/DEP) token, an Apple VPP
    token, or the managed Google Play (Android Enterprise) binding."""

    kind: str  # apple_push_certificate, apple_enrollment_token, apple_vpp_token, android_enterprise
    id: str
    account: str | None  # the Apple ID / Google account it was created with
    expires: dt.datetime | None = None  # None: no expiry reported (or none applies)
    name: str | None = None  # token name
    organization: str | None = None  # the organisation Apple or Google knows it under
    state: str | None = None  # bindStatus, token state, upload status
    devices: int | None = None  # devices synced through it, when reported
    excerpt: Mapping[str, Any] | None = None  # the answer's relevant properties

    @property
    def expiry_date(self) -> dt.date | None:
        return self.expires.date() if self.expires else None


@dataclass(frozen=True)
class DetectedRemoteApp:
    """A remote-access tool of the catalogue (lockin_audit.endpoint.collect.TOOLS) among
    Intune's discovered apps, with the managed devices it is on."""

    tool: str
    tool_name: str
    kind: str  # rmm | remote_control
    app_id: str
    display_name: str
    version: str | None
    platform: str | None
    device_count: int | None
    instance: str | None  # what the app's name tells of its instance (ScreenConnect)
    instance_note: str
    devices: Fetched[tuple[str, ...]]  # the names of the devices it is on


NOT_READ_APPS: Fetched[tuple[DetectedRemoteApp, ...]] = Fetched.failure(FetchError(
    SOURCE, "deviceManagement/detectedApps", "not read in this scan", kind="not_configured"))


@dataclass(frozen=True)
class IntuneFacts:
    """Each field: what the reader of the same name read, or why it could not be."""

    tenant_id: str
    endpoint: str
    apple_push_certificate: Fetched[tuple[DeviceBinding, ...]]
    apple_enrollment_tokens: Fetched[tuple[DeviceBinding, ...]]
    apple_vpp_tokens: Fetched[tuple[DeviceBinding, ...]]
    android_enterprise: Fetched[tuple[DeviceBinding, ...]]
    # the catalogued remote-access tools among Intune's discovered apps
    remote_access_apps: Fetched[tuple[DetectedRemoteApp, ...]] = NOT_READ_APPS

    @property
    def asset(self) -> Asset:
        return tenant_asset(self.tenant_id)

    def bindings(self) -> list[tuple[str, Fetched[tuple[DeviceBinding, ...]]]]:
        return [(r.field, getattr(self, r.field)) for r in READERS]


# ---------------------------------------------------------------------------------------
# parsing (raises KeyError/TypeError/ValueError on a malformed object)


def _when(value: Any) -> dt.datetime | None:
    """A Graph DateTimeOffset ('2027-01-15T10:00:00Z', fractions allowed)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError("a date is not a string")
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # Graph sends up to 7 fractional digits; Python reads 6
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        text = f"{head}.{digits[:6]}{tail[len(digits):]}"
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value.strip() or None


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("expected an integer")
    return value


def _excerpt(obj: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: obj[k] for k in keys if obj.get(k) is not None}


APNS_SELECT = ("id", "appleIdentifier", "topicIdentifier", "expirationDateTime",
               "lastModifiedDateTime", "certificateUploadStatus", "certificateSerialNumber")
DEP_SELECT = ("id", "appleIdentifier", "tokenName", "tokenType", "tokenExpirationDateTime",
              "lastSuccessfulSyncDateTime", "syncedDeviceCount", "lastModifiedDateTime")
VPP_SELECT = ("id", "organizationName", "vppTokenAccountType", "appleId",
              "expirationDateTime", "lastSyncDateTime", "state", "lastSyncStatus",
              "countryOrRegion")
ANDROID_SELECT = ("id", "bindStatus", "ownerUserPrincipalName", "ownerOrganizationName",
                  "lastAppSyncDateTime", "lastAppSyncStatus", "enrollmentTarget",
                  "lastModifiedDateTime")


def parse_apns(obj: Mapping[str, Any]) -> DeviceBinding:
    return DeviceBinding("apple_push_certificate", str(obj.get("id") or "apns"),
                         _text(obj.get("appleIdentifier")), _when(obj.get("expirationDateTime")),
                         name=_text(obj.get("topicIdentifier")),
                         state=_text(obj.get("certificateUploadStatus")),
                         excerpt=_excerpt(obj, APNS_SELECT))


def parse_dep(obj: Mapping[str, Any]) -> DeviceBinding:
    return DeviceBinding("apple_enrollment_token", str(obj["id"]),
                         _text(obj.get("appleIdentifier")),
                         _when(obj.get("tokenExpirationDateTime")),
                         name=_text(obj.get("tokenName")), state=_text(obj.get("tokenType")),
                         devices=_count(obj.get("syncedDeviceCount")),
                         excerpt=_excerpt(obj, DEP_SELECT))


def parse_vpp(obj: Mapping[str, Any]) -> DeviceBinding:
    return DeviceBinding("apple_vpp_token", str(obj["id"]), _text(obj.get("appleId")),
                         _when(obj.get("expirationDateTime")),
                         organization=_text(obj.get("organizationName")),
                         state=_text(obj.get("state")), excerpt=_excerpt(obj, VPP_SELECT))


def parse_android(obj: Mapping[str, Any]) -> DeviceBinding:
    return DeviceBinding("android_enterprise", str(obj.get("id") or "android"),
                         _text(obj.get("ownerUserPrincipalName")),
                         organization=_text(obj.get("ownerOrganizationName")),
                         state=_text(obj.get("bindStatus")),
                         excerpt=_excerpt(obj, ANDROID_SELECT))


# ---------------------------------------------------------------------------------------
# readers


@dataclass(frozen=True)
class Reader:
    """One Intune read: `path` from the Graph endpoint's root (with its version),
    `single` for a singleton (404: none set up) or a collection (paged), the permission
    a 403 names, the parser, and `keep` (False: the object is read but not a binding,
    e.g. an Android enterprise that was never bound)."""

    field: str
    path: str
    permission: str
    parse: Callable[[Mapping[str, Any]], DeviceBinding]
    single: bool = False
    doc: str = ""
    keep: Callable[[Mapping[str, Any]], bool] = lambda obj: True


def _select(fields: tuple[str, ...]) -> str:
    return "$select=" + ",".join(fields)


READERS: tuple[Reader, ...] = (
    # v1.0: applePushNotificationCertificate, Get; DeviceManagementServiceConfig.Read.All;
    # 404 when no certificate has been set up
    Reader("apple_push_certificate",
           f"/v1.0/deviceManagement/applePushNotificationCertificate?{_select(APNS_SELECT)}",
           SERVICE_CONFIG, parse_apns, single=True,
           doc="https://learn.microsoft.com/graph/api/intune-devices-"
               "applepushnotificationcertificate-get"),
    # beta only: depOnboardingSetting, List; DeviceManagementServiceConfig.Read.All
    Reader("apple_enrollment_tokens",
           f"/beta/deviceManagement/depOnboardingSettings?{_select(DEP_SELECT)}",
           SERVICE_CONFIG, parse_dep,
           doc="https://learn.microsoft.com/graph/api/intune-enrollment-"
               "deponboardingsetting-list?view=graph-rest-beta"),
    # v1.0: vppToken, List; DeviceManagementApps.Read.All (least privileged)
    Reader("apple_vpp_tokens", f"/v1.0/deviceAppManagement/vppTokens?{_select(VPP_SELECT)}",
           APPS, parse_vpp,
           doc="https://learn.microsoft.com/graph/api/intune-onboarding-vpptoken-list"),
    # beta only: androidManagedStoreAccountEnterpriseSettings, Get;
    # DeviceManagementConfiguration.Read.All; bindStatus notBound: nothing bound
    Reader("android_enterprise",
           "/beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings?"
           f"{_select(ANDROID_SELECT)}", CONFIGURATION, parse_android, single=True,
           doc="https://learn.microsoft.com/graph/api/intune-androidforwork-"
               "androidmanagedstoreaccountenterprisesettings-get?view=graph-rest-beta",
           keep=lambda obj: str(obj.get("bindStatus") or "").lower() not in (
               "notbound", "")),
)
PERMISSION_OF = {r.field: r.permission for r in READERS}


async def _reading(request: str, permission: str,
                   read: Awaitable[Fetched[T]]) -> Fetched[T]:
    """One read, or the failed read saying why not: Graph's error (a denial names
    `permission`, the least one Microsoft documents), or a `malformed` answer."""
    try:
        return await guard(read, permission)
    except (KeyError, TypeError, ValueError) as exc:
        return Fetched.failure(FetchError(
            SOURCE, request, f"unexpected answer shape ({type(exc).__name__}: {exc})",
            kind="malformed"))


async def read(client: GraphClient, reader: Reader) -> Fetched[tuple[DeviceBinding, ...]]:
    """One reader's bindings, or the FetchError saying why they could not be read."""

    async def bindings() -> Fetched[tuple[DeviceBinding, ...]]:
        if reader.single:
            try:
                request, obj = await client.get_object(reader.path, reader.field)
            except GraphError as exc:
                if exc.error.kind == "not_found":
                    return Fetched(READ_THROUGH, exc.error.request, (), note="none set up "
                                   f"(HTTP 404 {exc.code or ''})".replace(" )", ")"))
                raise
            # some of Microsoft's examples wrap the singleton in "value"
            inner = obj.get("value")
            rows = [inner if isinstance(inner, dict) else obj]
        else:
            request, rows = await client.get_list(reader.path, reader.field)
        kept = [r for r in rows if reader.keep(r)]
        return Fetched(READ_THROUGH, request, tuple(reader.parse(r) for r in kept),
                       note=None if kept or not rows else "not bound")

    return await _reading(f"GET {client.url(reader.path)}", reader.permission, bindings())


# detectedApp, List (v1.0, https://learn.microsoft.com/graph/api/intune-devices-detectedapp-
# list): DeviceManagementManagedDevices.Read.All; its managedDevices relationship lists the
# devices an app is on (https://learn.microsoft.com/graph/api/resources/intune-devices-
# detectedapp: "managedDevices: the devices that have the discovered application installed")
DETECTED_APPS = ("/v1.0/deviceManagement/detectedApps?"
                 "$select=id,displayName,version,deviceCount,publisher,platform")


async def read_remote_access_apps(client: GraphClient
                                  ) -> Fetched[tuple[DetectedRemoteApp, ...]]:
    """Every discovered app, matched against the remote-access catalogue; for each match,
    the devices it is on (a failed device read is that app's failed read)."""
    from lockin_audit.endpoint.collect import match_app

    async def devices(app_id: str) -> Fetched[tuple[str, ...]]:
        path = (f"/v1.0/deviceManagement/detectedApps/{app_id}/managedDevices"
                "?$select=id,deviceName")

        async def names() -> Fetched[tuple[str, ...]]:
            request, found = await client.get_list(path, "managedDevices")
            return Fetched(READ_THROUGH, request, tuple(sorted(
                str(d.get("deviceName") or d["id"]) for d in found)))

        return await _reading(f"GET {client.url(path)}", MANAGED_DEVICES, names())

    async def apps() -> Fetched[tuple[DetectedRemoteApp, ...]]:
        request, rows = await client.get_list(DETECTED_APPS, "remote_access_apps")
        matched = []
        for row in rows:
            name = str(row["displayName"] or "")
            hit = match_app(name)
            if hit is not None:
                matched.append((row, *hit))
        lists = await asyncio.gather(*(devices(str(row["id"])) for row, _, _ in matched))
        return Fetched(READ_THROUGH, request, tuple(DetectedRemoteApp(
            tool=tool["id"], tool_name=tool["name"], kind=tool["kind"], app_id=str(row["id"]),
            display_name=str(row["displayName"]), version=_text(row.get("version")),
            platform=_text(row.get("platform")), device_count=_count(row.get("deviceCount")),
            instance=instance, instance_note=tool["instance_note"], devices=found)
            for (row, tool, instance), found in zip(matched, lists, strict=True)))

    return await _reading(f"GET {client.url(DETECTED_APPS)}", MANAGED_DEVICES, apps())


# ---------------------------------------------------------------------------------------
# the source


class IntuneSource(TenantSource):
    name = "intune"
    area = "devices"
    label = "Intune of Microsoft 365 tenant {name}"

    async def fetch(self, target: Target, ctx: SourceContext) -> IntuneFacts:
        client = await self._connect(target, ctx)
        values, apps = await asyncio.gather(
            asyncio.gather(*(read(client, r) for r in READERS)),
            read_remote_access_apps(client))
        errors = [v.error for v in values if v.error]
        if len(errors) == len(values) and all(e.kind in ("unavailable", "timeout")
                                              for e in errors):
            raise SourceFailure(errors[0])  # Graph itself cannot be reached
        opts: AzureTarget = target.options
        return IntuneFacts(tenant_id=opts.tenant_id or target.id, endpoint=client.endpoint,
                           remote_access_apps=apps,
                           **{r.field: v for r, v in zip(READERS, values, strict=True)})

    async def doctor(self, ctx: SourceContext) -> list[tuple[str, bool, str]]:
        lines: list[tuple[str, bool, str]] = []
        for target in await self.targets(ctx):
            try:
                client = await self._connect(target, ctx)
            except SourceFailure as exc:
                lines.append((target.label, False, exc.error.describe()))
                continue
            for reader in READERS:
                got = await read(client, reader)
                label = f"{target.label}: {reader.field.replace('_', ' ')}"
                if got.error:
                    lines.append((label, False, got.error.describe()))
                else:
                    lines.append((label, True, f"readable ({reader.permission})"))
        return lines


def evidence(fetched: Fetched[tuple[DeviceBinding, ...]], binding: DeviceBinding) -> Evidence:
    return fetched.evidence(dict(binding.excerpt or {"id": binding.id}))


__all__ = ["READERS", "DetectedRemoteApp", "DeviceBinding", "IntuneFacts", "IntuneSource",
           "Reader", "read", "read_remote_access_apps"]
