"""`lockin-audit endpoint collect`: the remote-access agents on this machine.

Standard library only, one file: it runs on a machine where nothing else is installed
(`python3 collect.py -o host.json`; README "Remote access" shows how to take the file from
an installed copy). It reads, read-only,

- Windows: services (HKLM\\SYSTEM\\CurrentControlSet\\Services: display name and the image
  path's executable and documented instance parameters) and installed programs (the two
  Uninstall keys), plus the few documented registry values and configuration files that
  name an agent's instance;
- macOS: launch daemons and agents (/Library/LaunchDaemons, /Library/LaunchAgents) and
  applications (/Applications/*.app Info.plist bundle identifiers);
- Linux: systemd units (/etc/systemd/system, /lib/systemd/system, /usr/lib/systemd/system)
  and Debian packages (/var/lib/dpkg/status),

matches them against `TOOLS` (the catalogue of RMM and remote-control tools) and writes,
per tool found, where it was seen and the instance it connects to when that can be told.
It never writes a command line, a key, a password or a token into its output: of a
service's command line only the documented host parameter is kept.

For tests and for collecting from a mounted disk image, `--root DIR` reads the file
system below DIR (a Windows drive as DIR/C/...) and `--registry-export FILE.reg` reads a
`regedit /e` export instead of the live registry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import plistlib
import re
import socket
import sys
from collections.abc import Iterable
from pathlib import Path, PureWindowsPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

FORMAT = "lockin-audit-endpoint/1"
COLLECTOR_VERSION = "1"

# ---------------------------------------------------------------------------------------
# The catalogue. For each tool: the names its agent installs under (matched
# case-insensitively; a trailing * is a prefix), how its instance can be told, and the
# vendor page that documents them. `verified` says whether the names were checked against
# that page when the entry was written; unverified entries carry the names the vendor's
# installers are widely documented to use and should be confirmed (README: Remote access).
# Instance rules: "query:<param>" reads a URL query parameter of the service command line;
# "registry:<key>|<value>" a registry value; "file:<path>|<regex>" a configuration file
# (paths in Windows or POSIX form; the regex's first group is the instance).

TOOLS: list[dict[str, Any]] = [
    {
        "id": "screenconnect", "name": "ConnectWise ScreenConnect", "kind": "remote_control",
        "windows_services": ["ScreenConnect Client (*"],
        "windows_programs": ["ScreenConnect Client (*"],
        "macos": ["connectwisecontrol-*", "screenconnect-*"],
        "linux": ["connectwisecontrol-*", "screenconnect-*"],
        "instance": ["query:h"],
        # the client's name carries the instance's thumbprint (a hash of its public key):
        # "ScreenConnect Client (4f3c2b1a0e9d8c7b)" names one instance wherever it is seen
        "instance_in_name": r"\(([0-9a-f]{16})\)",
        "instance_note": "the relay host in the client service's launch parameters (h=)",
        "docs": "https://docs.connectwise.com/ScreenConnect_Documentation/Get_started/Knowledge_base/Client_launch_parameters",
        "verified": False,
    },
    {
        "id": "connectwise_automate", "name": "ConnectWise Automate (LabTech)", "kind": "rmm",
        "windows_services": ["LTService", "LTSvcMon"],
        "windows_programs": ["ConnectWise Automate Agent*", "LabTech* Agent*"],
        "macos": ["com.labtechsoftware.*"], "linux": ["ltechagent*"],
        "instance": [r"registry:HKLM\SOFTWARE\LabTech\Service|Server Address"],
        "instance_note": "the agent's Server Address",
        "docs": "https://docs.connectwise.com/ConnectWise_Automate_Documentation",
        "verified": False,
    },
    {
        "id": "datto_rmm", "name": "Datto RMM (CentraStage)", "kind": "rmm",
        "windows_services": ["CagService"], "windows_programs": ["Datto RMM*", "CentraStage*"],
        "macos": ["com.centrastage.*", "AEM Agent*"], "linux": ["cagservice*", "CentraStage*"],
        "paths": [r"C:\Program Files (x86)\CentraStage", r"C:\Program Files\CentraStage",
                  "/Applications/AEM Agent.app", "/opt/CentraStage"],
        "instance": [],
        "instance_note": "the Datto RMM account is not named on the device",
        "docs": "https://rmm.datto.com/help/en/Content/5AGENT/Agent.htm",
        "verified": True,
    },
    {
        "id": "ninjaone", "name": "NinjaOne (NinjaRMM)", "kind": "rmm",
        "windows_services": ["NinjaRMMAgent"], "windows_programs": ["NinjaRMMAgent*"],
        "macos": ["com.ninjarmm.*", "NinjaRMMAgent*"], "linux": ["ninjarmm-agent*"],
        "instance": [],
        "instance_note": "the NinjaOne organization is not named in a readable form",
        "docs": "https://www.ninjaone.com/docs/new-to-ninjaone/agent-installation/",
        "verified": False,
    },
    {
        "id": "n_able_ncentral", "name": "N-able N-central", "kind": "rmm",
        "windows_services": ["Windows Agent Service", "Windows Agent Maintenance Service"],
        "windows_programs": ["Windows Agent"],
        "macos": ["com.n-able.*"], "linux": ["nagent*"],
        "instance": [r"file:C:\Program Files (x86)\N-able Technologies\Windows Agent\config\ServerConfig.xml|<ServerIP>([^<]+)</ServerIP>"],
        "instance_note": "the N-central server in the agent's ServerConfig.xml",
        "docs": "https://documentation.n-able.com/N-central/userguide/Content/Agents/agents_intro.htm",
        "verified": False,
    },
    {
        "id": "n_able_nsight", "name": "N-able N-sight RMM (Advanced Monitoring Agent)",
        "kind": "rmm", "windows_services": ["Advanced Monitoring Agent*"],
        "windows_programs": ["Advanced Monitoring Agent*"], "macos": [], "linux": [],
        "instance": [], "instance_note": "the N-sight account is not named on the device",
        "docs": "https://documentation.n-able.com/remote-management/userguide/Content/windows_agent_uninstall_protection.htm",
        "verified": False,
    },
    {
        "id": "kaseya_vsa", "name": "Kaseya VSA", "kind": "rmm",
        "windows_services": ["Kaseya Agent*"], "windows_programs": ["Kaseya Agent*"],
        "macos": ["com.kaseya.*"], "linux": ["kaseya*"],
        "instance": [], "instance_note": "the VSA server is not read by this collector",
        "docs": "https://helpdesk.kaseya.com/hc/en-gb/categories/229039948-VSA",
        "verified": False,
    },
    {
        "id": "atera", "name": "Atera", "kind": "rmm",
        "windows_services": ["AteraAgent"], "windows_programs": ["AteraAgent*"],
        "macos": ["com.atera.*"], "linux": ["atera*"],
        "instance": [r"registry:HKLM\SOFTWARE\ATERA Networks\AlphaAgent|IntegratorLogin",
                     r"registry:HKLM\SOFTWARE\ATERA Networks\AlphaAgent|AccountId"],
        "instance_note": "the Atera account (its integrator login, else its account id)",
        "docs": "https://support.atera.com/hc/en-us/articles/6851765564060-Alert-Time-Intervals-IT-Departments-",
        "verified": True,
    },
    {
        "id": "syncro", "name": "Syncro", "kind": "rmm",
        "windows_services": ["Syncro", "SyncroLive*", "SyncroOvermind*"],
        "windows_programs": ["Syncro*"], "macos": ["com.syncromsp.*"], "linux": [],
        "instance": [], "instance_note": "the Syncro account is not named on the device",
        "docs": "https://community.syncromsp.com/t/syncro-agent-overview",
        "verified": False,
    },
    {
        "id": "take_control", "name": "N-able Take Control (SolarWinds)", "kind": "remote_control",
        "windows_services": ["BASupportExpressStandaloneService*", "BASupportExpressSrvcUpdater*"],
        "windows_programs": ["Take Control Agent*"], "macos": ["com.bomgar.*takecontrol*"],
        "linux": [], "instance": [],
        "instance_note": "the Take Control account is not named on the device",
        "docs": "https://documentation.n-able.com/takecontrol/userguide/Content/home.htm",
        "verified": False,
    },
    {
        "id": "teamviewer", "name": "TeamViewer", "kind": "remote_control",
        "windows_services": ["TeamViewer"], "windows_programs": ["TeamViewer*"],
        "macos": ["com.teamviewer.*"], "linux": ["teamviewerd*", "teamviewer*"],
        "instance": [],
        "instance_note": "the TeamViewer account or company a device is assigned to is not "
                         "stored readably on the device",
        "docs": "https://www.teamviewer.com/en/global/support/knowledge-base/teamviewer-classic/installation/",
        "verified": False,
    },
    {
        "id": "anydesk", "name": "AnyDesk", "kind": "remote_control",
        "windows_services": ["AnyDesk*"], "windows_programs": ["AnyDesk*"],
        "macos": ["com.philandro.anydesk*"], "linux": ["anydesk*"],
        "instance": [], "instance_note": "the AnyDesk licence holder is not named on the device",
        "docs": "https://support.anydesk.com/knowledge/anydesk-id-and-alias",
        "verified": False,
    },
    {
        "id": "splashtop", "name": "Splashtop Streamer", "kind": "remote_control",
        "windows_services": ["SplashtopRemoteService"], "windows_programs": ["Splashtop Streamer*"],
        "macos": ["com.splashtop.*"], "linux": ["splashtop*"],
        "instance": [], "instance_note": "the Splashtop team is not named in a readable form",
        "docs": "https://support-splashtopbusiness.splashtop.com/hc/en-us/articles/212724163",
        "verified": False,
    },
    {
        "id": "goto", "name": "GoTo / LogMeIn", "kind": "remote_control",
        "windows_services": ["LogMeIn", "LMIGuardianSvc", "GoTo Resolve*", "LMIRescue*"],
        "windows_programs": ["LogMeIn*", "GoTo Resolve*"],
        "macos": ["com.logmein.*", "com.goto.*"], "linux": ["logmein*"],
        "instance": [], "instance_note": "the GoTo account is not named on the device",
        "docs": "https://support.goto.com/resolve",
        "verified": False,
    },
    {
        "id": "beyondtrust", "name": "BeyondTrust Remote Support (Bomgar) Jump Client",
        "kind": "remote_control", "windows_services": ["bomgar-scc*", "Bomgar Jump Client*"],
        "windows_programs": ["Bomgar Jump Client*", "BeyondTrust Remote Support Jump Client*"],
        "macos": ["com.bomgar.bomgar-scc*"], "linux": ["bomgar-scc*"],
        "instance": [], "instance_note": "the appliance host is not read by this collector",
        "docs": "https://www.beyondtrust.com/docs/remote-support/how-to/jump-clients/index.htm",
        "verified": False,
    },
    {
        "id": "rustdesk", "name": "RustDesk", "kind": "remote_control",
        "windows_services": ["RustDesk"], "windows_programs": ["RustDesk*"],
        "macos": ["com.carriez.rustdesk*"], "linux": ["rustdesk*"],
        "instance": [
            r"file:C:\Windows\ServiceProfiles\LocalService\AppData\Roaming\RustDesk\config\RustDesk2.toml|custom-rendezvous-server\s*=\s*['\"]([^'\"]+)",
            r"file:/root/.config/rustdesk/RustDesk2.toml|custom-rendezvous-server\s*=\s*['\"]([^'\"]+)",
            r"file:/var/root/Library/Preferences/com.carriez.RustDesk/RustDesk2.toml|custom-rendezvous-server\s*=\s*['\"]([^'\"]+)",
        ],
        "instance_note": "the self-hosted ID server (custom-rendezvous-server); without one, "
                         "RustDesk's public servers",
        "docs": "https://rustdesk.com/docs/en/self-host/client-configuration/",
        "verified": False,
    },
    {
        "id": "action1", "name": "Action1", "kind": "rmm",
        "windows_services": ["A1Agent", "Action1 Agent*"], "windows_programs": ["Action1*"],
        "macos": ["com.action1.*"], "linux": ["action1*"],
        "instance": [], "instance_note": "the Action1 organization is not named on the device",
        "docs": "https://www.action1.com/documentation/",
        "verified": False,
    },
    {
        "id": "pulseway", "name": "Pulseway", "kind": "rmm",
        "windows_services": ["Pulseway*", "PC Monitor*"], "windows_programs": ["Pulseway*"],
        "macos": ["com.mmsoft.pcmonitor*", "com.pulseway.*"], "linux": ["pcmonitor*"],
        "instance": [], "instance_note": "the Pulseway account is not named on the device",
        "docs": "https://intercom.help/pulseway/en/",
        "verified": False,
    },
]

UNINSTALL_KEYS = (r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
                  r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall")
SERVICES_KEY = r"HKLM\SYSTEM\CurrentControlSet\Services"
SYSTEMD_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")
LAUNCHD_DIRS = ("/Library/LaunchDaemons", "/Library/LaunchAgents")
MAX_FILE_BYTES = 1_000_000


def _match(name: str, patterns: Iterable[str]) -> bool:
    low = name.lower()
    for pattern in patterns:
        p = pattern.lower()
        if "*" in p:
            rx = "^" + ".*".join(re.escape(part) for part in p.split("*")) + "$"
            if re.match(rx, low):
                return True
        elif low == p:
            return True
    return False


# ---------------------------------------------------------------------------------------
# Windows registry: the live one (winreg) or a regedit export


class Registry:
    """Read-only view of HKLM keys: subkeys and values by name."""

    def __init__(self, keys: dict[str, dict[str, Any]]) -> None:
        self.keys = {k.lower(): (k, v) for k, v in keys.items()}

    def subkeys(self, key: str) -> list[str]:
        prefix = key.lower().rstrip("\\") + "\\"
        names = {k[len(prefix):].split("\\", 1)[0] for k in self.keys if k.startswith(prefix)}
        return sorted(self.keys[prefix + n.lower()][0].rsplit("\\", 1)[-1]
                      if prefix + n.lower() in self.keys else n for n in names)

    def value(self, key: str, name: str) -> Any:
        entry = self.keys.get(key.lower().rstrip("\\"))
        if entry is None:
            return None
        for k, v in entry[1].items():
            if k.lower() == name.lower():
                return v
        return None


def parse_reg_export(text: str) -> Registry:
    """A `regedit /e` export (Windows Registry Editor Version 5.00): keys in brackets,
    `"name"="string"`, `@=...`, `dword:`, and `hex(2):`/`hex(7):` expandable and multi
    strings (UTF-16LE bytes); continuation lines end in a backslash."""
    keys: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    logical: list[str] = []
    lines: list[str] = []
    for raw in text.splitlines():
        if logical:
            logical.append(raw.strip())
        else:
            logical = [raw]
        if raw.rstrip().endswith("\\") and not raw.strip().startswith("["):
            logical[-1] = logical[-1].rstrip()[:-1]
            continue
        lines.append("".join(logical))
        logical = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith(";") or line.startswith("Windows Registry Editor"):
            continue
        if line.startswith("[") and line.endswith("]"):
            path = line[1:-1]
            path = re.sub(r"^HKEY_LOCAL_MACHINE", "HKLM", path, flags=re.I)
            current = keys.setdefault(path, {})
            continue
        if current is None:
            continue
        m = re.match(r'^(@|"((?:[^"\\]|\\.)*)")=(.*)$', line)
        if not m:
            continue
        name = "" if m.group(1) == "@" else _unescape(m.group(2))
        current[name] = _reg_value(m.group(3))
    return Registry(keys)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _reg_value(data: str) -> Any:
    if data.startswith('"') and data.endswith('"'):
        return _unescape(data[1:-1])
    if data.startswith("dword:"):
        return int(data[6:], 16)
    m = re.match(r"^hex(?:\((\w+)\))?:(.*)$", data)
    if m:
        raw = bytes(int(b, 16) for b in m.group(2).replace(" ", "").split(",") if b)
        kind = m.group(1)
        if kind in ("2", "7"):
            text = raw.decode("utf-16-le", errors="replace").rstrip("\x00")
            return text.split("\x00") if kind == "7" else text
        return raw.hex()
    return data


def live_registry() -> Registry:  # pragma: no cover - Windows only
    import importlib

    winreg: Any = importlib.import_module("winreg")  # exists on Windows only

    wanted = [SERVICES_KEY, *UNINSTALL_KEYS] + [
        rule.split("|", 1)[0][len("registry:"):] for tool in TOOLS for rule in tool["instance"]
        if rule.startswith("registry:")]
    keys: dict[str, dict[str, Any]] = {}

    def read(path: str, depth: int) -> None:
        sub = path.split("\\", 1)[1]
        try:
            handle = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, sub, 0, winreg.KEY_READ)
        except OSError:
            return
        with handle:
            values: dict[str, Any] = {}
            i = 0
            while True:
                try:
                    name, value, _ = winreg.EnumValue(handle, i)
                except OSError:
                    break
                if isinstance(value, str | int | list):
                    values[name] = value
                i += 1
            keys[path] = values
            if depth == 0:
                return
            i = 0
            while True:
                try:
                    child = winreg.EnumKey(handle, i)
                except OSError:
                    break
                read(f"{path}\\{child}", depth - 1)
                i += 1

    for path in wanted:
        read(path, 1 if path in (SERVICES_KEY, *UNINSTALL_KEYS) else 0)
    return Registry(keys)


# ---------------------------------------------------------------------------------------
# collecting


class Collector:
    def __init__(self, root: Path | None, registry: Registry | None, system: str) -> None:
        self.root = root
        self.registry = registry
        self.system = system  # "windows" | "macos" | "linux"
        self.read: list[str] = []
        self.not_read: list[str] = []
        self.errors: list[str] = []
        self.found: dict[str, dict[str, Any]] = {}

    # -- paths -------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        if re.match(r"^[A-Za-z]:\\", name):
            win = PureWindowsPath(name)
            rel = Path(win.drive[0].upper(), *win.parts[1:])
            return (self.root / rel) if self.root else Path(name)
        return (self.root / name.lstrip("/")) if self.root else Path(name)

    def read_text(self, name: str) -> str | None:
        path = self.path(name)
        try:
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                return None
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self.errors.append(f"{name}: {exc.strerror}")
            return None

    # -- recording ---------------------------------------------------------------------
    def saw(self, tool: dict[str, Any], how: str, name: str,
            instance: str | None = None, source: str | None = None) -> None:
        entry = self.found.setdefault(tool["id"], {
            "tool": tool["id"], "name": tool["name"], "kind": tool["kind"],
            "found_as": [], "instance": None, "instance_source": None,
            "instance_note": tool["instance_note"]})
        item = f"{how}: {name}"
        if item not in entry["found_as"]:
            entry["found_as"].append(item)
        if instance and not entry["instance"]:
            entry["instance"], entry["instance_source"] = instance, source

    # -- Windows -----------------------------------------------------------------------
    def windows(self) -> None:
        reg = self.registry
        if reg is None:
            self.not_read.append("Windows registry: not available (no --registry-export)")
            return
        services = reg.subkeys(SERVICES_KEY)
        self.read.append(f"Windows services ({len(services)})")
        for svc in services:
            key = f"{SERVICES_KEY}\\{svc}"
            display = str(reg.value(key, "DisplayName") or "")
            image = str(reg.value(key, "ImagePath") or "")
            for tool in TOOLS:
                if _match(svc, tool["windows_services"]) or (
                        display and _match(display, tool["windows_services"])):
                    instance = self._from_command_line(tool, image)
                    self.saw(tool, "service", svc, instance,
                             "service launch parameters" if instance else None)
        programs = 0
        for base in UNINSTALL_KEYS:
            for sub in reg.subkeys(base):
                name = str(reg.value(f"{base}\\{sub}", "DisplayName") or "")
                if not name:
                    continue
                programs += 1
                for tool in TOOLS:
                    if _match(name, tool["windows_programs"]):
                        self.saw(tool, "installed program", name)
        self.read.append(f"installed programs ({programs})")

    def _from_command_line(self, tool: dict[str, Any], command: str) -> str | None:
        for rule in tool["instance"]:
            if not rule.startswith("query:") or "?" not in command:
                continue
            query = command.split("?", 1)[1].split('"', 1)[0]
            values = parse_qs(query).get(rule[len("query:"):])
            if values and re.fullmatch(r"[A-Za-z0-9.-]{1,253}", values[0]):
                return values[0].lower()
        return None

    # -- macOS -------------------------------------------------------------------------
    def macos(self) -> None:
        count = 0
        for folder in LAUNCHD_DIRS:
            directory = self.path(folder)
            if not directory.is_dir():
                continue
            for plist in sorted(directory.glob("*.plist")):
                count += 1
                label = plist.stem
                args: list[str] = []
                try:
                    with plist.open("rb") as fh:
                        data = plistlib.load(fh)
                    label = str(data.get("Label") or label)
                    raw = data.get("ProgramArguments") or [data.get("Program") or ""]
                    args = [str(a) for a in raw]
                except (OSError, ValueError, plistlib.InvalidFileException) as exc:
                    self.errors.append(f"{plist.name}: {exc}")
                for tool in TOOLS:
                    if _match(label, tool["macos"]):
                        instance = self._from_command_line(tool, " ".join(args))
                        self.saw(tool, "launchd job", label, instance,
                                 "launch arguments" if instance else None)
        self.read.append(f"launch daemons and agents ({count})")
        apps = self.path("/Applications")
        napps = 0
        if apps.is_dir():
            for app in sorted(apps.glob("*.app")):
                napps += 1
                bundle = app.stem
                info = app / "Contents" / "Info.plist"
                if info.is_file():
                    try:
                        with info.open("rb") as fh:
                            bundle = str(plistlib.load(fh).get("CFBundleIdentifier") or bundle)
                    except (OSError, ValueError, plistlib.InvalidFileException) as exc:
                        self.errors.append(f"{app.name}: {exc}")
                for tool in TOOLS:
                    if _match(bundle, tool["macos"]) or _match(app.stem, tool["macos"]):
                        self.saw(tool, "application", f"{app.name} ({bundle})")
        self.read.append(f"applications ({napps})")

    # -- Linux -------------------------------------------------------------------------
    def linux(self) -> None:
        units = 0
        for folder in SYSTEMD_DIRS:
            directory = self.path(folder)
            if not directory.is_dir():
                continue
            for unit in sorted(directory.glob("*.service")):
                units += 1
                exec_start = ""
                text = self.read_text(str(Path(folder) / unit.name))
                if text:
                    m = re.search(r"^ExecStart=(.*)$", text, re.M)
                    exec_start = m.group(1) if m else ""
                for tool in TOOLS:
                    if _match(unit.stem, tool["linux"]):
                        instance = self._from_command_line(tool, exec_start)
                        self.saw(tool, "systemd unit", unit.name, instance,
                                 "unit command line" if instance else None)
        self.read.append(f"systemd units ({units})")
        status = self.read_text("/var/lib/dpkg/status")
        if status is None:
            self.not_read.append("Debian packages: no /var/lib/dpkg/status")
            return
        packages = re.findall(r"^Package: (\S+)$", status, re.M)
        self.read.append(f"Debian packages ({len(packages)})")
        for package in packages:
            for tool in TOOLS:
                if _match(package, tool["linux"]):
                    self.saw(tool, "package", package)

    # -- everywhere: documented paths and instance rules -------------------------------
    def documented(self) -> None:
        for tool in TOOLS:
            for name in tool.get("paths", []):
                if self._for_this_system(name) and self.path(name).exists():
                    self.saw(tool, "folder", name)
            if tool["id"] not in self.found:
                continue
            for rule in tool["instance"]:
                kind, _, spec = rule.partition(":")
                if kind == "registry" and self.registry is not None:
                    key, _, value_name = spec.partition("|")
                    value = self.registry.value(key, value_name)
                    if isinstance(value, str) and value.strip():
                        self.saw(tool, "registry", key, _instance_text(value),
                                 f"registry {key}\\{value_name}")
                elif kind == "file":
                    path, _, pattern = spec.partition("|")
                    if not self._for_this_system(path):
                        continue
                    text = self.read_text(path)
                    if text:
                        m = re.search(pattern, text)
                        if m and m.group(1).strip():
                            self.saw(tool, "configuration file", path,
                                     _instance_text(m.group(1)), f"file {path}")

    def _for_this_system(self, name: str) -> bool:
        windows_path = bool(re.match(r"^[A-Za-z]:\\", name))
        return windows_path == (self.system == "windows")

    def run(self) -> dict[str, Any]:
        getattr(self, self.system)()
        self.documented()
        return {"read": self.read, "not_read": self.not_read, "errors": self.errors,
                "agents": sorted(self.found.values(), key=lambda a: a["tool"])}


def _instance_text(value: str) -> str:
    """The instance as a host (from a URL or host:port) or the value itself."""
    value = value.strip()
    if "://" in value:
        host = urlsplit(value).hostname
        return host.lower() if host else value
    m = re.fullmatch(r"([A-Za-z0-9.-]+)(:\d+)?", value)
    return m.group(1).lower() if m else value[:200]


def detect_system() -> str:
    system = platform.system().lower()
    return {"darwin": "macos", "windows": "windows"}.get(system, "linux")


def collect(root: Path | None = None, registry_export: Path | None = None,
            system: str | None = None, hostname: str | None = None) -> dict[str, Any]:
    system = system or ("windows" if registry_export else detect_system())
    registry: Registry | None = None
    if registry_export is not None:
        raw = registry_export.read_bytes()
        text = (raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff")
                else raw.decode("utf-8-sig"))
        registry = parse_reg_export(text)
    elif system == "windows" and root is None and sys.platform == "win32":
        registry = live_registry()  # pragma: no cover
    result = Collector(root, registry, system).run()
    return {
        "format": FORMAT,
        "collector_version": COLLECTOR_VERSION,
        "collected_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "host": {"name": hostname or socket.gethostname(), "os": system,
                 "os_version": (platform.release() if root is None and registry_export is None
                                else None)},
        **result,
    }


def summary(data: dict[str, Any]) -> str:
    agents = data["agents"]
    where = ", ".join(data["read"]) or "nothing"
    if not agents:
        return f"no catalogued remote-access agent found (read: {where})"
    names = ", ".join(f"{a['name']} ({a['instance'] or 'instance not told'})" for a in agents)
    return f"{len(agents)} remote-access tool(s): {names} (read: {where})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lockin-audit endpoint collect",
        description="List the RMM and remote-control agents on this machine and the "
                    "instance each connects to (read-only; standard library only).")
    parser.add_argument("-o", "--output", required=True, help="the JSON file to write")
    parser.add_argument("--root", help="read the file system below this folder (a disk "
                        "image or a test tree; a Windows drive as ROOT/C/...)")
    parser.add_argument("--registry-export", help="a regedit /e export to read instead "
                        "of the live registry")
    parser.add_argument("--os", choices=("windows", "macos", "linux"),
                        help="the system to read (default: this one)")
    parser.add_argument("--hostname", help="the machine's name in the output")
    args = parser.parse_args(argv)
    try:
        data = collect(Path(args.root) if args.root else None,
                       Path(args.registry_export) if args.registry_export else None,
                       args.os, args.hostname)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"endpoint collect: cannot read: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    print(f"{out}: {summary(data)}")
    return 0


def match_app(name: str) -> tuple[dict[str, Any], str | None] | None:
    """The catalogued tool an installed application's display name belongs to (as an
    inventory such as Intune's discovered apps lists it), with the instance its name
    carries when the tool puts one there; None for anything else."""
    for tool in TOOLS:
        if _match(name, [*tool["windows_programs"], *tool["windows_services"],
                         *tool["macos"]]):
            rx = tool.get("instance_in_name")
            m = re.search(rx, name) if rx else None
            return tool, (m.group(1).lower() if m else None)
    return None


if __name__ == "__main__":  # the single-file form: python3 collect.py -o FILE.json
    raise SystemExit(main())
