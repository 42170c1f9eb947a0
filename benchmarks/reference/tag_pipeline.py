"""A Python reference for `fashion tag`: the same work per photo, in PIL, numpy and PyTorch.

For every photo (folders are walked recursively, as fashion does): read the file, SHA-256
of its bytes (hashlib), decode with PIL (by default with `draft`, so libjpeg scales by
1/2, 1/4 or 1/8 in the DCT; `--no-draft` decodes at full size), apply the EXIF
orientation, run the photo preprocessing of Sources/Preprocessing (Preprocessor.photo:
area resize to 128, background plane from the border ring, flood-filled mask, speck
cleaning, fallback crop, polarity and contrast, 28x28 centring) ported to numpy/scipy,
then classify with a PyTorch `vgg-bn` (Sources/Models/VGG.swift) holding the same
safetensors weights.  Writes JSON lines like fashion's (path, sha256, label, index,
probability, top_k, abstained) and prints one summary line.

Parallelism as in fashion: photos go in chunks of 256; each chunk is read, hashed,
decoded and preprocessed by a multiprocessing Pool (`--workers`, default 2), then
classified by torch with `--threads` (default 2) intra-op threads.

The timed part (photos/s) starts after the imports, the model load and the pool start
and ends after the last line is written; the summary also gives the time since the
script started (after the interpreter itself started).

Decode scale: fashion asks libjpeg-turbo for the smallest n/8 scale (1/8, 2/8, 3/8, ...)
keeping both sides >= 128; PIL's draft only offers 1/1, 1/2, 1/4, 1/8 (the largest
whose result is still >= 128 a side).  For 1536x2048 photos both pick 1/8 (192x256);
for 400x533 ones fashion decodes at 3/8 (150x200), PIL's draft at 1/2 (200x267).  Both
are area-averaged to 128 on the long edge afterwards, so the inputs differ slightly, and
so, for photos the model is unsure of, can the label.  `--turbo-scale` decodes at
fashion's own scale (libjpeg's 1/3 request gives 3/8) by setting Pillow's decoder
configuration, an internal of Pillow 13: with it (same libjpeg-turbo output, checked
pixel for pixel against tjDecompress2) the labels equal fashion's and the probabilities
agree to ~1e-6 (float summation order in the model).

Usage:
  /work/venv/bin/python benchmarks/reference/tag_pipeline.py PHOTOS_DIR \
      --weights runs/fast/model.safetensors --out /tmp/py-tags.jsonl \
      [--workers 2] [--threads 2] [--chunk 256] [--no-draft | --turbo-scale]

The output (and <out>.errors.jsonl, one line per file that failed) is overwritten, not
resumed.  Peak memory: "main" is this process's peak RSS; "main + workers" adds each
worker's peak, an upper bound (pages shared after the fork count twice).

Needs: torch, numpy, safetensors, pillow, scipy (pip install pillow scipy into the venv).
"""

import argparse
import hashlib
import json
import os
import resource
import sys
import time

STARTED = time.perf_counter()

import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402
from scipy import ndimage  # noqa: E402

F = np.float32
MAXIMUM_DISTANCE = F(255) * np.sqrt(F(3))  # PaperSteps.maximumDistance
IMAGE_EXTENSIONS = {"jpg", "jpeg", "jpe", "jfif", "png", "webp",
                    "gif", "bmp", "tif", "tiff", "heic", "heif", "avif"}
FASHION_MNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


# --- Preprocessing parameters (Preprocessor.swift) ------------------------------------

# Keep equal to the defaults in Preprocessor.swift (these are those of commit da3430d).
DEFAULTS = {
    "method": "photo", "size": 28, "workingSize": 128, "borderFraction": 0.05,
    "spreadPercentile": 0.75, "spreadFactor": 2, "openingRadius": 2,
    "minimumThreshold": 0.08, "componentFraction": 0.1, "minimumCoverage": 0.1,
    "maximumCoverage": 0.95, "fallbackFraction": 0.8,
    "contrastPercentiles": [0.02, 0.98], "contrastRange": [0, 255],
}


def preprocessing_parameters(metadata, override=None):
    """The defaults, with the parameters of `override` (the JSON of fashion's
    --preprocessing-parameters) or else of the checkpoint's "preprocessing" metadata."""
    params = dict(DEFAULTS)
    text = override if override is not None else metadata.get("preprocessing")
    if text is not None:
        given = json.loads(text)
        unknown = sorted(set(given) - set(DEFAULTS))
        if unknown:
            print(f"warning: preprocessing parameters this port does not know (ignored, so the "
                  f"work may differ from fashion's): {', '.join(unknown)}", file=sys.stderr)
        params.update({k: v for k, v in given.items() if k in DEFAULTS})
    if params["method"] != "photo":
        sys.exit(f"error: only the photo preprocessing is ported, the checkpoint asks for {params['method']}")
    return params


# --- Small helpers with Swift's rounding and Float semantics ---------------------------

def round_half_away(x):
    """Swift's .rounded() (schoolbook rounding) for scalars or arrays."""
    return np.where(np.asarray(x) >= 0, np.floor(np.asarray(x) + 0.5), np.ceil(np.asarray(x) - 0.5))


def clamped_byte(values):
    """clampedByte: rounded to nearest (half away from zero), clamped to 0...255."""
    return np.clip(round_half_away(values.astype(F)), 0, 255).astype(np.uint8)


def seq_sum(values):
    """A float32 sum added left to right, as Swift's loops do (np.sum is pairwise)."""
    return np.cumsum(values, dtype=F, axis=0)[-1] if len(values) else np.zeros(values.shape[1:], F)


def fitted_size(width, height, longest_edge):
    """fittedSize: aspect kept, shorter edge rounded (in Double), at least 1."""
    edge = max(1, longest_edge)
    if width >= height:
        return edge, max(1, int(round_half_away(height * edge / width)))
    return max(1, int(round_half_away(width * edge / height))), edge


def percentile_of_histogram(histogram, fraction):
    """The smallest value v with at least `fraction` of the count at or below it."""
    total = int(histogram.sum())
    if total == 0:
        return 0
    target = max(1, int(np.ceil(F(fraction) * F(total))))
    return int(np.searchsorted(np.cumsum(histogram), target))


def relative(n):
    """relative(x, n) for x in 0..<n: (x + 0.5) / n - 0.5 in Float."""
    return (np.arange(n, dtype=F) + F(0.5)) / F(n) - F(0.5)


# --- AreaResize.swift ----------------------------------------------------------------

_WEIGHTS = {}


def axis_weights(n, m):
    """AxisWeights(from: n, to: m) as padded (m, taps) index and weight arrays."""
    key = (n, m)
    if key not in _WEIGHTS:
        scale = n / m
        rows = []
        for j in range(m):
            lo, hi = j * scale, (j + 1) * scale
            taps, i = [], int(np.floor(lo))
            while i < hi and i < n:
                overlap = min(i + 1, hi) - max(i, lo)
                if overlap > 1e-9:
                    taps.append((i, F(overlap / scale)))
                i += 1
            rows.append(taps)
        width = max(len(t) for t in rows)
        index = np.zeros((m, width), np.intp)
        weight = np.zeros((m, width), F)
        for j, taps in enumerate(rows):
            for k, (i, w) in enumerate(taps):
                index[j, k], weight[j, k] = i, w
        _WEIGHTS[key] = (index, weight)
    return _WEIGHTS[key]


def area_resize(pixels, width, height):
    """AreaResize.resize of a (h, w) or (h, w, 3) uint8 array: vertical pass, then horizontal,
    taps added in the same order as the Swift loops (padding taps add 0)."""
    h, w = pixels.shape[:2]
    if (w, h) == (width, height):
        return pixels
    down_i, down_w = axis_weights(h, height)
    across_i, across_w = axis_weights(w, width)
    extra = (None,) * (pixels.ndim - 1)
    rows = np.zeros((height,) + pixels.shape[1:], F)
    for k in range(down_i.shape[1]):
        rows += down_w[:, k][(slice(None),) + extra] * pixels[down_i[:, k]].astype(F)
    out = np.zeros((height, width) + pixels.shape[2:], F)
    extra = (None,) * (pixels.ndim - 2)
    for k in range(across_i.shape[1]):
        out += across_w[:, k][(None, slice(None)) + extra] * rows[:, across_i[:, k]]
    return clamped_byte(out)


# --- PhotoSteps.swift ----------------------------------------------------------------

def binomial_blur(pixels):
    """[1 2 1]^T [1 2 1] / 16, edges clamped, rounded (integer arithmetic as in Swift)."""
    p = pixels.astype(np.int32)
    pad = [(0, 0)] * p.ndim
    pad[1] = (1, 1)
    q = np.pad(p, pad, mode="edge")
    rows = q[:, :-2] + 2 * q[:, 1:-1] + q[:, 2:]
    pad = [(0, 0)] * p.ndim
    pad[0] = (1, 1)
    r = np.pad(rows, pad, mode="edge")
    return ((r[:-2] + 2 * r[1:-1] + r[2:] + 8) // 16).astype(np.uint8)


class Background:
    """Colour plane c + u*gx + v*gy (u, v in -1/2...1/2) and spread."""

    def __init__(self, colour, gx=None, gy=None, spread=F(0)):
        self.colour = np.asarray(colour, F)
        self.gx = np.zeros(3, F) if gx is None else np.asarray(gx, F)
        self.gy = np.zeros(3, F) if gy is None else np.asarray(gy, F)
        self.spread = F(spread)

    @property
    def luminance(self):
        c = self.colour
        return F(0.299) * c[0] + F(0.587) * c[1] + F(0.114) * c[2]

    def expected(self, u, v):
        """Colours at positions u, v (broadcast arrays) -> (..., 3)."""
        return self.colour + u[..., None] * self.gx + v[..., None] * self.gy


def distance_squared(pixels, expected):
    d = pixels.astype(F) - expected
    d = d * d
    return d[..., 0] + d[..., 1] + d[..., 2]


def fit_plane(rgb, us, vs):
    """Least-squares plane through ring pixels (float32, summed left to right); None when
    the pixels do not determine one."""
    n = F(len(us))
    su, sv = seq_sum(us), seq_sum(vs)
    suu, suv, svv = seq_sum(us * us), seq_sum(us * vs), seq_sum(vs * vs)
    s1 = seq_sum(rgb)
    sU = seq_sum(us[:, None] * rgb)
    sV = seq_sum(vs[:, None] * rgb)
    det = n * (suu * svv - suv * suv) - su * (su * svv - suv * sv) + sv * (su * suv - suu * sv)
    if not (n >= 3 and abs(det) > F(1e-6) * n * n * n):
        return None
    c = (s1 * (suu * svv - suv * suv) - su * (sU * svv - suv * sV) + sv * (sU * suv - suu * sV)) / det
    gx = (n * (sU * svv - suv * sV) - s1 * (su * svv - suv * sv) + sv * (su * sV - sU * sv)) / det
    gy = (n * (suu * sV - sU * suv) - su * (su * sV - sU * sv) + s1 * (su * suv - suu * sv)) / det
    return Background(c, gx, gy)


def background_of(image, border, percentile, refinements=2):
    """PhotoSteps.background: median of the border ring, refined twice by a plane fit to
    the ring pixels near the model; spread = percentile of the ring's distances."""
    h, w = image.shape[:2]
    bx = min(w, max(1, int(round_half_away(F(border) * F(w)))))
    by = min(h, max(1, int(round_half_away(F(border) * F(h)))))
    ys, xs = np.mgrid[0:h, 0:w]
    ring = (ys < by) | (ys >= h - by) | (xs < bx) | (xs >= w - bx)
    rgb = image[ring]  # row-major order, as the Swift ring
    us, vs = relative(w)[xs[ring]], relative(h)[ys[ring]]
    medians = [percentile_of_histogram(np.bincount(rgb[:, c], minlength=256), 0.5) for c in range(3)]
    model = Background(medians)

    def distances():
        return np.sqrt(distance_squared(rgb, model.expected(us, vs)))

    d = distances()
    for _ in range(max(0, refinements)):
        limit = max(F(2) * np.sort(d)[(len(d) - 1) // 2], F(0.05) * MAXIMUM_DISTANCE)
        keep = d <= limit
        fitted = fit_plane(rgb[keep].astype(F), us[keep], vs[keep])
        model = fitted if fitted is not None else model
        d = distances()
    d = np.sort(d)
    model.spread = d[min(len(d) - 1, max(0, int(round_half_away(F(percentile) * F(len(d) - 1)))))]
    return model


def square_filter(values, radius, minimum):
    """Erosion (outside = 1) or dilation (outside = 0) of a 0/1 array over a (2r+1)^2 square."""
    if radius <= 0:
        return values
    side = 2 * radius + 1
    structure = np.ones((side, side), bool)
    if minimum:
        return ndimage.binary_erosion(values, structure, border_value=1)
    return ndimage.binary_dilation(values, structure, border_value=0)


FOUR = ndimage.generate_binary_structure(2, 1)  # 4-connectivity


def foreground_mask(image, smooth, model, threshold, radius):
    """PhotoSteps.foregroundMask: close pixels reachable from the edge through the opening."""
    h, w = image.shape[:2]
    limit = F(threshold) * F(threshold)
    expected = model.expected(relative(w)[None, :], relative(h)[:, None])
    close = (distance_squared(image, expected) <= limit) | (distance_squared(smooth, expected) <= limit)
    passable = square_filter(close, radius, minimum=True)
    labels, _ = ndimage.label(passable, structure=FOUR)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge = edge[edge > 0]
    reached = np.isin(labels, edge)
    grown = square_filter(reached, radius, minimum=False)
    return np.where(grown & close, 0, 255).astype(np.uint8)


def cleaned(mask, keep):
    """PhotoSteps.cleaned: the largest 4-connected component and those >= keep x its area."""
    labels, count = ndimage.label(mask >= 128, structure=FOUR)
    if count == 0:
        return mask
    areas = np.bincount(labels.ravel())[1:]
    kept = np.concatenate([[False], areas.astype(F) >= F(keep) * F(areas.max())])
    return np.where(kept[labels], 255, 0).astype(np.uint8)


def centre_mask(width, height, fraction):
    cw = min(width, max(1, int(round_half_away(F(fraction) * F(width)))))
    ch = min(height, max(1, int(round_half_away(F(fraction) * F(height)))))
    mask = np.zeros((height, width), np.uint8)
    mask[(height - ch) // 2:(height - ch) // 2 + ch, (width - cw) // 2:(width - cw) // 2 + cw] = 255
    return mask


def intensity(image, mask, alpha, model, percentiles, out_range):
    """PhotoSteps.intensity: luma, negated for a garment darker than the background,
    percentiles stretched to the range, times alpha / 255."""
    rgb = image.astype(F)
    lumas = F(0.299) * rgb[..., 0] + F(0.587) * rgb[..., 1] + F(0.114) * rgb[..., 2]
    garment = mask >= 128
    count = int(garment.sum())
    negate = count > 0 and seq_sum(lumas[garment]) / F(count) < model.luminance
    if negate:
        lumas = F(255) - lumas
    histogram = np.bincount(clamped_byte(lumas[garment]), minlength=256)
    low = F(percentile_of_histogram(histogram, percentiles[0]))
    high = F(percentile_of_histogram(histogram, percentiles[1]))
    lo, hi = F(out_range[0]), F(out_range[1])
    if high > low:
        stretched = lo + (lumas - low) * ((hi - lo) / (high - low))
    else:
        stretched = np.full(lumas.shape, hi, F)
    return clamped_byte(np.clip(stretched, F(0), F(255)) * alpha.astype(F) / F(255))


def centred(image, size):
    h, w = image.shape
    fw, fh = fitted_size(w, h, size)
    small = area_resize(image, fw, fh)
    canvas = np.zeros((size, size), np.uint8)
    left, top = (size - fw) // 2, (size - fh) // 2
    canvas[top:top + fh, left:left + fw] = small
    return canvas


def preprocess(photo, p):
    """Preprocessor.photo: the size x size uint8 input for an (h, w, 3) uint8 photo."""
    h, w = photo.shape[:2]
    if max(w, h) > p["workingSize"]:
        working = area_resize(photo, *fitted_size(w, h, p["workingSize"]))
    else:
        working = photo
    h, w = working.shape[:2]
    smooth = binomial_blur(working)
    model = background_of(smooth, p["borderFraction"], p["spreadPercentile"])
    threshold = max(F(p["minimumThreshold"]) * MAXIMUM_DISTANCE, F(p["spreadFactor"]) * model.spread)
    raw = foreground_mask(working, smooth, model, threshold, p["openingRadius"])
    mask = cleaned(raw, p["componentFraction"])
    coverage = F(np.count_nonzero(mask >= 128)) / F(mask.size)
    fallback = coverage < F(p["minimumCoverage"]) or coverage > F(p["maximumCoverage"])
    if fallback:
        mask = centre_mask(w, h, p["fallbackFraction"])
    ys, xs = np.nonzero(mask >= 128)
    if len(ys):
        box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    else:
        box = (slice(0, h), slice(0, w))
    alpha = mask[box] if fallback else binomial_blur(mask)[box]
    garment = intensity(working[box], mask[box], alpha, model, p["contrastPercentiles"], p["contrastRange"])
    return centred(garment, max(1, p["size"]))


# --- Reading and decoding ------------------------------------------------------------

def turbo_eighths(width, height, minimum_side):
    """The n of the n/8 scale fashion asks libjpeg-turbo for (JPEGReader.scale): the smallest
    n in 1...8 with both scaled sides (rounded up) >= minimum_side, else 8."""
    for n in range(1, 9):
        if (width * n + 7) // 8 >= minimum_side and (height * n + 7) // 8 >= minimum_side:
            return n
    return 8


# libjpeg's 1/d requests give the scales ceil(8/d)/8; fashion's n/8 -> the d reaching it, or
# for 5/8...7/8 (which 1/d cannot give) the full size.
DENOMINATOR_FOR_EIGHTHS = {1: 8, 2: 4, 3: 3, 4: 2}


def set_turbo_scale(im, minimum_side):
    """Makes PIL decode at fashion's DCT scale: like `draft`, but through Pillow's tile and
    decoderconfig (internals: checked with Pillow 13), since draft offers only 1/2, 1/4, 1/8."""
    n = turbo_eighths(im.size[0], im.size[1], minimum_side)
    d = DENOMINATOR_FOR_EIGHTHS.get(n, 1)
    if d == 1 or len(im.tile) != 1:
        return
    m = -(-8 // d)  # the eighths libjpeg uses for 1/d
    tile = im.tile[0]
    x0, y0, x1, y1 = tile.extents
    im.tile = [tile._replace(extents=(x0, y0, x0 + -(-(x1 - x0) * m // 8), y0 + -(-(y1 - y0) * m // 8)))]
    im._size = (-(-im.size[0] * m // 8), -(-im.size[1] * m // 8))
    im.decoderconfig = (d, 0)


def decode(data, minimum_side, scaling):
    """Upright RGB uint8 (h, w, 3) from file bytes.  JPEGs are DCT-scaled: "draft" by PIL's
    draft, "turbo" at fashion's own scale, "full" not at all."""
    import io
    im = Image.open(io.BytesIO(data))
    if im.format not in ("JPEG", "PNG", "WEBP"):
        raise ValueError(f"not an image: {im.format} files are not supported (use JPEG, PNG or WebP)")
    if im.format == "JPEG" and scaling == "draft":
        im.draft("RGB", (minimum_side, minimum_side))
    elif im.format == "JPEG" and scaling == "turbo":
        set_turbo_scale(im, minimum_side)
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    return np.asarray(im.convert("RGB"))


_WORKER = {}


def init_worker(params, scaling):
    _WORKER["params"], _WORKER["scaling"] = params, scaling


def prepare(path):
    """Worker: (path, sha256, 28x28 bytes or None, error, pid, peak RSS KiB)."""
    params = _WORKER["params"]
    try:
        with open(path, "rb") as f:
            data = f.read()
        sha = hashlib.sha256(data).hexdigest()
        minimum_side = max(params["size"], params["workingSize"])
        pixels = preprocess(decode(data, minimum_side, _WORKER["scaling"]), params)
        result = (path, sha, pixels.tobytes(), None)
    except Exception as error:  # a bad file is reported, never the end of the run
        result = (path, None, None, str(error) or type(error).__name__)
    return result + (os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def expand(paths):
    """Files of folders (recursive, hidden skipped, image extensions, sorted) and files as given."""
    files, seen = [], set()
    for path in paths:
        if os.path.isdir(path):
            found = []
            for root, dirs, names in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in names:
                    full = os.path.join(root, name)
                    if (not name.startswith(".") and name.rsplit(".", 1)[-1].lower() in IMAGE_EXTENSIONS
                            and "." in name and os.path.isfile(full)):
                        found.append(os.path.abspath(full))
            found.sort()
        elif os.path.exists(path):
            found = [os.path.abspath(path)]
        else:
            sys.exit(f"error: {path}: no such file or folder")
        for f in found:
            if f not in seen:
                seen.add(f)
                files.append(f)
    return files


# --- The model (Sources/Models/VGG.swift, "vgg-bn" in Models.swift) --------------------

def vgg_bn(widths=(32, 64, 128), hidden=256, dropout=0.3, classes=10):
    import torch.nn as nn
    layers, channels, side = [], 1, 28
    for width in widths:
        for _ in range(2):
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False),
                       nn.BatchNorm2d(width, eps=1e-5), nn.ReLU()]
            channels = width
        layers.append(nn.MaxPool2d(2))
        side //= 2
    from collections import OrderedDict
    return nn.Sequential(OrderedDict(
        features=nn.Sequential(*layers), flatten=nn.Flatten(),
        classifier=nn.Sequential(nn.Linear(channels * side * side, hidden), nn.ReLU(),
                                 nn.Dropout(dropout), nn.Linear(hidden, classes))))


def safetensors_metadata(path):
    """The string metadata of a safetensors file's header."""
    with open(path, "rb") as f:
        length = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(length)).get("__metadata__") or {}


def load_model(path):
    """The vgg-bn of a safetensors checkpoint in eval mode, its class names and temperature."""
    from safetensors.torch import load_file
    metadata = safetensors_metadata(path)
    architecture = metadata.get("architecture", "vgg-bn")
    if architecture != "vgg-bn":
        sys.exit(f"error: {path} holds a {architecture}; this reference builds only vgg-bn")
    tensors = {k: v.float() for k, v in load_file(path).items() if not k.startswith("optimizer.")}
    classes = tensors["classifier.3.weight"].shape[0]
    model = vgg_bn(classes=classes)
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"error: weights do not match vgg-bn (missing {missing}, unexpected {unexpected})")
    model.eval()
    names = json.loads(metadata["classes"]) if "classes" in metadata else FASHION_MNIST
    temperature = float(metadata.get("temperature", 1))
    return model, names, temperature


def float32_text(value):
    """The shortest text of a Float, as Swift's JSONEncoder writes it."""
    return float(str(np.float32(value)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="photo files and folders")
    parser.add_argument("--weights", required=True, help="safetensors vgg-bn checkpoint")
    parser.add_argument("--out", required=True, help="JSON-lines output (overwritten)")
    parser.add_argument("--workers", type=int, default=2, help="decode/preprocess processes (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads for inference (default 2)")
    parser.add_argument("--chunk", type=int, default=256, help="photos per chunk and batch (default 256)")
    parser.add_argument("--no-draft", action="store_true", help="decode JPEGs at full size (no DCT scaling)")
    parser.add_argument("--turbo-scale", action="store_true",
                        help="decode JPEGs at fashion's n/8 DCT scale (via Pillow internals) instead of draft's 1/2^k")
    parser.add_argument("--preprocessing-parameters", metavar="JSON",
                        help="photo pipeline parameters replacing the checkpoint's, as fashion's option")
    args = parser.parse_args()

    import multiprocessing as mp
    files = expand(args.paths)
    scaling = "full" if args.no_draft else "turbo" if args.turbo_scale else "draft"
    # The preprocessing parameters from the file's metadata; then the pool is forked before
    # torch is imported, so the workers carry no torch state or threads.
    params = preprocessing_parameters(safetensors_metadata(args.weights), args.preprocessing_parameters)
    pool = mp.get_context("fork").Pool(args.workers, initializer=init_worker,
                                       initargs=(params, scaling))
    import torch
    torch.set_num_threads(args.threads)
    model, names, temperature = load_model(args.weights)
    side = params["size"]

    ready = time.perf_counter()
    tagged = failed = 0
    worker_rss = {}
    with open(args.out, "w") as out, open(args.out + ".errors.jsonl", "w") as errors:
        for start in range(0, len(files), args.chunk):
            chunk = files[start:start + args.chunk]
            prepared = pool.map(prepare, chunk, chunksize=max(1, len(chunk) // (4 * args.workers)))
            good = [r for r in prepared if r[3] is None]
            for path, _, _, error, pid, rss in prepared:
                worker_rss[pid] = max(worker_rss.get(pid, 0), rss)
                if error is not None:
                    failed += 1
                    errors.write(json.dumps({"error": error, "path": path}, sort_keys=True) + "\n")
            if not good:
                continue
            pixels = np.frombuffer(b"".join(r[2] for r in good), np.uint8).reshape(-1, 1, side, side)
            with torch.inference_mode():
                x = torch.from_numpy(pixels.astype(F)) * F(1 / 255)
                logits = model(x)
                if temperature != 1:
                    logits = logits * (1 / temperature)
                p = torch.softmax(logits, dim=1).numpy()
            best = p.argmax(axis=1)
            lines = []
            for (path, sha, _, _, _, _), index, row in zip(good, best, p):
                index = int(index)
                label = names[index] if index < len(names) else f"class {index}"
                probability = float32_text(row[index])
                lines.append(json.dumps({
                    "abstained": False, "index": index, "label": label, "path": path,
                    "probability": probability, "sha256": sha,
                    "top_k": [{"index": index, "label": label, "probability": probability}],
                }, sort_keys=True, separators=(",", ":")) + "\n")
            out.write("".join(lines))
            tagged += len(good)
    done = time.perf_counter()
    pool.close()
    pool.join()

    seconds = done - ready
    main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = sum(worker_rss.values()) / 1024
    print(f"python tag ({dict(full='no draft', draft='draft', turbo='turbo scale')[scaling]}, {args.workers} workers, "
          f"{args.threads} threads): {tagged} photos, {failed} failed; {seconds:.2f} s, "
          f"{(tagged + failed) / max(seconds, 1e-9):.1f} photos/s "
          f"(since script start {done - STARTED:.2f} s); peak RSS main {main_rss:.0f} MiB, "
          f"main + workers {main_rss + workers:.0f} MiB -> {args.out}")


if __name__ == "__main__":
    main()
