"""Why a folder cannot be written, said by the real cause with its fix."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from wyoming_polytts.storage import unwritable_reason


def test_a_missing_folder_is_made_with_its_parents(tmp_path: Path) -> None:
    assert unwritable_reason(tmp_path / "a" / "b") is None
    assert (tmp_path / "a" / "b").is_dir()


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("afile", "{tmp}/afile is a file, not a folder: move it away"),
        (
            "afile/models",
            "cannot make {tmp}/afile/models: {tmp}/afile is a file, not a folder: move it away",
        ),
        (
            "afile/a/b",
            "cannot make {tmp}/afile/a/b: {tmp}/afile is a file, not a folder: move it away",
        ),
    ],
)
def test_a_file_in_the_way(tmp_path: Path, target: str, reason: str) -> None:
    (tmp_path / "afile").write_text("")
    assert unwritable_reason(tmp_path / target) == reason.format(tmp=tmp_path)


def test_a_read_only_mount(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a read-only bind mount (making one needs privileges this test does without)."""
    real = os.statvfs

    def statvfs(path: Path) -> object:
        flags = real(path).f_flag | (os.ST_RDONLY if Path(path) == tmp_path else 0)
        return SimpleNamespace(f_flag=flags)

    monkeypatch.setattr(os, "statvfs", statvfs)
    assert unwritable_reason(tmp_path) == (
        f"{tmp_path} is on a read-only file system: mount it writable"
    )
    assert unwritable_reason(tmp_path / "models") == (
        f"cannot make {tmp_path / 'models'}: {tmp_path} is on a read-only file system: "
        "mount it writable"
    )


@pytest.mark.parametrize("owner_is_us", [True, False])
def test_a_folder_this_user_may_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner_is_us: bool
) -> None:
    """Root passes every permission check, so the check is made to answer no; the advice
    depends on who owns the folder: chown to another user's, chmod to our own."""
    uid = os.getuid()
    owner = uid if owner_is_us else uid + 1000
    real_stat = Path.stat

    def stat(path: Path, **kwargs: object) -> object:
        result = real_stat(path, **kwargs)  # type: ignore[arg-type]
        if path == tmp_path:
            return SimpleNamespace(st_uid=owner, st_mode=result.st_mode)
        return result

    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    monkeypatch.setattr(Path, "stat", stat)
    expected = (
        f"{tmp_path} is not writable by its owner, user {uid}: chmod u+wx {tmp_path}"
        if owner_is_us
        else f"{tmp_path} belongs to user {owner}, this server runs as user {uid}: "
        f"chown {uid} {tmp_path}"
    )
    assert unwritable_reason(tmp_path) == expected
