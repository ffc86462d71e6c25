"""Small rules for handling untrusted text and writing files safely (SECURITY.md).

A floor module: it imports nothing from lockin_audit, so every layer may use it.

- `printable()`: the one function that makes untrusted text (an answer's display name,
  an error reason quoting a server, a history row) safe to show on a terminal, in a log
  line or in a calendar file: control characters (C0, C1, DEL), Unicode format
  characters (bidirectional overrides, zero-width joiners) and line/paragraph separators
  become visible `\\xNN` / `\\uNNNN` escapes, so an answer cannot move the cursor, retitle
  the terminal, hide text or forge a line of our output.
- `write_private_text()` / `write_text_atomic()`: outputs are written to a new temporary
  file in the same folder and moved into place with `os.replace`, which replaces a
  symlink at the target path instead of following it (a planted link cannot make us
  overwrite its target) and never leaves a half-written file.
- `private_dir()`: a folder only the user can read (0700), for caches.
- `safe_yaml_load()`: YAML for files that hold rows of text (the inventory): no aliases
  to lists or mappings, so a small file cannot expand into gigabytes ("billion laughs").
"""

from __future__ import annotations

import os
import stat
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: Any, *, keep_newlines: bool = False, limit: int | None = None) -> str:
    """`value` as text with every character a terminal or calendar could act on made
    visible as an escape (`\\x1b`, `\\u202e`). Newlines are kept only with
    `keep_newlines` (multi-line fields of a file format); a tab becomes a space. `limit`
    cuts the text (with an ellipsis) before escaping, for one-line summaries."""
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    if text.isprintable():  # the common case: nothing to do
        return text
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) == "Zs":  # other spaces (no-break space): a space
            out.append(" ")
        else:
            out.append(_escape(ch))
    return "".join(out)


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) and make `path` itself readable by its owner only
    (0700); an existing folder we own is tightened to 0700 too."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        st = path.lstat()
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() \
                and stat.S_IMODE(st.st_mode) != 0o700:
            path.chmod(0o700)
    except (OSError, AttributeError):  # AttributeError: os.getuid on Windows
        pass
    return path


def is_private_dir(path: Path, *, others_may_read: bool = False) -> bool:
    """True when `path` is a real folder (not a link) owned by this user that nobody else
    may write to (nor read, unless `others_may_read`): safe to keep cached answers in."""
    try:
        st = path.lstat()
        mine = st.st_uid == os.getuid()
    except (OSError, AttributeError):
        return False
    closed = 0o022 if others_may_read else 0o077
    return stat.S_ISDIR(st.st_mode) and mine and not stat.S_IMODE(st.st_mode) & closed


def write_bytes_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> Path:
    """Write `data` to `path` through a new temporary file in the same folder and
    `os.replace`: a symlink (or anything else) at `path` is replaced, never followed, and
    readers see the old file or the new one, never half of one. `mode` is the new file's
    permission (0o600 for private files), before the umask for 0o644."""
    return write_chunks_atomic(path, (data,), mode=mode)


def write_chunks_atomic(path: Path, chunks: Iterable[bytes], *, mode: int = 0o644) -> Path:
    """`write_bytes_atomic` for data produced piece by piece (a streamed report: the
    whole file is never held in memory). An exception raised while producing the chunks
    removes the temporary file and leaves `path` as it was."""
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
        if mode != 0o600:  # mkstemp creates 0600; widen to the usual file mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, mode & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_text_atomic(path: Path, text: str, *, mode: int = 0o644) -> Path:
    """`write_bytes_atomic` for UTF-8 text."""
    return write_bytes_atomic(path, text.encode("utf-8"), mode=mode)


def write_private_text(path: Path, text: str) -> Path:
    """A file only its owner can read (0600), written as `write_text_atomic`."""
    return write_bytes_atomic(path, text.encode("utf-8"), mode=0o600)


class UnsafeYaml(ValueError):
    """The YAML uses an alias of a list or mapping (refused: it can expand without
    bound), or a tag we do not read."""


def safe_yaml_load(text: str, loader: Any = None) -> Any:
    """Parse YAML with PyYAML's safe loader (or `loader`, a SafeLoader subclass), refusing
    any alias (`*name`) that points at a list or a mapping. Aliases of plain values stay
    allowed (they cannot grow). Raises UnsafeYaml naming the line, or yaml.YAMLError."""
    import yaml

    base = loader or yaml.SafeLoader
    # compose (the node graph shares aliased nodes: no expansion yet), inspect, construct
    probe = base(text)
    try:
        node = probe.get_single_node()
    finally:
        probe.dispose()
    if node is None:
        return None
    _refuse_collection_aliases(node)
    builder = base("")
    try:
        return builder.construct_document(node)
    finally:
        builder.dispose()


def _refuse_collection_aliases(root: Any) -> None:
    import yaml

    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in seen:  # the same list or mapping node reached twice: an alias
            line = node.start_mark.line + 1
            raise UnsafeYaml(f"line {line}: this list or mapping is repeated by an alias "
                             "(*name); write the values out instead (aliases of lists and "
                             "mappings are refused: they can expand without bound)")
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


__all__ = ["UnsafeYaml", "is_private_dir", "printable", "private_dir", "safe_yaml_load",
           "write_bytes_atomic", "write_private_text", "write_text_atomic"]
