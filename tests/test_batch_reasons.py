"""Every reason an engine gives for handing rows on (row-wise outcomes, a file left to the python engine) has
its Chinese: a Chinese note said them in English."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from policyengine.batch.reasons import zh

BATCH = Path(__file__).resolve().parent.parent / "policyengine" / "batch"


def _raised_reasons() -> list[str]:
    """The reasons raised in the batch engines, f-strings with a sample value in each hole."""
    out = []
    for path in sorted(BATCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and getattr(node.exc.func, "id", "") in (
                    "Untranslatable", "NotNative", "NotSpark") and node.exc.args:
                arg = node.exc.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.append(arg.value)
                elif isinstance(arg, ast.JoinedStr):  # each hole as a value of its kind: 'name', 1,000 or 9
                    out.append("".join(v.value if isinstance(v, ast.Constant) else "'x'" if v.conversion == ord("r")
                                       else "1,000" if v.format_spec else "9" for v in arg.values))
    return out


@pytest.mark.parametrize("reason", [r for r in _raised_reasons() if r != "9"])  # ('9': a reason passed on as it is)
def test_every_reason_raised_has_its_chinese(reason):
    said = zh(reason)
    assert said != reason and (re.search("[\u4e00-\u9fff]", said) or said.startswith("DuckDB：")), reason


def test_an_outcome_decided_row_wise_is_said_in_chinese_whole():
    assert zh("compliant of commissioner at cn/nm/ordos/dongsheng (the function max())") == \
        "cn/nm/ordos/dongsheng 的 commissioner 的 compliant（函数 max()）"
    assert zh("a reason of another shape") == "a reason of another shape"
