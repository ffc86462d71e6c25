"""The parts of the docs generated from the catalogue: `docs/*-permissions.md` (a section
per platform: each control with the permissions it needs, each access path with the checks
that read it or why it is not read) and the README's list of areas.

    python -m lockin_audit.catalogue.docs [ROOT]     rewrite them in a source checkout

Each generated part sits between two markers; the prose around it is written by hand.
`tests/test_catalogue.py` fails when a committed file differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lockin_audit.catalogue import Platform, platforms

BEGIN = ("<!-- catalogue:begin: generated from lockin_audit/catalogue by "
         "`python -m lockin_audit.catalogue.docs`; edit the catalogue, not this part -->")
END = "<!-- catalogue:end -->"
# platform -> the permissions doc it is written into
PERMISSION_DOCS: dict[str, str] = {
    "aws": "docs/aws-permissions.md",
    "microsoft": "docs/azure-permissions.md",
    "google": "docs/google-permissions.md",
    "domains": "docs/domains-permissions.md",
    "devices": "docs/devices-permissions.md",
}
# A doc created by the generator starts with this (then hand-written prose may follow).
NEW_DOC_HEADINGS: dict[str, str] = {
    "aws": "# AWS: permissions, controls and access paths\n\nThe IAM policy is "
           "[`aws-readonly-policy.json`](aws-readonly-policy.json); how the source reads "
           "and judges is in [`aws.md`](aws.md).\n",
    "domains": "# Domains, DNS and IP addresses: permissions, controls and access paths\n\n"
               "Domains, DNS and IP addresses are read from public data (RDAP and DNS): no "
               "credentials are needed.\n",
    "devices": "# Devices: access paths\n\nThis version reads no device data; the paths "
               "below are what a device check would have to read.\n",
}
README = "README.md"
README_BEGIN = "<!-- catalogue:areas:begin (generated; edit lockin_audit/catalogue) -->"
README_END = "<!-- catalogue:areas:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def permissions_section(p: Platform) -> str:
    """The generated part of one platform's permissions doc."""
    out = [BEGIN, "", f"## Controls of {p.name}: what each needs", ""]
    if p.controls:
        out += ["| control | what it establishes | needs |", "|---|---|---|"]
        for c in p.controls:
            out.append(f"| `{c.id}` | {_cell(c.title)} | "
                       + "<br>".join(_cell(x) for x in c.permissions) + " |")
    else:
        out.append("No control of this platform is assessed by this version.")
    out += ["", f"## Access paths of {p.name}", "",
            "Every documented way another party can hold access to or control over the "
            "business's assets here, and what this version reads of it. A pass speaks only "
            "for the paths its check reads.", "",
            "| access path | read by | documented at |", "|---|---|---|"]
    for x in p.paths:
        if x.read:
            how = ", ".join(f"`{c}`" for c in x.read_by)
            if x.scope:
                how += f" (scope: {_cell(x.scope)})"
        else:
            how = f"**not read**: {_cell(x.not_read or '')}"
        out.append(f"| {_cell(x.title)} | {how} | <{x.doc}> |")
    out += ["", END]
    return "\n".join(out) + "\n"


def with_section(text: str, section: str, begin: str = BEGIN, end: str = END) -> str:
    """`text` with its generated part replaced (or appended when it has none)."""
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        return head + section.rstrip("\n") + tail
    return text.rstrip("\n") + "\n\n" + section


def readme_areas() -> str:
    from lockin_audit.catalogue import areas

    lines = [README_BEGIN, "Areas for `--only` (from the control catalogue, "
             "`lockin_audit/catalogue/`):"]
    lines += [f"`{a}` — {text}" + ("," if n < len(areas()) - 1 else ".")
              for n, (a, text) in enumerate(areas().items())]
    return "\n".join(lines) + "\n" + README_END + "\n"


def expected(root: Path) -> dict[Path, str]:
    """Every generated file as it should be, from its current hand-written parts."""
    out: dict[Path, str] = {}
    by_id = {p.id: p for p in platforms()}
    for pid, rel in PERMISSION_DOCS.items():
        path = root / rel
        current = (path.read_text(encoding="utf-8") if path.exists()
                   else NEW_DOC_HEADINGS.get(pid, f"# {by_id[pid].name}\n"))
        out[path] = with_section(current, permissions_section(by_id[pid]))
    readme = root / README
    if readme.exists():
        out[readme] = with_section(readme.read_text(encoding="utf-8"), readme_areas(),
                                   README_BEGIN, README_END)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path.cwd()
    for path, text in expected(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
