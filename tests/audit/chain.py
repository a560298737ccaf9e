#!/usr/bin/env python3
"""Recomputes steward's audit hash chain without steward, from README.md's
description alone.

  chain.py verify < export.jsonl   checks `steward audit export --jsonl`;
                                   prints "N HEAD_HEX HEAD_BASE64", exit 1
                                   naming the first entry that does not hold
  chain.py rechain CACHE           recomputes every hash stored in a cache
                                   (what someone who edited the log would do)
"""

import base64
import datetime
import hashlib
import json
import sqlite3
import sys

GENESIS = "0" * 64


def unix(rfc3339):
    return int(datetime.datetime.fromisoformat(rfc3339).timestamp())


def entry_hash(e):
    """e: format, seq, at and written_at (unix seconds), and the text fields."""
    if e["format"] == 1:
        parts = [e["prev_hash"], str(e["seq"]), str(e["at"]), e["actor"], e["action"], e["detail"]]
        data = b"".join(p.encode() + b"\n" for p in parts)
    elif e["format"] == 2:
        parts = ["2", e["log"], e["prev_hash"], str(e["seq"]), str(e["at"]),
                 str(e["written_at"]), e["actor"], e["via"], e["fingerprint"],
                 str(e["serial"]), e["ca"], e["action"], e["detail"]]
        data = b"".join(str(len(p.encode())).encode() + b":" + p.encode() + b"\n" for p in parts)
    else:
        raise ValueError("unknown format %r" % e["format"])
    return hashlib.sha256(data).hexdigest()


def from_export(line):
    j = json.loads(line)
    e = dict(j)
    e["at"] = unix(j["at"])
    if j["format"] >= 2:
        e["written_at"] = unix(j["written_at"])
        e.setdefault("fingerprint", "")
        e.setdefault("ca", "")
        e["serial"] = j.get("serial", "")
    return e


def verify(lines):
    prev = GENESIS
    n = 0
    for line in lines:
        if not line.strip():
            continue
        e = from_export(line)
        n += 1
        if e["seq"] != n or e["prev_hash"] != prev or entry_hash(e) != e["hash"]:
            print("entry %s does not hold" % e["seq"], file=sys.stderr)
            return 1
        prev = e["hash"]
    print(n, prev, base64.b64encode(bytes.fromhex(prev)).decode())
    return 0


def rechain(path):
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    prev = GENESIS
    for r in db.execute("SELECT * FROM audit ORDER BY seq").fetchall():
        e = dict(r)
        e["prev_hash"] = prev
        for k in ("log", "via", "via_fingerprint", "via_serial", "via_ca"):
            e[k] = e[k] or ""
        e["fingerprint"], e["serial"], e["ca"] = e["via_fingerprint"], e["via_serial"], e["via_ca"]
        h = entry_hash(e)
        db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, h, e["seq"]))
        prev = h
    db.commit()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["verify"]:
        sys.exit(verify(sys.stdin))
    if sys.argv[1:2] == ["rechain"] and len(sys.argv) == 3:
        sys.exit(rechain(sys.argv[2]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
