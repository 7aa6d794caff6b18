#!/usr/bin/env python3
"""Benchmark data for imgspec: a folder tree plus a spec that copies it with `source_folder`.

    gen_tree.py mixed DEST [--scale N]   # ~20,000 files, 1 GiB in all (N times both with --scale)
    gen_tree.py small DEST               # 100,000 files of 1 byte to 4 KiB

DEST gets `spec.yaml` and `tree/`. The content is pseudo-random (incompressible) and the same for
one seed on every machine, so runs compare; file sizes follow a log-normal law (most files small,
a few of several MiB, like a source tree with data files in it), scaled so the total is exact.
"""

import argparse
import os
import random
import sys

GIB = 1 << 30

SPEC = """\
# imgspec benchmark: copy the generated tree into the image.
name: bench
registry: 127.0.0.1:5000
from:
  base: 127.0.0.1:5000/debian-python:bookworm
layers:
  - source_folder: {src: tree, dst: /app/tree}
"""


def sizes_mixed(rng, count, total):
    raw = [rng.lognormvariate(9.0, 2.0) for _ in range(count)]  # median 8 KiB, long tail
    raw = [min(r, 64 << 20) for r in raw]
    scale = total / sum(raw)
    sizes = [max(0, int(r * scale)) for r in raw]
    sizes[0] += total - sum(sizes)  # exact total
    return sizes


def sizes_small(rng, count):
    return [rng.randint(1, 4096) for _ in range(count)]


def layout(rng, count, per_dir):
    """Relative file paths: folders of about `per_dir` files, nested up to 4 deep."""
    paths = []
    dirs = [""]
    made = 0
    while made < count:
        parent = rng.choice(dirs)
        if parent.count("/") >= 4:
            parent = ""
        d = f"{parent}d{len(dirs):05d}/"
        dirs.append(d)
        n = min(count - made, max(1, int(rng.gauss(per_dir, per_dir / 3))))
        for i in range(n):
            ext = rng.choice([".py", ".txt", ".json", ".bin", ".csv", ".so", ""])
            paths.append(f"{d}f{made + i:06d}{ext}")
        made += n
    return paths


def write_tree(dest, paths, sizes, rng):
    pool = rng.randbytes(32 << 20)
    tree = os.path.join(dest, "tree")
    os.makedirs(tree, exist_ok=True)
    made = set()
    for i, (rel, size) in enumerate(zip(paths, sizes)):
        full = os.path.join(tree, rel)
        parent = os.path.dirname(full)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(full, "wb") as f:
            left = size
            # A different window of the pool for every file (and a unique prefix), so no two
            # files share content.
            f.write(i.to_bytes(8, "little")[: min(8, left)])
            left -= min(8, left)
            off = rng.randrange(len(pool))
            while left > 0:
                chunk = pool[off : off + left]
                f.write(chunk)
                left -= len(chunk)
                off = 0
        if i % 97 == 0:
            os.chmod(full, 0o755)
    with open(os.path.join(dest, "spec.yaml"), "w") as f:
        f.write(SPEC)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["mixed", "small"])
    ap.add_argument("dest")
    ap.add_argument("--scale", type=int, default=1, help="mixed: N times the files and the bytes")
    ap.add_argument("--seed", type=int, default=20261127)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.kind == "mixed":
        count = 20000 * args.scale
        sizes = sizes_mixed(rng, count, GIB * args.scale)
        paths = layout(rng, count, 40)
    else:
        count = 100000
        sizes = sizes_small(rng, count)
        paths = layout(rng, count, 100)
    write_tree(args.dest, paths, sizes, rng)
    print(f"{args.dest}: {count} files, {sum(sizes)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
