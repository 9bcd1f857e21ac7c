"""``--help`` speaks the officer's language: Chinese by default, English with ``--lang en`` (anywhere
on the line) or ``$POLICYENGINE_LANG=en`` — every command's description, every option's help, and
argparse's own words (``usage:``, the headings, the help of ``-h``)."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from policyengine.cli import build_parser, main

GOLDEN = Path(__file__).parent / "golden"

# Proper names and terms a Chinese help may keep as they are written: formats, tools, a section
# title of the CONTRACT ("Batch evaluation").
TERMS = {"Parquet", "Lines", "Markdown", "Schema", "Python", "DuckDB", "PostgreSQL", "SQL", "Apache", "Spark", "yarn", "git", "Batch", "evaluation"}
# an ASCII run holding one of these is an identifier, a path, a URL, a value or a quoted name
IDENTIFIER_MARKS = set("_/:.={}[]|$'-")


def commands(parser: argparse.ArgumentParser, prefix: tuple = ()) -> list[tuple[str, ...]]:
    """Every command line that has a help of its own: (), ("check",), …, ("log", "verify")."""
    out = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += commands(sub, (*prefix, name))
    return out


def names(parser: argparse.ArgumentParser) -> set[str]:
    """What the help may name as it is: options, metavars, choices, destinations, subcommands."""
    out = {"policyengine"}
    for action in parser._actions:
        out |= {action.dest, *(action.choices or ())}
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out |= names(sub)
    return {str(x) for x in out}


ALL = commands(build_parser("zh"))


def help_of(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 0
    out = capsys.readouterr()
    assert out.err == ""
    return out.out


@pytest.fixture(autouse=True)
def _width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps at the terminal's width
    monkeypatch.delenv("POLICYENGINE_LANG", raising=False)


def english_words(text: str, allowed: set[str]) -> list[str]:
    """The words of ``text`` in English that a Chinese help should not have.  Precisely: in each run
    of printable ASCII, each word of letters is allowed when the run is an option or an identifier
    (it starts with '-', or holds one of IDENTIFIER_MARKS), when the word is in capitals (a metavar,
    a code, an acronym), names a part of the command (an option's destination, a choice, a
    subcommand), or is in TERMS."""
    bad = []
    for run in re.findall(r"[!-~]+", text):
        if run.startswith("-") or IDENTIFIER_MARKS & set(run):
            continue
        for word in re.findall(r"[A-Za-z]+", run):
            if not (word.isupper() or word in allowed or word in TERMS):
                bad.append(word)
    return bad


@pytest.mark.parametrize("argv", ALL, ids=lambda a: " ".join(a) or "policyengine")
def test_every_help_is_chinese_by_default_and_english_with_lang_en(argv, capsys):
    allowed = names(build_parser("zh"))
    zh = help_of(capsys, [*argv, "--help"])
    assert zh.startswith("用法：policyengine"), zh
    assert "选项:" in zh and "显示这段帮助并退出" in zh
    assert "usage" not in zh and "options" not in zh and "positional arguments" not in zh
    assert english_words(zh, allowed) == [], zh
    for en in (help_of(capsys, ["--lang", "en", *argv, "--help"]), help_of(capsys, [*argv, "--help", "--lang=en"])):
        assert en.startswith("usage: policyengine") and "\noptions:\n" in en, en
        assert "show this help message and exit" in en
        assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", en), en  # not one Chinese character or mark


def test_the_environment_chooses_the_language_of_help(capsys, monkeypatch):
    monkeypatch.setenv("POLICYENGINE_LANG", "en")
    assert help_of(capsys, ["diff", "--help"]).startswith("usage: policyengine diff")
    assert help_of(capsys, ["--lang", "zh", "diff", "--help"]).startswith("用法：policyengine diff")


def test_the_rule_finds_english(capsys):
    """The check above would see an English help left in a Chinese one."""
    assert english_words("--format {text,json}  输出格式（默认 text）", {"text", "json"}) == []
    assert english_words("  --notes  also show notes", {"notes"}) == ["also", "show"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_check_help_golden(lang, capsys):
    got = help_of(capsys, ["check", "--help", "--lang", lang])
    assert got == (GOLDEN / f"check_help.{lang}.txt").read_text(encoding="utf-8")


def test_chinese_help_is_wrapped_by_the_columns_it_takes(capsys):
    from unicodedata import east_asian_width

    for argv in ALL:
        for line in help_of(capsys, [*argv, "--help"]).splitlines():
            if not line.startswith(("用法", " " * 10)) or "[" not in line:  # (argparse wraps the usage itself)
                assert sum(2 if east_asian_width(c) in "WF" else 1 for c in line) <= 100, line
