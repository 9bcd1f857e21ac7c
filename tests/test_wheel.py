"""A wheel built from the repository works from anywhere: installed in a fresh virtual
environment and run from an unrelated folder, every command and Policies.load() find the
shipped packs inside it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(cmd, cwd, env, check=True):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("POLICYENGINE_POLICIES", "PYTHONPATH", "VIRTUAL_ENV")}
    # built from a copy of what the wheel is made of: setuptools writes build/ and *.egg-info into
    # the folder it builds, and .ci/run runs a second suite beside this one in the same checkout
    src = base / "src"
    keep = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.pyc")
    for part in ("policyengine", "policies"):
        shutil.copytree(ROOT / part, src / part, ignore=keep)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, src / part)
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)], base, env)
    wheels = list(dist.glob("policyengine_rules-*.whl"))
    assert len(wheels) == 1, wheels
    target = base / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    py = target / "bin" / "python"
    _run([str(py), "-m", "pip", "install", "-q", str(wheels[0])], base, env)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(ROOT / "examples" / "enterprise_eligibility.yaml", elsewhere / "case.yaml")
    return py, target / "bin" / "policyengine", elsewhere, env


def test_the_wheel_carries_the_packs_and_their_tests(installed):
    py, _, cwd, env = installed
    out = _run([str(py), "-c", "import policyengine, pathlib; d = policyengine.default_policy_dir(); "
                "print(d); print(sorted(p.name for p in d.rglob('*.yaml')))"], cwd, env).stdout
    folder, files = out.splitlines()
    assert "site-packages" in folder and folder.endswith("packs")
    assert "guobanfa_2016_32.yaml" in files and "imust.yaml" in files  # a rule file and a pack's tests


def test_the_wheel_is_marked_typed(installed):
    """PEP 561: without py.typed a type checker treats every name of the installed package as Any."""
    py, _, cwd, env = installed
    out = _run([str(py), "-c", "import policyengine, pathlib; "
                "print((pathlib.Path(policyengine.__file__).parent / 'py.typed').is_file())"], cwd, env).stdout
    assert out.strip() == "True"


def test_every_command_works_from_an_unrelated_folder(installed):
    _, cli, cwd, env = installed
    assert "0 个错误" in _run([str(cli), "check"], cwd, env).stdout
    assert "0 error(s)" in _run([str(cli), "check", "--lang", "en"], cwd, env).stdout
    decision = _run([str(cli), "evaluate", "case.yaml", "--format", "json"], cwd, env).stdout
    assert '"eligible": true' in decision
    assert " passed, 0 failed" in _run([str(cli), "test", "--lang", "en"], cwd, env).stdout
    assert "国办发〔2016〕32号" in _run([str(cli), "coverage"], cwd, env).stdout
    assert "education" in _run([str(cli), "facts", "--subject", "commissioner"], cwd, env).stdout
    packs = _run([str(installed[0]), "-c", "import policyengine; print(policyengine.default_policy_dir())"],
                 cwd, env).stdout.strip()
    shutil.copytree(packs, cwd / "mine")
    assert "No difference." in _run([str(cli), "diff", "mine", "--lang", "en"], cwd, env).stdout


def test_policies_load_works_from_an_unrelated_folder(installed):
    py, _, cwd, env = installed
    out = _run([str(py), "-c", "from policyengine import Policies; p = Policies.load(); "
                "print(p.evaluate('case.yaml').outputs['eligible'])"], cwd, env).stdout
    assert out.strip() == "True"


def test_policyengine_policies_points_at_ones_own_packs(installed):
    _, cli, cwd, env = installed
    own = cwd / "own"
    shutil.copytree(ROOT / "policies" / "national", own)
    shipped = _run([str(cli), "facts", "--subject", "jurisdiction"], cwd, env).stdout
    mine = _run([str(cli), "facts", "--subject", "jurisdiction"], cwd, dict(env, POLICYENGINE_POLICIES=str(own))).stdout
    assert "new_high_tech_enterprises" in shipped  # declared by Baotou's opinion
    assert "commissioners" in mine and "new_high_tech_enterprises" not in mine


def _requirements(block: str) -> dict[str, str]:
    """name -> lower bound of a TOML list of requirement strings (``"name[extra]>=1.2"``)."""
    import re

    out = {}
    for m in re.finditer(r'"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?(?:>=([0-9][^",;<]*))?[^"]*"', block):
        if m.group(1) != "policyengine-rules":  # "policyengine-rules[server]": an extra of ours, not a dependency
            out[m.group(1).lower()] = m.group(3)
    return out


def test_ci_runs_the_suite_against_the_lower_bounds_of_pyproject():
    import re

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    wanted = {}
    todo, seen = ["dependencies", "test"], set()
    while todo:  # the test extra pulls in extras of ours ("policyengine-rules[server]"): theirs count too
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        block = re.search(rf"^{key} = \[(.*?)^\]", pyproject, re.M | re.S)
        assert block, key
        wanted.update(_requirements(block.group(1)))
        for m in re.finditer(r'"policyengine-rules\[([^\]]*)\]"', block.group(1)):
            todo += [x.strip() for x in m.group(1).split(",")]
    pinned = {}
    for line in (ROOT / ".ci" / "oldest.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pinned[name.strip().lower()] = version.strip()
    assert all(wanted.values()), f"every dependency has a lower bound: {wanted}"
    assert {k: pinned.get(k) for k in wanted} == wanted, "pin the lower bound of each dependency in .ci/oldest.txt"
    assert "-c .ci/oldest.txt" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
