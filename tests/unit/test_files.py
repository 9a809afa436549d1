"""``subzero.files.replacing``: a file is replaced whole or not at all, with the
permissions a plain write would give, never through a symlink or over a device."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from subzero.files import csv_delimiter, replacing


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_new_content_replaces_the_old_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "forecast.csv"
    target.write_text("old\n")
    with replacing(target) as partial:
        assert partial.parent == tmp_path and partial.suffix == ".csv"  # same folder, suffix
        assert partial != target
        partial.write_text("new\n")
        assert target.read_text() == "old\n"  # nobody sees the new file before it is whole
    assert target.read_text() == "new\n"
    assert _listing(tmp_path) == ["forecast.csv"]


def test_a_failure_while_writing_leaves_the_old_file_and_no_litter(tmp_path: Path) -> None:
    target = tmp_path / "forecast.csv"
    target.write_text("unique_id,ds,mean\nA,2026-01-01,3\n")
    with pytest.raises(OSError, match="No space left"), replacing(target) as partial:
        partial.write_text("unique_id,ds,me")
        raise OSError(28, "No space left on device")
    assert target.read_text() == "unique_id,ds,mean\nA,2026-01-01,3\n"
    assert _listing(tmp_path) == ["forecast.csv"]


def test_a_failure_before_the_first_file_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "plot.png"
    with pytest.raises(KeyboardInterrupt), replacing(target):
        raise KeyboardInterrupt  # a planner's Ctrl-C
    assert _listing(tmp_path) == []


def test_permissions_are_those_of_a_plain_write_or_of_the_old_file(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        with replacing(tmp_path / "new.csv") as partial:
            partial.write_text("x\n")
        with open(tmp_path / "plain.csv", "w") as handle:  # the reference: a plain open
            handle.write("x\n")
    finally:
        os.umask(previous)
    mode = stat.S_IMODE((tmp_path / "new.csv").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.csv").stat().st_mode) == 0o640

    shared = tmp_path / "shared.csv"
    shared.write_text("old\n")
    shared.chmod(0o664)
    with replacing(shared) as partial:
        partial.write_text("new\n")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664


def test_a_symlink_stays_and_its_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "2026-12-03.csv"
    real.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    with replacing(link) as partial:
        assert partial.parent == real.parent
        partial.write_text("new\n")
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text() == "new\n"


def test_a_device_is_written_in_place_never_replaced() -> None:
    """``--output /dev/stdout`` or ``/dev/null`` must keep working, and as root a rename
    over ``/dev/null`` would replace the device with a plain file."""
    with replacing("/dev/null") as partial:
        assert partial == Path("/dev/null")
        partial.write_text("discarded\n")
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_a_link_to_a_pipe_is_written_in_place(tmp_path: Path) -> None:
    """``--output /dev/stdout`` piped into another program: /dev/stdout links to
    /proc/self/fd/1, which names "pipe:[…]", no path at all (found by exploratory
    testing: "No such file or directory")."""
    import subprocess
    import sys

    code = (
        "from subzero.files import replacing\n"
        "with replacing('/dev/stdout') as out:\n"
        "    out.write_text('through the pipe\\n')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, check=True
    )
    assert done.stdout == "through the pipe\n"


@pytest.mark.parametrize(
    ("first_line", "delimiter"),
    [
        ("unique_id,ds,y\n", ","),
        ("unique_id;ds;y\r\n", ";"),  # a spreadsheet where the decimal mark is a comma
        ("\ufeffsku;policy;demand\n", ";"),  # with a byte-order mark
        ("unique_id\tds\ty\n", "\t"),
        ("name,note\n", ","),
        ("sku,comment;free text\n", ","),  # a comma in the header decides
        ("y\n", ","),  # one column: nothing to tell
        ("", ","),  # empty file: its reader says so
    ],
)
def test_csv_delimiter_from_the_header(tmp_path: Path, first_line: str, delimiter: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(first_line + "1,2,3\n" if first_line else "", encoding="utf-8")
    assert csv_delimiter(path) == delimiter


def test_csv_delimiter_of_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"\xff\xfe\x00binary;data")
    assert csv_delimiter(path) == ","


def test_a_folder_that_takes_no_new_files_still_lets_a_writable_file_be_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(Root creates files anywhere, so the refusal is simulated.)"""
    import subzero.files as files

    def refused(target: Path) -> Path:
        raise PermissionError(13, "Permission denied", str(target.parent))

    monkeypatch.setattr(files, "_create_beside", refused)
    existing = tmp_path / "forecast.csv"
    existing.write_text("old\n")
    with replacing(existing) as partial:
        assert partial == existing
        partial.write_text("new\n")
    assert existing.read_text() == "new\n"
    with pytest.raises(PermissionError), replacing(tmp_path / "new.csv"):
        pass  # a new file cannot be made there at all: said, not hidden


def test_save_figure_writes_whole_and_always_closes(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from subzero.files import save_figure

    target = tmp_path / "plot.svg"
    target.write_text("old picture")
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    save_figure(fig, target)
    assert "<svg" in target.read_text() and not plt.fignum_exists(fig.number)
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="not supported"):
        save_figure(fig, tmp_path / "plot.nope")  # matplotlib knows no such format
    assert not plt.fignum_exists(fig.number)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plot.svg"]  # nothing left beside
