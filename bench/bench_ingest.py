"""Ingest cost of a 4096×4096 PNG: our processing (verify, two WebP thumbnails) against Pillow's
bare thumbnail, timed in the same run, each with its peak RSS measured in a fresh process.

    .venv/bin/python -m bench.bench_ingest [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import io, json, os, resource, sys, time
sys.path.insert(0, sys.argv[1])
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zcheap_site.settings")
import django; django.setup()
from PIL import Image
from gallery.generation import media_processing
data = open(sys.argv[2], "rb").read()
mode, repeat = sys.argv[3], int(sys.argv[4])
times = []
for _ in range(repeat):
    t = time.perf_counter()
    if mode == "ours":
        media_processing.process_image(data)
    else:
        im = Image.open(io.BytesIO(data)); im.thumbnail((640, 640)); out = io.BytesIO(); im.save(out, "WEBP")
    times.append(time.perf_counter() - t)
print(json.dumps({"best": min(times), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (4096, 4096))
    draw = ImageDraw.Draw(image)
    for i in range(0, 4096, 64):  # some structure, so PNG decoding does real work
        draw.rectangle(
            (i, i // 2, i + 60, 4096 - i // 3), fill=(i % 255, (i * 7) % 255, (i * 13) % 255)
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path = Path("/tmp/bench-4096.png")
    path.write_bytes(buffer.getvalue())
    results = {}
    for mode in ("bare", "ours"):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), str(path), mode, str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        results[mode] = json.loads(out.strip().splitlines()[-1])
    bare, ours = results["bare"], results["ours"]
    print(f"4096×4096 PNG, {len(buffer.getvalue()) / 1e6:.1f} MB, best of {args.repeat}")
    print(
        f"Pillow bare thumbnail (640 WebP)      {bare['best'] * 1000:7.0f} ms   peak RSS {bare['rss_mb']:.0f} MB"
    )
    print(
        f"our ingest (verify + 640 + 320 WebP)  {ours['best'] * 1000:7.0f} ms   peak RSS {ours['rss_mb']:.0f} MB"
    )
    print(f"ratio ours / bare                     {ours['best'] / bare['best']:7.2f}×")


if __name__ == "__main__":
    main()
