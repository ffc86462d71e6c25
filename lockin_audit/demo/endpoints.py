"""The demo's machines: what `lockin-audit endpoint collect` finds on Acme Dental's PCs.

Ten front-desk and surgery PCs exported their registry (`regedit /e`, as the collector's
`--registry-export` reads it); the demo runs the real collector on each export and gives
the scan the files it wrote. Every PC has the provider's ScreenConnect client reporting to
the provider's cloud instance; three also have TeamViewer, whose account cannot be told.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from lockin_audit.demo import DemoPart

PROVIDER_INSTANCE = "instance-bobsit-relay.screenconnect.com"
# the instance's thumbprint, in the client's name on every machine (and in Intune's apps)
PROVIDER_THUMBPRINT = "4f3c2b1a0e9d8c7b"
MACHINES = [f"ACME-{'FRONT' if i < 3 else 'SURG'}-{i + 1:02d}" for i in range(10)]
WITH_TEAMVIEWER = set(MACHINES[:3])


def _reg_export(machine: str, thumbprint: str) -> str:
    lines = [
        "Windows Registry Editor Version 5.00", "",
        rf"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\ScreenConnect Client ({thumbprint})]",
        '"Type"=dword:00000010',
        f'"ImagePath"="\\"C:\\\\Program Files (x86)\\\\ScreenConnect Client ({thumbprint})'
        f'\\\\ScreenConnect.ClientService.exe\\" \\"?e=Access&y=Guest&h={PROVIDER_INSTANCE}'
        f'&p=443&s=00000000-0000-4000-8000-{zlib.crc32(machine.encode()):012d}'
        f'&k=BgIAAACkAABSU0ExAAgAAAEAAQ&c=Acme%20Dental&c={machine}\\""',
        f'"DisplayName"="ScreenConnect Client ({thumbprint})"', "",
    ]
    if machine in WITH_TEAMVIEWER:
        lines += [r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\TeamViewer]",
                  '"DisplayName"="TeamViewer"', "",
                  r"[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion"
                  r"\Uninstall\TeamViewer]", '"DisplayName"="TeamViewer"', ""]
    return "\r\n".join(lines)


def start(workdir: Path) -> DemoPart:
    from lockin_audit.endpoint.collect import collect

    exports = workdir / "registry-exports"
    out = workdir / "endpoints"
    exports.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    import json

    for machine in MACHINES:
        reg = exports / f"{machine}.reg"
        reg.write_bytes(b"\xff\xfe" + _reg_export(machine, PROVIDER_THUMBPRINT)
                        .encode("utf-16-le"))
        data = collect(registry_export=reg, system="windows", hostname=machine)
        data["collected_at"] = data["collected_at"][:10] + "T09:00:00+00:00"
        (out / f"{machine}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return DemoPart(scan={"endpoints": [str(out / "*.json")]},
                    provider={"remote_access": [PROVIDER_INSTANCE, PROVIDER_THUMBPRINT]})
