"""policyengine — declarative, layered policy rules that explain their decisions.

Pipeline, one module per stage::

    load → parse → check → merge → compile → evaluate → explain
    (load.py, parse.py, check.py, merge.py, compile.py, evaluate.py, explain.py)

with ``cases.py`` for case files, ``api.py`` for the library API, ``cli.py``
for the command, and ``diff.py`` for auditors.
"""
from .api import Policies, default_policy_dir
from .cases import Case
from .diagnostics import Diagnostic, PolicyError, Severity, Span
from .explain import Decision, OutcomeExplanation, RuleExplanation

__all__ = ["Policies", "Case", "Decision", "OutcomeExplanation", "RuleExplanation", "Diagnostic", "PolicyError",
           "Severity", "Span", "default_policy_dir"]
__version__ = "0.2.0"
