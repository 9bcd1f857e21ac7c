"""The decision service: ``policyengine serve``, the decision log, ``replay`` and ``log verify``.

Built around the core, which it uses only through the public API
(:class:`~policyengine.Policies`, :class:`~policyengine.Decision`,
:class:`~policyengine.PolicyError`).  Its dependencies (FastAPI, uvicorn,
SQLAlchemy, psycopg) are the optional extra ``policyengine-rules[server]``;
``import policyengine`` never imports them, and neither does this module.

    versions.py  the policy files of a version and its ``sha256:`` digest
    log.py       the decision log: schema, migrations, the hash chain, group commit
    keys.py      API keys (SHA-256 digests with roles)
    app.py       the HTTP application (FastAPI over uvicorn)
    replay.py    ``policyengine replay`` and ``policyengine log verify``
    commands.py  the subcommands registered into ``policyengine``
"""
