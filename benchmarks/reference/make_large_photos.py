"""Writes "real-size" JPEGs for the `fashion tag` benchmark (benchmarks/reference/tag_compare.sh).

Takes N of the shared phone photos (/work/shared/photos/clothing-small-train/*/*.jpg,
mostly 400x533), spread evenly over the sorted list so every class folder is in it,
upscales each with Lanczos so its longer side is --long-side pixels (2048: 400x533 becomes
1537x2048, as a 3 MP phone photo) and saves it as a JPEG of --quality 90 with the
original's EXIF data (so its orientation tag, if any, still applies: the stored pixels are
scaled, not turned).  Files are named <class>_<name>.jpg.  With --original the chosen
photos are copied unchanged instead (the same N files, for the small-photo runs).
Existing files are kept, so a second run only fills in what is missing.  Never commit
the output.

Usage:
  /work/venv/bin/python benchmarks/reference/make_large_photos.py            # 1000 into /tmp/fashion-large-photos
  /work/venv/bin/python benchmarks/reference/make_large_photos.py --count 40 --out /tmp/few
  /work/venv/bin/python benchmarks/reference/make_large_photos.py --original --out /tmp/fashion-small-photos

Needs pillow (pip install pillow into the venv).
"""

import argparse
import glob
import os
import shutil
import sys
from multiprocessing import Pool

from PIL import Image

SOURCE = "/work/shared/photos/clothing-small-train/*/*.jpg"


def chosen(pattern, count):
    """`count` paths spread evenly over the sorted matches of `pattern`."""
    paths = sorted(glob.glob(pattern))
    if not paths:
        sys.exit(f"error: no photos match {pattern}")
    if count > len(paths):
        sys.exit(f"error: asked for {count} photos, only {len(paths)} match {pattern}")
    return [paths[i * len(paths) // count] for i in range(count)]


def target_name(path):
    return f"{os.path.basename(os.path.dirname(path))}_{os.path.basename(path)}"


def make(job):
    """Writes one file (to a temporary name first, so an interrupted run leaves no half file)."""
    path, out, long_side, quality, original = job
    target = os.path.join(out, target_name(path))
    if os.path.exists(target):
        return False
    partial = target + ".part"
    if original:
        shutil.copyfile(path, partial)
    else:
        with Image.open(path) as im:
            exif = im.info.get("exif")
            icc = im.info.get("icc_profile")
            w, h = im.size
            scale = long_side / max(w, h)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            big = im.convert("RGB").resize(size, Image.Resampling.LANCZOS)
        options = {"quality": quality}
        if exif:
            options["exif"] = exif
        if icc:
            options["icc_profile"] = icc
        big.save(partial, "JPEG", **options)
    os.replace(partial, target)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="photos to write (default 1000)")
    parser.add_argument("--out", default="/tmp/fashion-large-photos", help="folder (default /tmp/fashion-large-photos)")
    parser.add_argument("--source", default=SOURCE, help=f"glob of the photos to start from (default {SOURCE})")
    parser.add_argument("--long-side", type=int, default=2048, help="longer side in pixels (default 2048)")
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality (default 90)")
    parser.add_argument("--original", action="store_true", help="copy the chosen photos unchanged")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    jobs = [(p, args.out, args.long_side, args.quality, args.original) for p in chosen(args.source, args.count)]
    if args.workers > 1:
        with Pool(args.workers) as pool:
            written = sum(pool.imap_unordered(make, jobs, chunksize=8))
    else:
        written = sum(map(make, jobs))
    kind = "copies" if args.original else f"{args.long_side}-pixel JPEGs (quality {args.quality})"
    print(f"{args.out}: {len(jobs)} {kind}, {written} written now, {len(jobs) - written} already there")


if __name__ == "__main__":
    main()
