"""Hostile and malformed input never crashes, hangs or runs code.

Every input listed in ``tests/hostile/manifest.yaml`` is run through the real
command (``python -m policyengine.cli evaluate CASE`` or ``check RULEFILE``) in a
subprocess with an address-space limit and a hang guard, and must end with the
expected exit status and a message that names the field or the location — never a
Python traceback.  Small inputs are committed as files in ``tests/hostile/``; the
very large ones (alias bomb, 200,000 brackets, a 20,000-digit integer, a 5 MB
string, …) are generated into ``tmp_path`` by the functions in ``GENERATORS``.

Durations are recorded (``record_property``), never asserted: the timeout is only a
guard against hangs.
"""
from __future__ import annotations

import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

HOSTILE = Path(__file__).resolve().parent / "hostile"
MANIFEST = yaml.safe_load((HOSTILE / "manifest.yaml").read_text(encoding="utf-8"))

MEMORY_LIMIT = 1 << 30  # 1 GiB of address space for the whole interpreter
CPU_GUARD_SECONDS = 20  # hang guards, not performance assertions: CPU seconds (independent of the
HANG_GUARD_SECONDS = 60  # machine's load), and wall-clock seconds for a process that waits forever
NATIONAL_PACK = Path(__file__).resolve().parent.parent / "policies" / "national"  # what the cases at cn need
PWNED = "hostile-pwned"  # the file a successful code-execution payload would create in the working directory

CASE_HEAD = "subject: commissioner\njurisdiction: cn\nas_of: 2024-03-01\n"
RULE_BASE = (HOSTILE / "rule_base_accepted.yaml").read_text(encoding="utf-8").split("\n", 1)[1]  # without its comment


# --- the very large inputs, generated ------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _billion_laughs(indent: str) -> str:
    """Nine levels of nine aliases each: 9**9 strings if a loader expanded them."""
    lines = [f'{indent}a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{indent}{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def gen_alias_bomb(d: Path) -> Path:
    return _write(d / "alias_bomb.yaml", CASE_HEAD + "facts:\n" + _billion_laughs("  "))


def gen_alias_bomb_json(d: Path) -> Path:
    # JSON has no aliases, but a .json file is read by the same YAML reader: it must refuse them too
    body = '{"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", "facts": {"a": &a ["lol", "lol"], '
    body += ", ".join(f'"{c}": [*a, *a, *a, *a, *a, *a, *a, *a, *a]' for c in "bcdefghij") + "}}\n"
    return _write(d / "alias_bomb.json", body)


def gen_rule_alias_bomb(d: Path) -> Path:
    return _write(d / "rule_alias_bomb.yaml", RULE_BASE + "coverage:\n" + _billion_laughs("  "))


def gen_brackets_200k(d: Path) -> Path:
    return _write(d / "brackets_200k.yaml", CASE_HEAD + "facts:\n  evaluation_history: " + "[" * 200_000 + "]" * 200_000 + "\n")


def gen_flow_mappings_200k(d: Path) -> Path:
    return _write(d / "flow_mappings_200k.yaml", CASE_HEAD + "facts: " + "{a: " * 200_000 + "1" + "}" * 200_000 + "\n")


def gen_unclosed_brackets_200k(d: Path) -> Path:
    return _write(d / "unclosed_brackets_200k.yaml", CASE_HEAD + "facts:\n  evaluation_history: " + "[" * 200_000 + "\n")


def gen_json_nested_200k(d: Path) -> Path:
    return _write(d / "nested_200k.json", '{"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", '
                  '"facts": {"evaluation_history": ' + "[" * 200_000 + "]" * 200_000 + "}}\n")


def gen_int_20000_digits(d: Path) -> Path:
    return _write(d / "int_20000_digits.yaml", CASE_HEAD + "facts:\n  service_days: " + "7" * 20_000 + "\n")


def gen_json_int_20000_digits(d: Path) -> Path:
    return _write(d / "int_20000_digits.json", '{"subject": "commissioner", "jurisdiction": "cn", "as_of": "2024-03-01", '
                  '"facts": {"service_days": ' + "7" * 20_000 + "}}\n")


def gen_float_20000_digits(d: Path) -> Path:
    return _write(d / "float_20000_digits.yaml", CASE_HEAD + "facts:\n  years_service_experience: 1." + "3" * 20_000 + "e99999\n")


def gen_string_5mb(d: Path) -> Path:
    return _write(d / "string_5mb.yaml", CASE_HEAD + "facts:\n  education: \"" + "x" * 5_000_000 + "\"\n")


def gen_string_1mb(d: Path) -> Path:
    return _write(d / "string_1mb.yaml", CASE_HEAD + "facts:\n  education: " + "x" * 1_000_000 + "\n")


def gen_key_1mb(d: Path) -> Path:
    return _write(d / "key_1mb.yaml", CASE_HEAD + "facts:\n  " + "k" * 1_000_000 + ": 1\n")


def gen_huge_list(d: Path) -> Path:
    return _write(d / "huge_list.yaml", CASE_HEAD + "facts:\n  evaluation_history: [" + ", ".join(["{}"] * 50_000) + "]\n")


def gen_huge_mapping(d: Path) -> Path:
    return _write(d / "huge_mapping.yaml", CASE_HEAD + "facts:\n" + "".join(f"  fact_{i}: {i}\n" for i in range(30_000)))


def gen_many_errors(d: Path) -> Path:
    # 5,000 misspelt facts: every one is reported, in bounded time and memory
    return _write(d / "many_errors.yaml", CASE_HEAD + "facts:\n" + "".join(f"  servce_days_{i}: -1\n" for i in range(5_000)))


def gen_rule_parens_200k(d: Path) -> Path:
    return _write(d / "rule_parens_200k.yaml",
                  RULE_BASE.replace("condition: service_days >= 30",
                                    "condition: '" + "(" * 200_000 + "service_days" + ")" * 200_000 + " >= 30'"))


def gen_rule_ands_50k(d: Path) -> Path:
    return _write(d / "rule_ands_50k.yaml",
                  RULE_BASE.replace("condition: service_days >= 30",
                                    "condition: 'good_conduct" + " and good_conduct" * 50_000 + "'"))


def gen_rule_ands_50k_block(d: Path) -> Path:
    # the same as a folded block: one line per 'and', so that no single line is long
    body = "".join("      and good_conduct\n" for _ in range(50_000))
    return _write(d / "rule_ands_50k_block.yaml",
                  RULE_BASE.replace("    condition: service_days >= 30\n", "    condition: >-\n      good_conduct\n" + body))


def gen_rule_int_20000_digits(d: Path) -> Path:
    return _write(d / "rule_int_20000_digits.yaml", RULE_BASE + "parameters:\n  min_days:\n    value: " + "9" * 20_000
                  + "\n    label: 天数\n    citation: 第一条\n")


def gen_rule_string_5mb(d: Path) -> Path:
    return _write(d / "rule_string_5mb.yaml", RULE_BASE.replace("label: 测试规则", "label: " + "长" * 2_000_000))


def gen_block_nesting_1500(d: Path) -> Path:
    # indentation-based nesting, 1,500 levels (no brackets at all)
    return _write(d / "block_nesting_1500.yaml", CASE_HEAD + "facts:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(1500)))


def _rules_head() -> str:
    return RULE_BASE.split("rules:\n")[0] + "rules:\n"


def gen_rule_many_rules(d: Path) -> Path:
    # 3,000 rules: the layering check compared every pair (27 s); now grouped
    rules = "".join(f"  - {{id: r.{i}, kind: eligibility, subject: commissioner, label: x, citation: c, "
                    f"condition: 'service_days >= {i} and good_conduct'}}\n" for i in range(3000))
    return _write(d / "rule_many_rules.yaml", _rules_head() + rules)


def gen_rule_definition_chain(d: Path) -> Path:
    # d0 reads d1 reads d2 ... d2999: a recursive search overflowed Python's stack
    defs = "".join(f"  d{i}: {{subject: commissioner, expr: 'd{i + 1} + 1', label: x}}\n" for i in range(3000))
    return _write(d / "rule_definition_chain.yaml",
                  RULE_BASE + "definitions:\n" + defs + "  d3000: {subject: commissioner, expr: '1', label: x}\n")


def gen_rule_definition_cycle(d: Path) -> Path:
    # d0 reads d1 ... reads d8999 reads d0: one cycle of 9,000 (was a RecursionError)
    defs = "".join(f"  d{i}: {{subject: commissioner, expr: 'd{(i + 1) % 9000} + 1', label: x}}\n" for i in range(9000))
    return _write(d / "rule_definition_cycle.yaml", RULE_BASE + "definitions:\n" + defs)


def gen_dev_zero(d: Path) -> Path:
    return Path("/dev/zero")  # endless: stat says 0 bytes


def gen_missing_file(d: Path) -> Path:
    return d / "no-such-case.yaml"


def gen_directory(d: Path) -> Path:
    p = d / "a-directory.yaml"
    p.mkdir()
    return p


SECRET = "hostile-secret-value-7f3a"  # what a file outside the folder holds: it must never be shown


def _secret(d: Path) -> Path:
    return _write(d / "outside-secret.txt", f"API_TOKEN={SECRET}\nkind: policy-document\n")


def gen_fifo(d: Path) -> Path:
    p = d / "fifo.yaml"
    os.mkfifo(p)  # opening it for reading waits for a writer that never comes
    return p


def gen_link_outside(d: Path) -> Path:
    # env.yaml -> a file outside the policies folder (/proc/self/environ, a CI secret …)
    pol = d / "policies"
    pol.mkdir()
    _write(pol / "base.yaml", RULE_BASE)
    (pol / "env.yaml").symlink_to(_secret(d))
    (pol / "sub").symlink_to(d, target_is_directory=True)  # a folder link out, too
    return pol


def gen_link_loop(d: Path) -> Path:
    pol = d / "policies"
    pol.mkdir()
    _write(pol / "base.yaml", RULE_BASE)
    (pol / "again").symlink_to(pol, target_is_directory=True)  # the folder inside itself
    (pol / "self.yaml").symlink_to(pol / "self.yaml")  # a link to itself
    return pol


def gen_cases_link_outside(d: Path) -> Path:
    cases = d / "cases"
    cases.mkdir()
    _write(cases / "ok.yaml", CASE_HEAD + "facts:\n  service_days: 40\n")
    (cases / "env.yaml").symlink_to(_secret(d))
    return cases


def gen_history_10000(d: Path) -> Path:
    # the longest list a case may hold, read by rule_history_pairs.yaml two aggregates deep
    return _write(d / "history_10000.yaml", CASE_HEAD + "facts:\n  evaluation_history:\n"
                  + "".join(f"    - {{year: {i}}}\n" for i in range(10_000)))


GENERATORS = {name[4:]: fn for name, fn in globals().items() if name.startswith("gen_") and callable(fn)}


# --- the test ------------------------------------------------------------------------------


def _limit_memory() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_GUARD_SECONDS, CPU_GUARD_SECONDS + 5))


def _input_path(entry: dict, tmp_path: Path) -> Path:
    if "generate" in entry:
        return GENERATORS[entry["generate"]](tmp_path)
    return HOSTILE / entry["input"]


def _id(entry: dict) -> str:
    name = entry.get("input") or entry["generate"]
    extra = " ".join(a for a in shlex.split(entry["command"])[1:] if a != "{input}")
    return f"{entry['command'].split()[0]}:{name}" + (f" {extra}" if extra else "")


def test_manifest_lists_every_input():
    listed = [e["input"] for e in MANIFEST if "input" in e]
    ids = [_id(e) for e in MANIFEST]
    assert len(ids) == len(set(ids)), "the same run is listed twice"
    on_disk = {p.name for p in HOSTILE.iterdir() if p.name != "manifest.yaml"}
    assert on_disk - set(listed) == set(), "inputs without a manifest entry"
    assert set(listed) - on_disk == set(), "manifest entries without a file"
    assert {e["generate"] for e in MANIFEST if "generate" in e} <= set(GENERATORS)
    assert len({_id(e) for e in MANIFEST}) >= 30
    for e in MANIFEST:
        assert e["exit"] in (0, 1, 2), e
        assert e["expect"], f"{_id(e)}: say what the message must name"
        assert e["why"], _id(e)


@pytest.mark.parametrize("entry", MANIFEST, ids=_id)
def test_hostile_input(entry: dict, tmp_path: Path, record_property):
    path = _input_path(entry, tmp_path)
    args = [a.replace("{input}", str(path)).replace("{hostile}", str(HOSTILE)) for a in shlex.split(entry["command"])]
    # 'evaluate' without --policies reads the national pack (all the cases here are at cn): the
    # inputs test the engine, and loading one pack instead of all keeps a run under a second
    # (the manifest pins the English wording; the Chinese is pinned by tests/test_messages.py)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8", POLICYENGINE_POLICIES=str(NATIONAL_PACK),
               POLICYENGINE_LANG="en")
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "policyengine.cli", *args], cwd=tmp_path, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=HANG_GUARD_SECONDS,
                              preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{_id(entry)}: still running after {HANG_GUARD_SECONDS} s (a hang)")
    elapsed = time.monotonic() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    record_property("seconds", round(elapsed, 3))
    record_property("cpu_seconds", round(cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime, 3))
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    both = out + "\n" + err
    shown = f"\n--- exit {proc.returncode} in {elapsed:.2f} s\n--- stdout:\n{out[:3000]}\n--- stderr:\n{err[:3000]}"

    assert "Traceback" not in both, f"{_id(entry)}: a Python traceback was printed{shown}"
    assert "internal error" not in both, f"{_id(entry)}: the engine failed{shown}"
    assert "MemoryError" not in both, shown
    assert proc.returncode >= 0, f"{_id(entry)}: killed by signal {-proc.returncode} (CPU guard or crash){shown}"
    assert proc.returncode == entry["exit"], f"{_id(entry)}: exit status{shown}"
    for s in entry["expect"]:
        assert s in both, f"{_id(entry)}: the message does not contain {s!r}{shown}"
    for s in entry.get("absent", ()):  # a forged line, a secret, a raw control character
        assert s not in both, f"{_id(entry)}: the output contains {s!r}{shown}"
    assert SECRET not in both, f"{_id(entry)}: the content of a file outside the folder was shown{shown}"
    if entry["exit"] != 0 and args[0] == "evaluate":  # (check prints its report on stdout, like a linter)
        assert err.strip(), f"{_id(entry)}: a refusal must say why on stderr{shown}"
    assert "\x1b" not in both, f"{_id(entry)}: a terminal escape from the input reached the output"
    assert not (tmp_path / PWNED).exists(), f"{_id(entry)}: the input ran code"
    # a long line or value is shown as a window around the spot, never echoed whole
    diagnostics = max(1, both.count("error["), both.count('"code"'))
    assert len(both) < 4_000 + 1_000 * diagnostics, f"{_id(entry)}: the output echoes the input ({len(both)} characters)"
