"""API keys: a file of SHA-256 digests, each with its roles.

    # keys.yaml — never the keys themselves, only their digests
    keys:
      - name: intake-system
        sha256: 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8
        roles: [decide]
      - name: auditor
        sha256: …
        roles: [read]

``decide`` allows ``POST /v1/decisions``; ``read`` allows the ``GET /v1`` endpoints.
The file is read by the engine's safe loader (no tags, no duplicate keys).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Text

__all__ = ["Keys", "KeyFileError", "ROLES", "digest_key"]

ROLES = ("decide", "read")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class KeyFileError(Exception):
    """A key file that cannot be used.  Its argument is a :class:`Text`; ``str()`` is the English."""

    @property
    def text(self) -> Text:
        a = self.args[0] if self.args else ""
        return a if isinstance(a, Text) else Text(str(a), str(a))


def digest_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Key:
    name: str
    digest: bytes
    roles: frozenset[str]


class Keys:
    def __init__(self, keys: list[Key]):
        self._keys = keys

    @classmethod
    def read(cls, path: str | Path) -> "Keys":
        from ..diagnostics import PolicyError
        from ..load import load_file

        try:
            data = load_file(path).data
        except PolicyError as e:
            def said(lang):
                return "; ".join(f"{d.span}: {d.text(lang)}" if d.span else d.text(lang) for d in e.diagnostics)
            raise KeyFileError(Text(said("zh"), said("en")))
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or set(data) != {"keys"}:
            raise KeyFileError(Text(f"{path}：密钥文件是只有一项 'keys'（一个列表）的映射",
                                    f"{path}: a key file is a mapping with one field, 'keys', a list"))
        keys, seen = [], set()
        for i, k in enumerate(data["keys"]):
            where = f"{path}: keys[{i}]"
            if not isinstance(k, dict) or not set(k) <= {"name", "sha256", "roles"}:
                raise KeyFileError(Text(f"{where}：每个密钥有 name、sha256 和 roles", f"{where}: a key has name, sha256 and roles"))
            digest, roles, name = k.get("sha256"), k.get("roles"), k.get("name", f"keys[{i}]")
            if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
                raise KeyFileError(Text(f"{where}.sha256：应当是 64 位小写十六进制数字，即密钥的 SHA-256",
                                        f"{where}.sha256: 64 lower-case hex digits, the SHA-256 of the key"))
            if digest in seen:
                raise KeyFileError(Text(f"{where}.sha256：同一个密钥列了两次", f"{where}.sha256: the same key is listed twice"))
            seen.add(digest)
            if not isinstance(roles, list) or not roles or not all(r in ROLES for r in roles):
                raise KeyFileError(Text(f"{where}.roles：应当是非空列表，取值为 {'、'.join(ROLES)}",
                                        f"{where}.roles: a non-empty list of {', '.join(ROLES)}"))
            if not isinstance(name, str):
                raise KeyFileError(Text(f"{where}.name：应当是文字", f"{where}.name: text"))
            keys.append(Key(name, bytes.fromhex(digest), frozenset(roles)))
        if not keys:
            raise KeyFileError(Text(f"{path}：没有密钥，所有请求都会被拒绝", f"{path}: no keys; every request would be refused"))
        return cls(keys)

    def find(self, presented: str) -> Key | None:
        """The key whose digest matches, compared in constant time against every listed key."""
        d = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        found = None
        for k in self._keys:
            if hmac.compare_digest(k.digest, d):
                found = k
        return found
