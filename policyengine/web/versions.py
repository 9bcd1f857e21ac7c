"""Policy versions for /diff: the policies being served, or a git revision of the folder they
were loaded from.  A revision is checked against a narrow pattern and resolved to a commit
before git is asked for anything; versions are read into a temporary folder (never into the
served one) and kept, by commit, in a small cache."""
from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from .. import Diagnostic, Policies, PolicyError
from ..diagnostics import Text
from ..api import find_rule_files, load_rule_files

SERVED = "served"
_REV = re.compile(r"^(?:git:)?([A-Za-z0-9][A-Za-z0-9._/~^-]{0,99})$")


class RevisionErrors(PolicyError):
    """A revision whose rule files have errors: those errors, and ``names``, each of its files (read into a
    temporary folder, gone since) → the name a page shows it by (``HEAD~1: folder/file.yaml``)."""

    def __init__(self, rev: str, errors, names: dict[str, str]):
        super().__init__(list(errors))
        self.rev, self.names = rev, names


def _within(f: Path, roots: list[Path]) -> str:
    """A file's path inside the folder it was read from (its own name where that is the file itself)."""
    for root in roots:
        try:
            inside = Path(f).relative_to(root).as_posix()
        except ValueError:
            continue
        return Path(f).name if inside == "." else inside
    return Path(f).name


def _refuse(message: Text, hint: Text | None = None) -> PolicyError:
    return PolicyError(Diagnostic("PE070", message, None, hint=hint))


class Versions:
    def __init__(self, served: Policies, paths: list[Path], keep: int = 4):
        """``paths``: the folders (or files) the served policies were loaded from; a git revision is read
        from the same places in their repository."""
        self.served, self.paths = served, list(paths)
        self._cache: OrderedDict[str, Policies] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def _git(self, *args: str, cwd: Path) -> bytes:
        try:
            p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise _refuse(Text(f"无法运行 git：{type(e).__name__}", f"cannot run git: {type(e).__name__}"))
        if p.returncode != 0:
            said = p.stderr.decode(errors='replace').strip()[:300]
            raise _refuse(Text(f"git {args[0]} 失败：{said}", f"git {args[0]}: {said}"))
        return p.stdout

    def get(self, spec: str) -> tuple[Policies, str]:
        """The policies of ``spec`` (``served`` or a git revision) and how to name them."""
        spec = (spec or "").strip()
        if spec in ("", SERVED):
            return self.served, SERVED
        m = _REV.match(spec)
        if not m or ".." in spec:
            raise _refuse(Text(f"{spec[:100]!r} 不是一个版本", f"{spec[:100]!r} is not a version"),
                          Text("填 served（当前提供的规则），或一个 git 版本，如 HEAD~1", "served, or a git revision such as HEAD~1"))
        not_in_git = _refuse(Text("当前提供的规则不在 git 管理的文件夹中", "the served policies are not a folder in git"),
                             Text("只能与 served 比较", "only served can be compared"))
        if not self.paths or not all(p.exists() for p in self.paths):
            raise not_in_git
        rev = m.group(1)
        tops, prefixes = set(), []
        for path in self.paths:  # each served folder or file, as a path inside its repository
            at = path if path.is_dir() else path.parent
            try:
                tops.add(Path(self._git("rev-parse", "--show-toplevel", cwd=at).decode().strip()))
            except PolicyError:
                raise not_in_git from None
            inside = self._git("rev-parse", "--show-prefix", cwd=at).decode().strip().strip("/")
            prefixes.append(inside if path.is_dir() else "/".join(filter(None, (inside, path.name))))
        if len(tops) > 1:
            raise _refuse(Text("当前提供的规则分属几个 git 仓库，无法取同一个版本", "the served policies lie in several git repositories"),
                          Text("只能与 served 比较", "only served can be compared"))
        top = tops.pop()
        try:
            commit = self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=top).decode().strip()
        except PolicyError:
            raise _refuse(Text(f"没有这个 git 版本：{rev!r}", f"unknown git revision {rev!r}"),
                          Text("填一个提交、分支或标签，如 HEAD~1", "a commit, branch or tag, such as HEAD~1")) from None
        with self._lock:
            if commit in self._cache:
                self._cache.move_to_end(commit)
                return self._cache[commit], rev
        data = self._git("archive", "--format=tar", commit, "--", *[p or "." for p in prefixes], cwd=top)
        with tempfile.TemporaryDirectory(prefix="policyengine-web-") as tmp:
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                try:
                    tar.extractall(tmp, filter="data")
                except tarfile.FilterError as e:  # a link out of the folder, an absolute path: never followed
                    name = getattr(getattr(e, "tarinfo", None), "name", "?")[:200]
                    raise _refuse(Text(f"{rev} 中的 {name!r} 指向规则文件夹之外，不读取这个版本",
                                       f"{name!r} in {rev} points outside the rule folders: the revision is not read"),
                                  Text("规则文件夹里只放规则文件，不放链接", "keep rule files, not links, in the folders")) from None
            read = [Path(tmp) / p if p else Path(tmp) for p in prefixes]
            ps = load_rule_files(read)
            if ps.errors:  # (each file named as in the folder served: nothing of the temporary folder)
                names = {str(f): f"{rev}: {_within(f, read)}" for f in find_rule_files(read)}
                raise RevisionErrors(rev, ps.errors, {**names, tmp: rev})  # (a file's path before the folder's)
        pol = Policies(ps)
        with self._lock:
            self._cache[commit] = pol
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
        return pol, rev
