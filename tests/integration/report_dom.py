#!/usr/bin/env python3
"""Check a report page, as a browser built its DOM (chromium --dump-dom), against the --json
the same run printed.

    report_dom.py replay|diff DOM.html RUN.json

Prints one line per difference and exits 1 when there is any, 0 when every number the page
marks (data-* attributes) equals the JSON's.
"""
import json
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects the marked elements: tables by id, their rows' data-* and their cells'."""

    def __init__(self):
        super().__init__()
        self.by_id = {}  # id -> attributes
        self.rows = []  # (table id, row attributes, {data-k: text})
        self.elems = []  # (tag, attributes) of every element
        self.table = []  # stack of table ids
        self.row = None
        self.cell = None
        self.text = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elems.append((tag, a))
        if "id" in a:
            self.by_id[a["id"]] = a
        if tag == "script":
            self.scripts += 1
        if tag == "table":
            self.table.append(a.get("id", ""))
        elif tag == "tr":
            self.row = (self.table[-1] if self.table else "", a, {})
            self.rows.append(self.row)
        elif tag == "td" and self.row is not None and ("data-k" in a or "data-side" in a):
            self.cell = a
            self.text = []

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            key = self.cell.get("data-k") or self.cell.get("data-side")
            self.row[2][key] = "".join(self.text).strip()
            self.cell = None
        elif tag == "table" and self.table:
            self.table.pop()

    def handle_data(self, data):
        if self.cell is not None:
            self.text.append(data)


fails = []


def eq(what, page, want):
    if str(page) != str(want):
        fails.append(f"{what}: page {page!r}, --json {want!r}")


def row(p, table, attr, value):
    for t, a, cells in p.rows:
        if t == table and a.get(attr) == value:
            return a, cells
    fails.append(f"table {table}: no row {attr}={value}")
    return {}, {}


def check_pipeline(p, j, table, first, last):
    _, cells = row(p, table, "data-tap", first)
    eq(f"{table} {first} frames", cells.get("frames"), j[first]["frames"])
    for v, n in j[first]["md5"].items():
        eq(f"{table} {first} {v}", cells.get(v), n)
    for st in j["stages"]:
        a, cells = row(p, table, "data-stage", st["name"])
        eq(f"{table} {st['name']} enabled", a.get("data-enabled"), str(st["enabled"]).lower())
        for k in ("frames_in", "frames_out", "created", "merged", "held", "bytes",
                  "invalidated", "invalidated_ao"):
            eq(f"{table} {st['name']} {k}", cells.get(k), st[k])
        for v, n in st["md5"].items():
            eq(f"{table} {st['name']} {v}", cells.get(v), n)
        eq(f"{table} {st['name']} malformed", cells.get("malformed"), st["malformed"])
        drops = [e for e in p.elems if e[0] == "span" and "data-reason" in e[1]]
        for reason, n in st["dropped"].items():
            if not any(e[1]["data-reason"] == reason and e[1]["data-count"] == str(n)
                       for e in drops):
                fails.append(f"{table} {st['name']}: no drop {reason}={n}")
    _, cells = row(p, table, "data-tap", last)
    eq(f"{table} {last} frames", cells.get("frames"), j[last]["frames"])
    for v, n in j[last]["md5"].items():
        eq(f"{table} {last} {v}", cells.get(v), n)


def check_replay(p, j):
    c = p.by_id.get("culprit", {})
    eq("culprit", c.get("data-culprit"), j["culprit"] or "")
    eq("verified", c.get("data-verified"), str(j["verified"]).lower())
    check_pipeline(p, j, "tx", "guest", "wire")
    if j["culprit"]:
        st = next(s for s in j["stages"] if s["name"] == j["culprit"])
        why = [a for t, a in p.elems if a.get("class") == "why" and
               a.get("data-stage") == j["culprit"]]
        if not why:
            fails.append("no explanation of the culprit")
        else:
            eq("culprit's first frame", why[0].get("data-guest-frame"), st["why"]["guest_frame"])
            eq("culprit's first segment", why[0].get("data-segment"), st["why"]["segment"])
        hit = p.by_id.get("first-invalidated")
        if hit is None:
            fails.append("the ladder does not outline the first invalidated frame")
        # the field table (from the ladder's frames) against the pipeline's own explanation
        changed = [c.strip() for c in st["why"]["changed"].split(";")]
        fields = {a["data-field"]: a["data-changed"] for t, a in p.elems
                  if t == "tr" and "data-field" in a}
        if not fields:
            fails.append("no field table for the culprit's first invalidated frame")
        for name in ("addresses", "ports", "pseudo-header length", "seq", "ack", "data offset",
                     "flags", "window", "urgent pointer"):
            want = any(c.startswith(name) for c in changed)
            if fields and str(want).lower() != fields.get(name):
                fails.append(f"field {name}: page changed={fields.get(name)}, why says "
                             f"{st['why']['changed']!r}")
    if "rx" in j:
        check_pipeline(p, j["rx"], "rx", "wire", "guest")
        eq("rx culprit", p.by_id.get("rx-culprit", {}).get("data-culprit"),
           j["rx"]["culprit"] or "")
    if "flow-table" not in p.by_id:
        fails.append("no flow table")


def check_diff(p, j):
    e = p.by_id.get("explanation", {})
    eq("explanation stage", e.get("data-stage"), j["explanation"]["stage"] or "")
    eq("identical", e.get("data-identical"), str(j["identical"]).lower())
    eq("swapped", e.get("data-swapped"), str(j["swapped"]).lower())
    for side in ("guest", "wire"):
        for k in ("frames", "tcp", "other", "malformed"):
            _, cells = row(p, "captures", "data-k", k)
            eq(f"{side} {k}", cells.get(side), j[side][k])
        for v, n in j[side]["md5"].items():
            _, cells = row(p, "captures", "data-k", "md5." + v)
            eq(f"{side} md5 {v}", cells.get(side), n)
    eq("flows", p.by_id.get("flow-count", {}).get("data-flows"), len(j["flows"]))
    divs = {a["data-flow"]: a for t, a in p.elems if t == "div" and a.get("class") == "flow"}
    for fl in j["flows"][:64]:
        a = divs.get(fl["flow"])
        if a is None:
            fails.append(f"flow {fl['flow']} not on the page")
            continue
        eq(f"{fl['flow']} guest frames", a.get("data-guest-frames"), fl["guest"]["frames"])
        eq(f"{fl['flow']} wire frames", a.get("data-wire-frames"), fl["wire"]["frames"])
        eq(f"{fl['flow']} unchanged", a.get("data-unchanged"), fl["unchanged"])
    kinds = {}
    for t, a, cells in p.rows:
        if "data-kind" in a:
            kinds.setdefault(a["data-kind"], [0, 0])
            kinds[a["data-kind"]][0] += int(cells.get("guest_frames", 0))
            kinds[a["data-kind"]][1] += int(cells.get("wire_frames", 0))
    want = {}
    for fl in j["flows"][:64]:
        for d in fl["differences"]:
            want.setdefault(d["kind"], [0, 0])
            want[d["kind"]][0] += d["guest_frames"]
            want[d["kind"]][1] += d["wire_frames"]
    eq("differences (guest, wire frames)", sorted(kinds.items()), sorted(want.items()))


def main():
    kind, dom, js = sys.argv[1:4]
    p = Page()
    with open(dom, encoding="utf-8") as f:
        p.feed(f.read())
    with open(js, encoding="utf-8") as f:
        j = json.load(f)
    if p.scripts:
        fails.append(f"{p.scripts} script elements")
    csp = [a for t, a in p.elems if t == "meta" and
           a.get("http-equiv", "").lower() == "content-security-policy"]
    if not csp or "default-src 'none'" not in csp[0].get("content", ""):
        fails.append("no Content-Security-Policy default-src 'none'")
    for t, a in p.elems:
        for attr in ("src", "href"):
            if a.get(attr, "").lower().startswith(("http:", "https:", "//")):
                fails.append(f"<{t} {attr}={a[attr]}>: an external fetch")
    if "cmdline" not in p.by_id:
        fails.append("no command line")
    (check_replay if kind == "replay" else check_diff)(p, j)
    for f in fails:
        print(f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
