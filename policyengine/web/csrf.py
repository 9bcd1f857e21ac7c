"""CSRF protection by double submit: a random token in a ``SameSite=Lax``, ``HttpOnly``
cookie and the same token in a hidden field of every form that posts.  A post whose field
does not match its cookie is refused before anything is read from it."""
from __future__ import annotations

import hmac
import re
import secrets

COOKIE = "pe_csrf"
FIELD = "csrf_token"
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def token_of(cookies: dict) -> tuple[str, bool]:
    """The request's token, and whether it is new (and must be set as a cookie)."""
    got = cookies.get(COOKIE, "")
    if isinstance(got, str) and _SHAPE.match(got):
        return got, False
    return secrets.token_urlsafe(32), True


def set_cookie(response, token: str) -> None:
    # Lax, not Strict: a Strict cookie is not sent when the workbench is opened from a link on another site,
    # so the page got a new token, and the form left open in another tab failed with everything typed in it.
    # The double submit does not rest on SameSite (another site can neither read the token nor set it).
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", path="/")


def valid(cookies: dict, submitted: object) -> bool:
    got = cookies.get(COOKIE, "")
    return (isinstance(got, str) and isinstance(submitted, str) and bool(_SHAPE.match(got))
            and hmac.compare_digest(got.encode(), submitted.encode()))
