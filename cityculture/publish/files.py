"""The files of a published site: written only when their bytes change, stale ones removed.

Republishing a store that changed a little should not rewrite thousands of unchanged pages
(a static host or a mirror then copies only what changed, and caches stay valid), and must
not leave behind the pages of resources that are gone. Each file is compared with what the
folder holds and replaced atomically (a temporary file renamed over it) only when it
differs; the manifest (``site.json``) lists every file a publish wrote, so the next publish
removes exactly those it no longer produces and never touches anything else in the folder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath


class SiteFiles:
    """Writes site files by site path (``city/Q90.html``), counting what really changed."""

    def __init__(self, outdir: Path, previous: Iterable[str] = ()) -> None:
        """Write under ``outdir``; ``previous`` lists the files the last publish wrote."""
        self.outdir = outdir
        self.previous = set(previous)
        self.produced: set[str] = set()
        self.rewritten: list[str] = []
        self.removed: list[str] = []
        self._folders: set[Path] = set()

    def path(self, path: str) -> Path:
        """Return the file of a site path, refusing one that would leave the folder."""
        parts = PurePosixPath(path).parts
        if not parts or path.startswith("/") or ".." in parts:
            raise ValueError(f"not a site path: {path!r}")
        return self.outdir.joinpath(*parts)

    def write(self, path: str, data: bytes) -> bool:
        """Write one file unless it already holds ``data``; return whether it was written."""
        target = self.path(path)
        self.produced.add(path)
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".publish-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.rewritten.append(path)
        return True

    def remove_stale(self) -> list[str]:
        """Remove the files the last publish wrote and this one did not; prune empty folders."""
        root = self.outdir.resolve()
        for path in sorted(self.previous - self.produced):
            try:
                target = self.path(path)
            except ValueError:
                continue  # never follow a manifest entry out of the folder
            if not target.resolve().is_relative_to(root):
                continue  # nor through a symbolic link
            if target.is_file():
                target.unlink()
                self.removed.append(path)
                folder = target.parent
                while folder != self.outdir and folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
                    folder = folder.parent
        return self.removed
