#!/usr/bin/env python3
"""Writes the small photo-file fixtures of Tests/DecodingTests into Tests/Fixtures/images.

Good files share one 32×24 picture of four quadrants (red, green / blue, white) so the tests can
check colours at the quadrant centres. Bad files are cut, garbled, of another format, or declare
a huge size in an otherwise tiny file (decompression bombs). Run: python3 scripts/make_image_fixtures.py
"""
import io
import os
import random
import struct
import zlib

from PIL import Image, ImageOps

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "images")
W, H = 32, 24


def quadrants(colours=((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)), mode="RGB"):
    """Top-left, top-right, bottom-left, bottom-right quadrants of a W×H picture."""
    image = Image.new(mode, (W, H))
    for i, colour in enumerate(colours):
        x, y = (i % 2) * W // 2, (i // 2) * H // 2
        image.paste(colour, (x, y, x + W // 2, y + H // 2))
    return image


def encoded(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def exif(orientation):
    e = Image.Exif()
    e[0x0112] = orientation
    return e.tobytes()


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def main():
    os.makedirs(OUT, exist_ok=True)
    plain = quadrants()
    jpeg = dict(quality=92, subsampling=0)

    write("quadrants.jpg", encoded(plain, "JPEG", **jpeg))
    write("gray.jpg", encoded(plain.convert("L"), "JPEG", **jpeg))
    write("cmyk.jpg", encoded(plain.convert("CMYK"), "JPEG", **jpeg))
    # Stored turned so that applying the orientation gives the plain picture back.
    stored = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
    for orientation, transpose in stored.items():
        turned = plain.transpose(transpose)
        data = encoded(turned, "JPEG", exif=exif(orientation), **jpeg)
        upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        assert upright.size == (W, H), (orientation, upright.size)
        write(f"orientation{orientation}.jpg", data)
    write("orientation6.png", encoded(plain.transpose(stored[6]), "PNG", exif=exif(6)))
    write("orientation6.webp", encoded(plain.transpose(stored[6]), "WEBP", lossless=True, exif=exif(6)))

    write("rgb.png", encoded(plain, "PNG"))
    # Over white: red at half alpha → (255, 127, 127); opaque blue; transparent → white; black at half → 127.
    write("rgba.png", encoded(quadrants(((255, 0, 0, 128), (0, 0, 255, 255), (0, 0, 0, 0), (0, 0, 0, 128)),
                                        "RGBA"), "PNG"))
    # Red, green, blue and a transparent black (tRNS) that comes out white.
    palette = quadrants(((255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 0, 0))).convert(
        "P", palette=Image.Palette.ADAPTIVE, colors=4)
    write("palette.png", encoded(palette, "PNG", transparency=palette.getpixel((W - 1, H - 1))))
    gray16 = quadrants((0, 21845, 43690, 65535), "I;16")
    write("gray16.png", encoded(gray16, "PNG"))
    # Gray 0 at half alpha → 127; 200 opaque; anything transparent → 255; 100 at alpha 51 → 224.
    write("gray_alpha.png", encoded(quadrants(((0, 128), (200, 255), (50, 0), (100, 51)), "LA"), "PNG"))

    write("lossless.webp", encoded(plain, "WEBP", lossless=True))
    write("lossy.webp", encoded(plain, "WEBP", quality=90))
    rgba = quadrants(((255, 0, 0, 128), (0, 0, 255, 255), (0, 0, 0, 0), (0, 0, 0, 128)), "RGBA")
    write("alpha.webp", encoded(rgba, "WEBP", lossless=True, exact=True))
    second = quadrants(((0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0)))
    write("animated.webp", encoded(plain, "WEBP", lossless=True, save_all=True, append_images=[second],
                                   duration=100, loop=0))

    # Garbled entropy-coded data after an intact header.
    big = Image.radial_gradient("L").resize((64, 48)).convert("RGB")
    data = bytearray(encoded(big, "JPEG", quality=90))
    start = data.index(b"\xff\xda") + 20
    rng = random.Random(7)
    for i in range(start, len(data) - 2, 3):
        data[i] = rng.randrange(256)
    write("corrupt.jpg", bytes(data))
    for name in ("quadrants.jpg", "rgb.png", "lossless.webp"):
        with open(os.path.join(OUT, name), "rb") as f:
            whole = f.read()
        stem, ext = name.split(".")
        write(f"truncated.{ext}", whole[: len(whole) // 2])

    write("empty.jpg", b"")
    write("notes.jpg", b"Shopping list: socks, a coat, two T-shirts.\n")
    small = plain.resize((8, 6))
    write("image.gif", encoded(small, "GIF"))
    write("image.bmp", encoded(small, "BMP"))
    write("image.tiff", encoded(small, "TIFF"))
    # An ISO-BMFF file type box and nothing else.
    write("image.heic", struct.pack(">I", 24) + b"ftypheic" + struct.pack(">I", 0) + b"mif1heic")
    write("image.avif", struct.pack(">I", 24) + b"ftypavif" + struct.pack(">I", 0) + b"mif1avif")

    # Decompression bombs: tiny files that declare 30000×30000 pixels.
    tiny = Image.new("L", (16, 16), 128)
    data = bytearray(encoded(tiny, "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", 30000, 30000)  # height, width
    write("bomb.jpg", bytes(data))
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    row = zlib.compress(b"\x00" * 30001 * 4)
    write("bomb.png", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", row)
          + png_chunk(b"IEND", b""))
    lossless = encoded(tiny, "WEBP", lossless=True)
    vp8l = lossless[12:]
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0, 0, 0, 0]) \
        + (30000 - 1).to_bytes(3, "little") + (30000 - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + vp8l
    write("bomb.webp", b"RIFF" + struct.pack("<I", len(body)) + body)

    sizes = {name: os.path.getsize(os.path.join(OUT, name)) for name in sorted(os.listdir(OUT))}
    for name, size in sizes.items():
        print(f"{size:6d}  {name}")
    print(f"{sum(sizes.values()):6d}  total")


if __name__ == "__main__":
    main()
