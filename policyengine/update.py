"""``policyengine test --update``: rewrite the expectations of failing cases.

After a legitimate change of the rules, the expected values of many cases change with it.
Each file's new text is shown as a diff of the file, then written only when the officer
agrees (or ``--yes``): with no one to ask (stdin not a terminal) and no ``--yes``, nothing is
written.  Only the expected values (``expect:``) are rewritten, in place (comments, order and
layout kept, :mod:`policyengine.rewrite`); a case that fails otherwise — it should have been
refused, it was refused, an outcome expected absent was produced, the file is malformed — is
named for the officer to edit by hand.
"""
from __future__ import annotations

import difflib
from pathlib import Path

from .diagnostics import printable
from .load import _decode
from .rewrite import Changed, NotRewritable, rewrite, write_atomic

__all__ = ["update_expectations"]

_WORDS = {
    "zh": {"ask": "重写 {file} 中的 {n} 个期望值？[y/N] ", "no_tty": "未重写 {file}：没有终端可以询问；确认上面的改动后，加 --yes 再运行\n",
           "declined": "未重写 {file}\n", "wrote": "已重写 {file} 中的 {n} 个期望值\n",
           "changed": "未重写 {file}：测试运行后文件已被改动；请重新运行 policyengine test --update\n",
           "cannot": "未重写 {file}：{what} 无法原地改写，请手工修改\n",
           "manual": "以下失败不能自动更新，请手工修改：\n", "header": "\n--update：失败个案的期望值改为实际结果\n"},
    "en": {"ask": "rewrite {n} expected value(s) in {file}? [y/N] ",
           "no_tty": "{file} not rewritten: no terminal to ask; check the change above and run again with --yes\n",
           "declined": "{file} not rewritten\n", "wrote": "rewrote {n} expected value(s) in {file}\n",
           "changed": "{file} not rewritten: the file changed after the tests read it; run policyengine test --update again\n",
           "cannot": "{file} not rewritten: {what} cannot be rewritten in place; edit it by hand\n",
           "manual": "these failures cannot be updated; edit them by hand:\n",
           "header": "\n--update: the expected values of failing cases set to what they give now\n"},
}
_YES = {"y", "yes", "是", "好", "确定"}


def update_expectations(files, failed, lang: str, out, *, yes: bool = False, ask=None) -> int:
    """Rewrite each test file's failing expectations; 0 when every failure was rewritten."""
    w = _WORDS[lang]
    out.write(w["header"])
    done = True
    manual = [r for r in failed if r.manual]
    for path, lf in files:
        mine = [r for r in failed if r.file == str(path) and r.updates]
        if not mine:
            continue
        shown = printable(str(path))
        updates = {where: value for r in mine for where, value in r.updates}
        try:
            before = Path(path).read_bytes()
            if _decode(before, str(path)) != lf.source.text:
                raise Changed(str(path))
            text = rewrite(lf, updates)
        except Changed:
            out.write(w["changed"].format(file=shown))
            done = False
            continue
        except NotRewritable as e:
            out.write(w["cannot"].format(file=shown, what=printable(str(e))))
            done = False
            continue
        diff = difflib.unified_diff(lf.source.text.splitlines(), text.splitlines(), str(path), str(path), lineterm="")
        out.write("".join(printable(line) + "\n" for line in diff))
        if not yes:
            if ask is None:
                out.write(w["no_tty"].format(file=shown))
                done = False
                continue
            try:
                answer = ask(w["ask"].format(file=shown, n=len(updates)))
            except EOFError:
                answer = ""
            if answer.strip().lower() not in _YES:
                out.write(w["declined"].format(file=shown))
                done = False
                continue
        try:
            write_atomic(path, before, text)
        except Changed:
            out.write(w["changed"].format(file=shown))
            done = False
            continue
        out.write(w["wrote"].format(file=shown, n=len(updates)))
    if manual:
        out.write(w["manual"] + "".join(f"  {printable(r.file)}{f':{r.line}' if r.line else ''}: {printable(r.name)}\n" for r in manual))
    return 0 if done and not manual else 1
