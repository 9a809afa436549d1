"""Files written whole or not at all.

Every file subzero writes for a user (forecast CSVs and reports, plots, plan and
simulation outputs, exchange files) goes through :func:`replacing`: the content is
written to a temporary file beside the target, flushed to disk, and then renamed over
the target in one step. A reader, or a script waiting for the file, sees the old file or
the new one, never half of one, and a run that fails or is killed while writing leaves
the old file as it was. Files subzero reads (histories, catalogues, exchange files) may
come from a spreadsheet: :func:`csv_delimiter` finds their separator. Standard library
only, so any layer may use it (:func:`save_figure` imports matplotlib when called).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["csv_delimiter", "replacing", "save_figure"]


def csv_delimiter(path: str | os.PathLike[str]) -> str:
    """``,``, or ``;`` / tab when the header line has one of those and no comma: a CSV
    saved by a spreadsheet where the decimal mark is a comma. A file whose first line
    cannot be read as UTF-8 gets ``,`` (its reader then says what is wrong)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = handle.readline()
    except UnicodeDecodeError:
        return ","
    if "," in header:
        return ","
    return next((sep for sep in (";", "\t") if sep in header), ",")


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A path to write the new content of ``path`` to; when the block ends normally it
    replaces ``path`` in one step, when it raises it is removed and ``path`` is untouched.

    The new file gets the old one's permissions, or for a new file those a plain
    ``open(path, "w")`` would give (the umask applies). A symbolic link is followed: the
    file it points to is replaced, the link stays. A target that exists and is not a
    regular file (``/dev/stdout``, a FIFO, a device) cannot be replaced: it is written in
    place, as before; so is an existing, writable file in a folder where no new file may
    be created. The temporary file keeps the target's suffix, so writers that choose a
    format by suffix (matplotlib, pandas' compression) behave the same.
    """
    target = Path(path)
    if target.exists() and not target.is_file():  # followed through links: /dev/stdout
        yield target  # to a pipe resolves to no path at all ("pipe:[…]")
        return
    if target.is_symlink():
        target = target.resolve()
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    try:
        temporary = _create_beside(target)
    except PermissionError:
        if mode is None or not os.access(target, os.W_OK):
            raise
        temporary = None  # a folder that takes no new files, but this one may be rewritten
    if temporary is None:
        yield target
        return
    try:
        if mode is not None:
            temporary.chmod(mode)
        yield temporary
        _flush_to_disk(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def save_figure(fig: Any, path: str | os.PathLike[str], **savefig: Any) -> None:
    """Save a matplotlib figure whole (:func:`replacing`; the format follows the
    suffix) and close it, also when saving fails."""
    import matplotlib.pyplot as plt

    try:
        with replacing(path) as partial:
            fig.savefig(partial, **savefig)
    finally:
        plt.close(fig)


def _create_beside(target: Path) -> Path:
    """An empty new file in the target's folder, named after it (``.NAME.TOKEN.SUFFIX``),
    created exclusively with mode 0o666 so the umask decides, as for ``open``."""
    while True:
        candidate = target.with_name(f".{target.stem}.{secrets.token_hex(4)}{target.suffix}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate


def _flush_to_disk(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
