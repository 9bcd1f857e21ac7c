"""The workbench: web pages for policy officers, served by ``policyengine serve`` at ``/``.

A FastAPI router over the core's public API only (``Policies``, ``Decision``,
``PolicyError``, :func:`policyengine.vocabulary.fact_rows`, :mod:`policyengine.diff`,
:func:`policyengine.api.load_rule_files`, :func:`~policyengine.api.find_rule_files`,
:func:`policyengine.load.sniff_kind`).  Pages are rendered on the server from
Jinja2 templates with autoescape; forms work without script and carry a CSRF token;
every asset is served from this package.  Nothing here writes to the served policies.

The service mounts it with ``policyengine.web.mount(app, policies)``; ``create_app()``
is a small application of its own for tests and for trying the pages alone.
"""
from .app import create_app, mount, workbench_router

__all__ = ["create_app", "mount", "workbench_router"]
