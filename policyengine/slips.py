"""The slips a policy officer makes on a Chinese keyboard, and what to say about them.

Read only when the YAML parser has already refused a file (nothing here runs for a valid
file): the lines up to the parser's place are searched for the likeliest cause — a
full-width colon after a key, a tab in the indentation, full-width brackets or quotes
used as YAML syntax — and the message names that spot and the fix, in Chinese and
English.  Otherwise the parser's own words are put into plain language.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .diagnostics import Text

__all__ = ["Slip", "find_slip", "unclosed_quote", "explain_parser_message", "BANG_FOR_NOT", "BANG_HINT"]


class Slip(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based
    message: Text
    hint: Text


# a key (no quotes, no colon) followed by a full-width colon, at the start of a line or list item
_FULLWIDTH_COLON = re.compile(r"^(?P<lead>[ ]*(?:-[ ]+)?)(?P<key>[^\s#'\"：:\-][^#'\"：:]*?)[ ]*：")
_TAB = re.compile(r"^[ ]*(\t)")
# a full-width comma between the entries of a { } mapping: '{zh: 次， en: times}'
_FULLWIDTH_COMMA = re.compile(r"\{[^}]*?(，)[ ]*[A-Za-z_][\w-]*[ ]*:[ ]")
# a full-width space in the indentation, or after a key's colon: 'value:　2'
_FULLWIDTH_SPACE = re.compile("^[ ]*(\u3000)|^[ ]*(?:-[ ]+)?[^\\s:#'\"]+:(\u3000)")  # ('note: 　　原文' is text)
_BLOCK_START = re.compile(r"(?:^|[:\-][ ]+)[|>][+-]?[0-9]?[ ]*(?:#.*)?$")
# a list item's dash with no space after it: '-id: x' is read as a key '-id', not as an item
_DASH_NO_SPACE = re.compile(r"^[ ]*(-)(?P<key>[^\s\-#'\"][^:#'\"]*):(?:[ ]|$)")
# full-width brackets where YAML syntax expects ASCII ones: after 'key: ' or '- '
_FULLWIDTH_OPEN = re.compile(r"^[ ]*(?:-[ ]+|[^#'\"]*?:[ ]+)([［｛（])")
# a value that starts with a single '!' (YAML's tag sign), as in 'check: !(year == 2024)'
_BANG = re.compile(r"^[ ]*(?:-[ ]+|[^#'\"]*?:[ ]+)(!)(?![!<])")
BANG_FOR_NOT = Text("“不”不能写成“!”：值以“!”开头时，YAML 会把它当成标签",
                    "'!' is not how to write 'not': YAML reads a value that starts with '!' as a tag")
BANG_HINT = Text("“不”写成 not (…)，并把整个表达式放在引号里，例如 \"not (year == 2024)\"",
                 "write 'not (…)' and quote the whole expression, e.g. \"not (year == 2024)\"")
_FULLWIDTH_QUOTE = re.compile(r"^[ ]*(?:-[ ]+|[^#'\"]*?:[ ]+)([“”‘’])")

# (group 1 runs up to the key: a list item's keys line up after its '- ')
_KEY_WITH_VALUE = re.compile(r"^([ ]*(?:-[ ]+)?)[^\s#'\"-][^:#'\"]*:[ ]+[^\s#]")
_KEY = re.compile(r"^[ ]*[^\s#'\"-][^:#'\"]*:(?:[ ]|$)")

_NAMES = {"［": ("[", "全角方括号"), "｛": ("{", "全角花括号"), "（": ("(", "全角圆括号")}



_WINDOW = 2  # a slip is reported on its own line or up to two lines later
_LONGEST = 4000  # a longer line is no officer's slip (and is not searched)


def find_slip(text: str, error_line: int) -> Slip | None:
    """The last slip on the lines from ``error_line - 2`` to ``error_line`` (1-based)."""
    found = None
    first = max(1, error_line - _WINDOW)
    lines = text.split("\n", error_line)[:error_line]
    block = _block_mask(lines)
    # the last two lines before this one with something on them: (line number, text)
    above: list[tuple[int, str]] = []
    for k in range(first - 2, -1, -1):
        if k < len(lines) and lines[k].strip() and not lines[k].lstrip(" ").startswith("#") and not block[k]:
            above.insert(0, (k + 1, lines[k].rstrip("\r")))
            if len(above) == 2:
                break
    for n, line in enumerate(lines[first - 1:], start=first):
        line = line.rstrip("\r")
        if not line.strip() or len(line) > _LONGEST or line.lstrip(" ").startswith("#") or block[n - 1]:
            continue  # (a line of a block text is text: 'Reading 5: …' under 'en: >-' is no key)
        before = above[-2] if len(above) >= 2 else None
        prev_n, prev = above[-1] if above else (0, None)
        above = [*above[-1:], (n, line)]
        m = _KEY_WITH_VALUE.match(prev or "")
        here = len(line) - len(line.lstrip(" "))
        if (m and _KEY.match(line) and here > len(m.group(1)) and before is not None and _KEY.match(before[1])
                and len(before[1]) - len(before[1].lstrip(" ")) == here and not before[1].rstrip().endswith(":")):
            # either this line is indented too much, or the line above too little (its neighbours agree): the
            # text cannot tell which (a key of the mapping above, or of the one before it), so both are said
            short = here - len(m.group(1))
            found = Slip(n, len(m.group(1)) + 1,
                         Text(f"这一行和上一行（第 {prev_n} 行）的缩进对不上：这一行多缩进了 {short} 个空格，"
                              f"或者上一行少缩进了 {short} 个空格",
                              f"this line and the one above (line {prev_n}) do not line up: this line is indented "
                              f"{short} space(s) too much, or the line above {short} too little"),
                         Text(f"第 {prev_n} 行属于它上面那一组时，在它前面加 {short} 个空格；否则删去这一行多出的 {short} 个空格",
                              f"if line {prev_n} belongs with the lines above it, put {short} more space(s) before it; "
                              f"otherwise remove the {short} extra space(s) here"))
            continue
        if m and _KEY.match(line) and here > len(m.group(1)):
            found = Slip(n, len(m.group(1)) + 1, Text(f"这一行比上一行多缩进了 {here - len(m.group(1))} 个空格",
                                    f"this line is indented {here - len(m.group(1))} space(s) more than the line above"),
                         Text("同一级的键要从同一列开始；上一行已经写了值，下面的行不能再多缩进，请删去多出的空格",
                              "keys of one level start in the same column; the line above already has its value, "
                              "so nothing may be indented under it"))
            continue
        item = _item_above(lines, n - 1, here) if _KEY.match(line) else None
        if item is not None:
            column, first = item
            key = line.strip().split(":")[0]
            found = Slip(n, here + 1, Text(f"“{key}”没有和同一列表项里的“{first}”对齐",
                                           f"'{key}' does not line up with '{first}', the other key of its list item"),
                         Text(f"同一列表项里的键要从同一列开始：在“{key}”前面加 {column - here} 个空格，让它和“{first}”对齐",
                              f"the keys of one list item start in the same column: put {column - here} more space(s) "
                              f"before '{key}' so that it lines up with '{first}'"))
            continue
        m = _DASH_NO_SPACE.match(line)
        if m:
            key = m.group("key")
            found = Slip(n, m.start(1) + 1, Text(f"“-”后面少了一个空格：“-{key}:”不是一个列表项",
                                                 f"a space is missing after '-': '-{key}:' does not start a list item"),
                         Text(f"在“-”后面加一个空格：- {key}: …", f"put a space after '-': - {key}: …"))
            continue
        m = _FULLWIDTH_COMMA.search(line)
        if m:
            found = Slip(n, m.start(1) + 1, Text("花括号里的项要用半角逗号“,”分开，这里是全角逗号“，”",
                                                 "the entries inside { } are separated by an ASCII comma; this is a full-width '，'"),
                         Text("把“，”改为半角逗号加一个空格“, ”", "write an ASCII comma and a space: ', '"))
            continue
        m = _FULLWIDTH_SPACE.match(line)
        if m:
            found = Slip(n, (m.start(1) if m.group(1) else m.start(2)) + 1,
                         Text("这里有全角空格（　）：YAML 的缩进和冒号后面只能用半角空格",
                              "a full-width space (U+3000) here: YAML indents, and separates a key from its value, with ASCII spaces only"),
                         Text("把全角空格换成半角空格（缩进每级两个空格）", "replace it with ASCII spaces (two per level of indentation)"))
            continue
        m = _TAB.match(line)
        if m:
            found = Slip(n, m.start(1) + 1,
                         Text("缩进里有制表符（Tab）：YAML 只能用空格缩进", "a tab in the indentation: YAML indents with spaces only"),
                         Text("把 Tab 换成空格（每级两个空格）", "replace the tab with spaces (two per level)"))
            continue
        m = _FULLWIDTH_COLON.match(line)
        if m and ": " not in line[: m.end()] and not line[: m.end()].rstrip("：").endswith(":"):
            key = m.group("key").strip()
            found = Slip(n, m.end(), Text(f"“{key}”后面是全角冒号“：”，YAML 要用半角冒号“:”",
                                     f"a full-width colon '：' after '{key}': YAML needs an ASCII colon"),
                         Text(f"改为半角冒号加一个空格，如 {key}: …", f"write an ASCII colon and a space: {key}: …"))
            continue
        m = _FULLWIDTH_OPEN.match(line)
        if m:
            ascii_, name = _NAMES[m.group(1)]
            found = Slip(n, m.start(1) + 1, Text(f"{name}“{m.group(1)}”不能作 YAML 的括号",
                                                 f"a full-width bracket '{m.group(1)}' cannot open a YAML list or mapping"),
                         Text(f"改为半角“{ascii_}”，或把整个值放在引号里", f"write the ASCII '{ascii_}', or quote the value"))
            continue
        m = _BANG.match(line)
        if m:
            found = Slip(n, m.start(1) + 1, BANG_FOR_NOT, BANG_HINT)
            continue
        m = _FULLWIDTH_QUOTE.match(line)
        if m:
            found = Slip(n, m.start(1) + 1, Text(f"全角引号“{m.group(1)}”不是 YAML 的引号",
                                                 f"the full-width quote '{m.group(1)}' is not a YAML quote"),
                         Text("改为半角双引号 \"…\"，或去掉引号", "use straight double quotes \"…\", or none"))
    return found


_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?:[ ].*)?\r?$", re.MULTILINE)


def conflict_marker(text: str) -> Slip | None:
    """The first line git's merge wrote (``<<<<<<< HEAD``, ``=======``, ``>>>>>>> theirs``): the file holds
    both sides of a conflicting change, which the parser reports lines later as something else."""
    m = _CONFLICT.search(text)
    if m is None or not any(x.group(1)[0] in "<>" for x in _CONFLICT.finditer(text)):
        return None  # (a line of '=======' alone may be a block text's underline)
    line = text.count("\n", 0, m.start()) + 1
    return Slip(line, 1, Text(f"这一行“{m.group(1)}”是合并冲突的标记：文件里同时留着两个版本的修改",
                              f"'{m.group(1)}' marks a merge conflict: the file holds both versions of a change"),
                Text("对照“<<<<<<<”和“=======”之间、“=======”和“>>>>>>>”之间的两段，留下要用的一段，"
                     "删去另一段和这三行标记",
                     "compare the lines between '<<<<<<<' and '=======' with those between '=======' and "
                     "'>>>>>>>', keep the version you mean, and delete the other and the three marker lines"))


def _holder_column(line: str) -> int:
    """The column (0-based) a block text's lines must be deeper than: its key's ('key: |', '- key: >-'), or for a
    list item that is the text itself ('- |'), its dash's."""
    i, dash = len(line) - len(line.lstrip(" ")), None
    while line[i:i + 2] == "- " or line[i:] == "-":
        dash = i
        i += 1
        while line[i:i + 1] == " ":
            i += 1
    return dash if line[i:i + 1] in ("|", ">") and dash is not None else i


def _block_mask(lines: list[str]) -> list[bool]:
    """For each line, whether it is a line of a block text (``|`` or ``>``), where anything may be written: the
    lines after ``key: |`` (or ``- key: >-``) indented deeper than the key, blank lines among them included.
    One pass (a check per line walking up was quadratic in a long block text)."""
    mask, key_col = [False] * len(lines), None
    for k, raw in enumerate(lines):
        line = raw.rstrip("\r")
        indent = len(line) - len(line.lstrip(" "))
        if key_col is not None:
            if not line.strip() or indent > key_col:
                mask[k] = True
                continue
            key_col = None
        if _BLOCK_START.search(line.rstrip()):
            key_col = _holder_column(line)
    return mask


_ITEM = re.compile(r"^([ ]*)-[ ]+([^\s#'\"-][^:#'\"]*):(?:[ ]|$)")


def _item_above(lines: list[str], k: int, here: int) -> tuple[int, str] | None:
    """(column of its keys, its first key) of the list item a key at indentation ``here`` on line
    ``k`` (0-based) belongs to, when the key starts left of the item's other keys; else None."""
    for j in range(k - 1, max(-1, k - 200), -1):
        above = lines[j].rstrip("\r")
        if not above.strip() or above.lstrip(" ").startswith("#"):
            continue
        m = _ITEM.match(above)
        if m:
            column = len(above) - len(above[m.end(1):].lstrip("- "))
            return (column, m.group(2).strip()) if len(m.group(1)) <= here < column else None
        if len(above) - len(above.lstrip(" ")) <= here:
            return None  # the key belongs to a mapping, not to a list item
    return None


_INDENT = (Text("缩进不一致：这一行与上面同级的行没有对齐", "the indentation does not line up with the lines above"),
           Text("同一级的键必须从同一列开始，每级缩进两个空格", "keys of one level start in the same column; indent two "
                "spaces per level"))

# (what the parser says, what it means, how to fix it) — the parser's own words are not shown
_PLAIN = [
    ("mapping values are not allowed",
     Text("这里不能开始“键: 值”", "a 'key: value' cannot start here"),
     Text("常见原因：上一行缺冒号或冒号后缺空格，值里有未加引号的“: ”，或缩进不对；含冒号的文字请加引号",
          "usually the line above lacks a colon (or the space after it), a value holds an unquoted ': ', or the "
          "indentation is off; quote text that contains a colon")),
    ("did not find expected '-' indicator",
     Text("列表项没有对齐", "the list items are not aligned"),
     Text("同一列表的每一项“- ”必须从同一列开始", "every '- ' of one list starts in the same column")),
    ("did not find expected key", *_INDENT),
    ("expected <block end>", *_INDENT),
    ("could not find expected ':'",
     Text("缺少冒号：键后面要有“: ”", "a colon is missing after a key"),
     Text("写成“键: 值”（半角冒号加空格）", "write 'key: value' (an ASCII colon and a space)")),
    ("cannot start any token",
     Text("这个字符不能出现在这里", "this character cannot start a value"),
     Text("以 @、` 或 % 开头的文字请加引号；缩进只用空格", "quote text that starts with @, ` or %; indent with spaces")),
    ("found unexpected end of stream",
     Text("文件在引号或括号闭合之前就结束了", "the file ends before a quote or bracket is closed"),
     Text("检查引号和括号是否成对", "check that quotes and brackets come in pairs")),
    ("did not find expected ',' or ']'",
     Text("列表的方括号没有闭合", "a '[' list is not closed"),
     Text("检查逗号和“]”", "check the commas and the closing ']'")),
    ("did not find expected ',' or '}'",
     Text("花括号没有闭合", "a '{' mapping is not closed"),
     Text("检查逗号和“}”", "check the commas and the closing '}'")),
]


def _brackets(line: str, opening: str, close: str) -> tuple[list[int], int]:
    """(columns of the ``opening`` brackets a line leaves open, how many ``close`` it has beyond its own), quoted
    text and a comment passed over."""
    stack, extra, quote, i = [], 0, None, 0
    while i < len(line):
        c = line[i]
        if quote is not None:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'" and (i == 0 or line[i - 1] in " [{,:"):
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        elif c == opening:
            stack.append(i)
        elif c == close:
            if stack:
                stack.pop()
            else:
                extra += 1
        i += 1
    return stack, extra


def opened_at(text: str, error_line: int, error_column: int, close: str) -> tuple[int, int] | None:
    """(line, column) of the ``[`` or ``{`` (``close`` is its ``]`` or ``}``) left open on a line before
    ``error_line``, which the parser reports only where the next line starts: the nearest line above (within
    20, block texts passed over) with an opening bracket that no line after it up to the error closes.  None
    where that is not certain: the error is inside a list of its own line (the slip is there), a line closes
    the bracket (a comma missing between two lines of one list), or the line goes on below (it ends in ','
    or the bracket)."""
    opening = "[" if close == "]" else "{"
    every = text.split("\n")
    if not any(x.strip() for x in every[error_line - 1:]):
        return None  # (the file ends there: cut off, it is said where it ends)
    lines = [x.rstrip("\r") for x in every[:error_line]]
    if not lines or _brackets(lines[-1][:max(0, error_column - 1)], opening, close)[0] \
            or _brackets(lines[-1], opening, close)[1]:
        return None  # (a bracket open where the error is: the slip is in that line's own list)
    block = _block_mask(lines)
    for k in range(len(lines) - 2, max(-1, len(lines) - 22), -1):
        if block[k]:
            continue
        stack, extra = _brackets(lines[k], opening, close)
        if stack:
            if lines[k].split(" #")[0].rstrip().endswith((",", opening)):
                return None
            return k + 1, stack[-1] + 1
        if extra:
            return None
    return None


def explain_parser_message(problem: str) -> tuple[Text, Text] | None:
    """The parser's words in plain language (message, hint), both languages, if we know them."""
    for needle, message, hint in _PLAIN:
        if needle in problem:
            return message, hint
    return None


_EXPRESSION_KEY = re.compile(r"^[ ]*(?:-[ ]+)?(when|condition|check)[ ]*:[ ]+[\"']")  # (a parameter's value is no expression)


def _goes_on(line: str, closed: int) -> bool:
    """Text follows the quote that closes at column ``closed`` (1-based), other than a comment."""
    rest = line.rstrip("\r")[closed:].strip()
    return bool(rest) and not rest.startswith("#")


def unclosed_quote(text: str, error_line: int, error_column: int) -> Slip | None:
    """A quote where the parser stopped: a quoted value opened on an earlier line and never closed (the
    parser reads on past it and stops lines later, where the next quote ends it: '花括号没有闭合' at line
    46 for a quote dropped on line 27), or a quoted value that ends just before the place of the error
    (a quote inside the text).  Quotes open only where a value starts (after ': ', '- ', '[', '{', or ', '
    inside brackets), as YAML reads them; block texts (| >) and comments are passed over."""
    lines = text.split("\n")[:error_line]
    quote = None  # (line, column, char) of the quote open now
    ended = None  # (opened on line, column, char, closed at column) of a quote closed on the error line
    block = None  # the indentation a block text's lines are deeper than
    for n, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        indent = len(line) - len(line.lstrip(" "))
        if quote is None and block is not None:
            if not line.strip() or indent > block:
                continue
            block = None
        i = 0
        while i < len(line):
            c = line[i]
            if quote is not None:
                if quote[2] == '"' and c == "\\":
                    i += 2
                    continue
                if c == quote[2]:
                    if quote[2] == "'" and line[i + 1:i + 2] == "'":  # '' inside single quotes
                        i += 2
                        continue
                    if n == error_line:
                        ended = (*quote, i + 1)
                    quote = None
                i += 1
                continue
            if c == "#" and (i == 0 or line[i - 1] in " \t"):
                break
            if c in "\"'":
                before = line[:i].rstrip(" ")
                if (not before or before.endswith((":", "-", "[", "{"))
                        or (before.endswith(",") and ("[" in before or "{" in before))):  # (', ' in a [ ] or { } only)
                    quote = (n, i + 1, c)
            i += 1
        if quote is None and _BLOCK_START.search(line.rstrip()):
            block = indent
    if quote is not None and quote[0] < error_line:
        n, col, c = quote
    elif ended is not None and ended[0] == error_line and _EXPRESSION_KEY.match(lines[-1]) \
            and _goes_on(lines[-1], ended[3]) and error_column > ended[3]:
        # 'check: "policy_briefings" >= 2': an expression that starts with a quoted text, read as that text
        n, col, c, closed = ended
        key = _EXPRESSION_KEY.match(lines[-1]).group(1)
        return Slip(n, col, Text(f"“{key}:”后面的表达式以引号开头：YAML 只把引号里的文字读作它的值，后面的部分读不进去",
                                 f"the expression after '{key}:' starts with a quote: YAML reads only the quoted text as "
                                 "its value, and what follows cannot be read"),
                    Text(f"把表达式写在下一行：“{key}: >-”，下一行多缩进两格再写表达式",
                         f"write the expression on the next line: '{key}: >-', then the expression on the line below, "
                         "indented two more spaces"))
    elif ended is not None and ended[3] in (error_column - 1, error_column - 2):
        n, col, c, closed = ended
        if n == error_line:  # opened and closed on this line, and text follows: a quote inside the text
            return Slip(n, closed, Text(f"这段文字在第 {closed} 列的引号 {c} 处就结束了，后面的文字没有被读进去",
                                        f"the quoted text ends at the {c} in column {closed}; what follows was not read into it"),
                        Text(f"文字里要用引号时，写成 \\{c}（或改用另一种引号把整段括起来）",
                             f"write a quote inside the text as \\{c} (or enclose the whole text in the other kind of quotes)"))
    else:
        return None
    return Slip(n, col, Text(f"第 {n} 行的引号 {c} 没有闭合：后面的行都被读进了这段文字",
                             f"the quote {c} on line {n} is never closed: the lines after it were read into the text"),
                Text(f"在这段文字的结尾补上 {c}，或者去掉开头的 {c}", f"close the text with {c}, or remove the opening {c}"))
