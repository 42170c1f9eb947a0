#!/usr/bin/env python3
"""Write small PNG fixtures for the Swift PNG reader (standard library only).

    python3 scripts/make_png_fixtures.py

Each file is 7 x 5 pixels with channel c of pixel (x, y) = (37x + 91y + 53c) mod 256 and
row y filtered with PNG filter type y (None, Sub, Up, Average, Paeth), so every filter is
exercised; an ancillary tEXt chunk sits between IHDR and IDAT.

* Tests/Fixtures/filters_rgb.png   colour type 2 (RGB)
* Tests/Fixtures/filters_gray.png  colour type 0 (grayscale; c = 0)
* Tests/Fixtures/filters_rgba.png  colour type 6 (RGBA; alpha = 200)
"""
import struct
import zlib

WIDTH, HEIGHT = 7, 5


def value(x, y, c):
    return (37 * x + 91 * y + 53 * c) % 256


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def rows(channels):
    out = []
    for y in range(HEIGHT):
        row = []
        for x in range(WIDTH):
            for c in range(channels):
                row.append(200 if channels == 4 and c == 3 else value(x, y, c))
        out.append(row)
    return out


def filtered(pixels, channels):
    data = bytearray()
    for y, row in enumerate(pixels):
        kind = y % 5
        data.append(kind)
        above = pixels[y - 1] if y > 0 else [0] * len(row)
        for i, v in enumerate(row):
            a = row[i - channels] if i >= channels else 0
            b = above[i]
            c = above[i - channels] if i >= channels else 0
            predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            data.append((v - predictor) % 256)
    return bytes(data)


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def write(path, colour_type, channels):
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, colour_type, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"tEXt", b"Comment\x00fixture")
    png += chunk(b"IDAT", zlib.compress(filtered(rows(channels), channels), 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


write("Tests/Fixtures/filters_rgb.png", 2, 3)
write("Tests/Fixtures/filters_gray.png", 0, 1)
write("Tests/Fixtures/filters_rgba.png", 6, 4)
