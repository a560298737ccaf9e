#!/usr/bin/env python3
"""What `steward reconcile` should do to an org directory, computed without
steward, from DESIGN.md's semantics alone (a second, independent reading).

  oracle.py ORG_DIR NOW    prints one JSON object:
    {"changes": [[kind, person, entitlement, rule, area], ...],   every change due
     "held": {area: count},                                       areas over their max
     "grants": [[person, entitlement, granted_by, granted_at, basis, expires], ...]}
                                                                  grants.csv afterwards

A fresh cache holds no decisions, and no source is stale. Times are compared
as instants; granted_at of a new grant is NOW.
"""

import csv
import datetime
import json
import os
import sys
import tomllib

DEFAULT_MAX = 20


def ts(text):
    return datetime.datetime.fromisoformat(text.strip()) if text and text.strip() else None


def span(text):
    if not text:
        return datetime.timedelta(0)
    text = text.strip()
    if text == "0":
        return datetime.timedelta(0)
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[text[-1]]
    return datetime.timedelta(seconds=int(text[:-1]) * unit)


def read_toml(org, name):
    path = os.path.join(org, name)
    if not os.path.exists(path):
        return {}
    with open(path, "rb") as f:
        return tomllib.load(f)


def read_csv(org, name):
    path = os.path.join(org, name)
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Org:
    def __init__(self, org, now):
        self.now = now
        self.status = {p["id"]: p["status"] for p in read_csv(org, "people.csv")}
        teams = read_toml(org, "teams.toml").get("team", [])
        self.team_parent = {t["id"]: t.get("parent") for t in teams}
        self.team_members = {t["id"]: list(t.get("members", [])) for t in teams}
        self.rotations = {r["id"]: r for r in read_toml(org, "rotations.toml").get("rotation", [])}
        self.trainings = {}
        for t in read_csv(org, "trainings.csv"):
            self.trainings.setdefault(t["person"], []).append(
                (t["course"], ts(t["completed"]), ts(t.get("expires")))
            )
        self.area = {}
        self.ent_area = {}
        for a in read_toml(org, "areas.toml").get("area", []):
            self.area[a["id"]] = a
            for e in a.get("entitlement", []):
                self.ent_area[e["id"]] = a["id"]
        self.delegations = read_toml(org, "delegations.toml").get("delegation", [])
        self.rules = read_toml(org, "rules.toml").get("rule", [])
        self.grants = read_csv(org, "grants.csv")

    def path(self, area):
        out = []
        while area in self.area and area not in out:
            out.append(area)
            area = self.area[area].get("parent")
        return out

    def authority(self, person, area):
        for a in self.path(area):
            if self.area[a]["owner"] == person:
                return True
            for d in self.delegations:
                if d["area"] == a and d["to"] == person:
                    since = d["since"] if isinstance(d["since"], datetime.datetime) else ts(d["since"])
                    until = d.get("until")
                    if until is not None and not isinstance(until, datetime.datetime):
                        until = ts(until)
                    if since <= self.now and (until is None or until > self.now):
                        return True
        return False

    def counts(self, rule):
        return rule["area"] in self.area and self.authority(rule["author"], rule["area"])

    def covers(self, rule, ent):
        return ent in rule.get("grant", []) and rule["area"] in self.path(self.ent_area.get(ent, ""))

    def team_subtree_members(self, team):
        out = set()
        for t, members in self.team_members.items():
            cur, seen = t, set()
            while cur is not None and cur not in seen:
                if cur == team:
                    out.update(members)
                    break
                seen.add(cur)
                cur = self.team_parent.get(cur)
        return out

    def members(self, rule):
        if "team" in rule:
            return self.team_subtree_members(rule["team"])
        rot = self.rotations.get(rule.get("rotation"))
        if rot is None:
            return set()
        grace = span(rule.get("grace"))
        out = set(rot.get("members", []))
        for s in rot.get("shift", []):
            if to_time(s["end"]) + grace > self.now:
                out.add(s["person"])
        return out

    def qualifies(self, person, rule, members):
        if self.status.get(person) != "active" or person not in members:
            return False
        for course in rule.get("trained", []):
            if not any(
                c == course and done <= self.now and (exp is None or exp > self.now)
                for c, done, exp in self.trainings.get(person, [])
            ):
                return False
        if rule.get("only_while_oncall", False):
            rot = self.rotations.get(rule.get("rotation"))
            if rot is None:
                return False
            lead, grace = span(rule.get("lead")), span(rule.get("grace"))
            return any(
                s["person"] == person
                and to_time(s["start"]) - lead <= self.now < to_time(s["end"]) + grace
                for s in rot.get("shift", [])
            )
        return True


def to_time(v):
    return v if isinstance(v, datetime.datetime) else ts(v)


def max_changes(org, area):
    for a in org.path(area):
        if "max_auto_changes" in org.area[a]:
            return org.area[a]["max_auto_changes"]
    return DEFAULT_MAX


def main():
    org = Org(sys.argv[1], ts(sys.argv[2]))
    members = {}

    def members_of(rule):
        if rule["id"] not in members:
            members[rule["id"]] = org.members(rule)
        return members[rule["id"]]

    def justified(person, ent):
        return any(
            org.covers(r, ent) and org.counts(r) and org.qualifies(person, r, members_of(r))
            for r in org.rules
        )

    holders = {}
    for g in org.grants:
        holders.setdefault(g["entitlement"], set()).add(g["person"])
    autos = sorted(
        (r for r in org.rules if r.get("apply") == "auto" and org.counts(r)), key=lambda r: r["id"]
    )
    grants, revokes = {}, set()
    for r in autos:
        ents = [e for e in r.get("grant", []) if org.covers(r, e)]
        qual = [p for p in members_of(r) if org.qualifies(p, r, members_of(r))]
        for e in ents:
            for p in qual:
                if p not in holders.get(e, set()):
                    grants.setdefault((p, e), r)
        for g in org.grants:
            if g["basis"] == "rule:" + r["id"] and g["entitlement"] in ents:
                if not justified(g["person"], g["entitlement"]):
                    revokes.add((g["person"], g["entitlement"], r["id"]))
    changes = [("grant", p, e, r["id"], org.ent_area[e]) for (p, e), r in grants.items()]
    changes += [("revoke", p, e, rid, org.ent_area[e]) for p, e, rid in revokes]
    per_area = {}
    for c in changes:
        per_area[c[4]] = per_area.get(c[4], 0) + 1
    held = {a: n for a, n in per_area.items() if n > max_changes(org, a)}
    author = {r["id"]: r["author"] for r in org.rules}
    rows = [
        [g["person"], g["entitlement"], g["granted_by"], g["granted_at"], g["basis"], g["expires"]]
        for g in org.grants
    ]
    for kind, p, e, rid, area in changes:
        if area in held:
            continue
        if kind == "grant":
            rows.append([p, e, author[rid], sys.argv[2], "rule:" + rid, ""])
        else:
            rows = [row for row in rows if not (row[0] == p and row[1] == e and row[4] == "rule:" + rid)]
    json.dump({"changes": sorted(changes), "held": held, "grants": rows}, sys.stdout)


if __name__ == "__main__":
    main()
