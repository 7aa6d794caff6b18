#!/usr/bin/env python3
"""Prints bench/run.sh's results as a Markdown table: median time, ratio to the baseline, peak
RSS, and whether each target of the performance issue is met."""

import json
import os
import sys

res = sys.argv[1]


def median(name, i=0):
    path = os.path.join(res, name + ".json")
    if not os.path.exists(path):
        return None
    return json.load(open(path))["results"][i]["median"]


def cpu(name, i=0):
    path = os.path.join(res, name + ".json")
    if not os.path.exists(path):
        return None
    r = json.load(open(path))["results"][i]
    return r["user"] + r["system"]


def rss_mib(name):
    path = os.path.join(res, name + ".rss")
    if not os.path.exists(path):
        return None
    text = open(path).read().strip()
    return int(text) / 1024 if text else None


def fmt_t(t):
    if t is None:
        return "-"
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.3f} s"


def fmt_m(m):
    return "-" if m is None else f"{m:.1f} MiB"


rows = []


def row(item, tree, tool, t, base, rss, target, ok, c=None):
    ratio = "-" if t is None or base is None else f"{t / base:.3f}"
    verdict = "-" if ok is None else ("met" if ok else "NOT met")
    rows.append((item, tree, tool, fmt_t(t), ratio, fmt_t(c), fmt_m(rss), target, verdict))


for tree in ["a", "b"]:
    tar = median(f"render-{tree}", 1)
    warm_render = median(f"render-{tree}", 0)
    cold_render = median(f"render-cold-{tree}", 0)
    row("1", tree, "GNU tar --sort=name ...", tar, None, rss_mib(f"rss-gnutar-{tree}"), "", None,
        cpu(f"render-{tree}", 1))
    row("1", tree, "imgspec render --context", warm_render, tar, rss_mib(f"rss-render-{tree}"),
        "ratio <= 1.0", warm_render is not None and tar is not None and warm_render <= tar,
        cpu(f"render-{tree}", 0))
    row("1", tree, "imgspec render --context, no cache", cold_render, tar, None, "ratio <= 1.0",
        cold_render is not None and tar is not None and cold_render <= tar,
        cpu(f"render-cold-{tree}", 0))

    pipe = median(f"uri-cold-{tree}", 1)
    cold = median(f"uri-cold-{tree}", 0)
    row("2", tree, "tar -cf - \\| sha256sum", pipe, None, None, "", None, cpu(f"uri-cold-{tree}", 1))
    row("2", tree, "imgspec uri, cold", cold, pipe, rss_mib(f"rss-uri-cold-{tree}"),
        "ratio <= 0.25", cold is not None and pipe is not None and cold <= 0.25 * pipe,
        cpu(f"uri-cold-{tree}", 0))

    rfloor = median(f"uri-cold-{tree}", 2)
    row("2", tree, "read floor: open + fstat + read + close only, 2 threads", rfloor, pipe, None, "",
        None, cpu(f"uri-cold-{tree}", 2))

    warm = median(f"uri-warm-{tree}", 0)
    row("3", tree, "imgspec uri, warm (vs cold)", warm, cold, None,
        "ratio <= 0.05" if tree == "a" else "(a only)",
        (warm is not None and cold is not None and warm <= 0.05 * cold) if tree == "a" else None,
        cpu(f"uri-warm-{tree}", 0))
    floor = median(f"uri-warm-{tree}", 1)
    row("3", tree, "stat floor: readdir + fstatat only, 2 threads (vs cold)", floor, cold, None, "", None,
        cpu(f"uri-warm-{tree}", 1))

limit = 64.0
a_render, a_uri = rss_mib("rss-render-a"), rss_mib("rss-uri-cold-a")
big_render, big_uri = rss_mib("rss-render-big"), rss_mib("rss-uri-cold-big")
for name, m in [("render --context", a_render), ("uri, cold", a_uri)]:
    row("4", "a", f"imgspec {name}: peak RSS", None, None, m, "<= 64 MiB",
        None if m is None else m <= limit)
for name, m, small in [("render --context", big_render, a_render), ("uri, cold", big_uri, a_uri)]:
    if m is None:
        continue
    grow = f"x{m / small:.2f} of (a)" if small else ""
    row("4", "4x(a)", f"imgspec {name}: peak RSS {grow}", None, None, m, "<= 64 MiB + 10%",
        m <= limit * 1.1)

start = median("startup", 0)
cat = median("startup", 1)
row("5", "-", "cat SPEC", cat, None, None, "", None, cpu("startup", 1))
row("5", "-", "imgspec uri, no copied files", start, cat, None, "ratio <= 5",
    start is not None and cat is not None and start <= 5 * cat, cpu("startup", 0))

head = ("item", "tree", "tool", "median wall", "ratio", "CPU user+sys", "peak RSS", "target", "")
print("| " + " | ".join(head) + " |")
print("|" + "|".join(["---"] * len(head)) + "|")
for r in rows:
    print("| " + " | ".join(r) + " |")
