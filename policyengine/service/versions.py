"""A policy version: the exact bytes of its rule files, and the digest that names it.

The digest is ``sha256:`` over a canonical manifest — each file's path relative to
the folder the files share and the SHA-256 of its bytes, sorted by path — so the
same files give the same version wherever they are on disk.  The log stores the
files once by their own digest, so any logged decision can be re-evaluated under
the version that made it.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

__all__ = ["PolicyVersion", "file_digest"]


def file_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class PolicyVersion:
    digest: str
    files: tuple[tuple[str, bytes], ...]  # (relative POSIX path, bytes), sorted by path

    @classmethod
    def of(cls, files: Iterable[tuple[str, bytes]]) -> "PolicyVersion":
        files = tuple(sorted(files))
        return cls(digest_of(files), files)

    @classmethod
    def read(cls, paths: Iterable[str | Path]) -> "PolicyVersion":
        """The rule files that ``Policies.load(*paths)`` reads (folders are searched for *.yaml)."""
        from ..api import find_rule_files

        found = [p.resolve() for p in find_rule_files(paths)]
        if not found:
            return cls.of(())
        root = Path(os.path.commonpath([str(p.parent) for p in found]))
        return cls.of((p.relative_to(root).as_posix(), p.read_bytes()) for p in found)

    def manifest(self) -> list[list[str]]:
        return [[path, file_digest(data)] for path, data in self.files]

    def materialise(self, folder: str | Path) -> Path:
        """Write the files under ``folder`` (paths are checked to stay inside it)."""
        root = Path(folder)
        for path, data in self.files:
            rel = PurePosixPath(path)
            if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                raise ValueError(f"unsafe path in a stored policy version: {path!r}")
            target = root.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return root

    def load(self):
        """The :class:`~policyengine.Policies` of this version, read from a temporary copy of its files."""
        from .. import Policies

        with tempfile.TemporaryDirectory(prefix="policyengine-version-") as tmp:
            return Policies.load(self.materialise(tmp))


def digest_of(files: Iterable[tuple[str, bytes]]) -> str:
    manifest = [[path, file_digest(data)] for path, data in files]
    text = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
    return file_digest(text.encode("utf-8"))
