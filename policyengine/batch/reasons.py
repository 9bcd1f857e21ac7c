"""Why an engine hands rows to another, in Chinese.

The SQL translation (:mod:`.sql`) and the engines (:mod:`.native`, :mod:`.spark`) say in English why an
outcome is decided row-wise or why a file goes to the python engine: that text is stable (results and
tests carry it).  A Chinese note says the same through :func:`zh`, one table of the reasons' shapes; a
reason not in it is shown as it is (DuckDB's and Spark's own messages are English).
"""
from __future__ import annotations

import re

__all__ = ["zh"]

_Q = r"'([^']*)'"  # a name in quotes, as repr() writes one

_SHAPES: list[tuple[re.Pattern, str]] = [(re.compile(p + r"\Z"), t) for p, t in [
    # an outcome decided row-wise: "compliant of commissioner at cn/nm/ordos/dongsheng (the function max())"
    (r"(\S+) of (\S+) at (\S+) \((.*)\)", "{2} 的 {1} 的 {0}（{3!}）"),
    (r"an integer literal past the SQL bound", "超出 SQL 整数范围的数"),
    (r"a (\w+) literal \(exact decimals stay in Python\)", "{0} 类型的常数（精确小数留在 Python 中计算）"),
    (r"the (\w+) fact " + _Q, "{0} 类型的事实 '{1}'"),
    (r"a value rule with a condition inside an 'all' outcome", "“全部满足”结果中带条件的取值规则"),
    (r"the combination " + _Q, "组合方式 '{0}'"),
    (r"division \(exact decimals stay in Python\)", "除法（精确小数留在 Python 中计算）"),
    (r"decimal arithmetic", "小数运算"),
    (r"a product that may pass the bound", "可能超出范围的乘积"),
    (r"'in' over a list that is not written out", "对没有写出的列表做 in 判断"),
    (r"the function (\w+)\(\)", "函数 {0}()"),
    (r"(\w+) expressions inside an aggregate", "聚合里的 {0} 表达式"),
    (r"(\w+) expressions", "{0} 表达式"),
    (r"aggregate expressions over a list that is not a fact", "对不是事实的列表做聚合"),
    (r"aggregate expressions over a list that is not of plain records", "对不是简单记录的列表做聚合"),
    (r"(\w+)\(\) over (\w+) values", "对 {1} 值做 {0}()"),
    (r"the aggregate (\w+)\(\)", "聚合函数 {0}()"),
    (r"comparing values other than numbers, dates and text", "比较数字、日期、文字以外的值"),
    (r"null inside an aggregate", "聚合里的空值（null）"),
    (r"the field " + _Q, "字段 '{0}'"),
    (r"a record used whole inside an aggregate", "在聚合里整体使用一条记录"),
    (r"an ordered comparison of enums inside an aggregate", "在聚合里按顺序比较枚举值"),
    # why DuckDB or Spark leaves a file to the python engine
    (r"(\w+) input", "{0} 输入"),
    (r"an input with no columns", "输入没有任何列"),
    (r"a quoted cell followed by spaces, which DuckDB drops and the python engine keeps",
     "有加引号的单元格后面跟着空格（DuckDB 会丢掉这些空格，python 引擎保留）"),
    (r"an outcome of a type SQL does not hold exactly", "有结果的类型 SQL 无法精确表示"),
    (r"DuckDB reads other columns than the python engine", "DuckDB 读出的列与 python 引擎不同"),
    (r"Spark reads other columns than the python engine", "Spark 读出的列与 python 引擎不同"),
    (r"the carried column " + _Q + r" of type (.+), which DuckDB writes otherwise than the python engine",
     "随行输出的列 '{0}'（类型 {1}）DuckDB 写出的样子与 python 引擎不同"),
    (r"the carried column " + _Q + r" of type (.+), which Spark writes otherwise than the python engine",
     "随行输出的列 '{0}'（类型 {1}）Spark 写出的样子与 python 引擎不同"),
    (r"the carried column " + _Q + r" of type (.+), which DuckDB writes as (.+)",
     "随行输出的列 '{0}'（类型 {1}）DuckDB 会写成 {2}"),
    (r"a carried column of a type that Parquet does not keep", "有随行输出的列的类型 Parquet 无法保存"),
    (r"more than ([\d,]+) distinct subject, jurisdiction and as_of", "subject、jurisdiction、as_of 的不同组合超过 {0} 个"),
    (r"the rows' subject, jurisdiction and as_of name their programs in more than (\d+) ranges",
     "各行的 subject、jurisdiction、as_of 所对应的规则程序超过 {0} 段"),
    (r"fewer than ([\d,]+) rows per program: planning would take longer than deciding",
     "每个规则程序不到 {0} 行：规划查询比计算还慢"),
    (r"a (\w+) column of type (.+)", "{1} 类型的 {0} 列"),
    (r"the column " + _Q + r" is named like one of the engine's own columns", "列 '{0}' 与引擎自己的列同名"),
    (r"the column names " + _Q + r" and " + _Q + r" differ only in case", "列名 '{0}' 与 '{1}' 只有大小写不同"),
    (r"a row with another number of cells than the header, or a blank line", "有一行的单元格个数与表头不同，或有空行"),
    (r"a text that is not UTF-8", "有文字不是 UTF-8 编码"),
    (r"DuckDB: Invalid Input Error: CSV Error on Line: (\d+)", "DuckDB 无法按 CSV 标准读取第 {0} 行"),
    (r"DuckDB: (.*)", "DuckDB：{0}"),
]]


def zh(reason: str) -> str:
    """``reason`` (one of the engines' English reasons) in Chinese; a reason of another shape as it is."""
    for pattern, template in _SHAPES:
        m = pattern.match(reason)
        if m:
            parts = [zh(g) if f"{{{i}!}}" in template else g for i, g in enumerate(m.groups())]
            return template.replace("!}", "}").format(*parts)
    return reason
