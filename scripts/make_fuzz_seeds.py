#!/usr/bin/env python3
"""Writes the synthetic seeds of the fuzz corpora (Fuzz/corpus/<harness>/): small IDX, gzip,
safetensors and checkpoint files, class maps and --augment lists. The other seeds are real files
(a run's config.json and history.csv, tag output, a catalogue index and its HNSW graph, photo
fixtures) copied there once; see docs/FUZZING.md."""
import gzip, json, os, struct, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "corpus")

def write(harness, name, data):
    os.makedirs(os.path.join(root, harness), exist_ok=True)
    with open(os.path.join(root, harness, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def idx(dims, values):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(values)

images = idx([2, 28, 28], [(i * 7) % 256 for i in range(2 * 784)])
labels = idx([2], [9, 2])
write("idx", "images.idx", images)
write("idx", "labels.idx", labels)
write("idx", "images.idx.gz", gzip.compress(images, mtime=0))
write("idx", "labels.idx.gz", gzip.compress(labels, mtime=0))
write("idx", "small.idx", idx([1, 2, 3], range(6)))

write("gzip", "text.gz", gzip.compress(b"fashion " * 40, mtime=0))
write("gzip", "two-members.gz", gzip.compress(b"first\n", mtime=0) + gzip.compress(b"second\n", mtime=0))
write("gzip", "empty.gz", gzip.compress(b"", mtime=0))

def safetensors(tensors, metadata=None):
    header, blob = {}, b""
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + blob

def f32(values):
    return struct.pack("<%df" % len(values), *values)

write("safetensors", "f32.safetensors", safetensors({"w": ("F32", [2, 3], f32([0.5, -1, 2, 3, 4, 5])), "b": ("F32", [3], f32([1, 2, 3]))},
                                                   {"note": "seed"}))
write("safetensors", "mixed.safetensors", safetensors({"ids": ("I32", [2], struct.pack("<2i", 7, -1)), "u": ("U8", [4], bytes([1, 2, 3, 4])),
                                                      "s": ("F32", [], f32([1.5]))}))
write("safetensors", "empty.safetensors", safetensors({}, {}))

classes = json.dumps(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
preprocessing = json.dumps({"method": "photo", "size": 28, "channels": 1})
write("checkpoint", "seed-cnn-head.safetensors", safetensors(
    {"fc_2.weight": ("F32", [10, 4], f32([0.01 * i for i in range(40)])), "fc_2.bias": ("F32", [10], f32([0] * 10))},
    {"architecture": "seed-cnn", "classes": classes, "input_channels": "1", "input_size": "28", "preprocessing": preprocessing,
     "temperature": "1.5", "epoch": "3"}))
write("checkpoint", "resnet20-shop.safetensors", safetensors(
    {"conv1.weight": ("F32", [16, 3, 3, 3], f32([0.001 * i for i in range(432)]))},
    {"architecture": "resnet20", "classes": json.dumps(["dress", "hat", "shoes"]), "input_channels": "3", "input_size": "32",
     "preprocessing": json.dumps({"method": "letterbox", "size": 32, "channels": 3})}))
write("checkpoint", "plain.safetensors", safetensors({"conv_1.bias": ("F32", [32], f32([0] * 32))}))

write("classmap", "map.csv", "folder,classes\nshirts,Shirt;T-shirt/top\npants,Trouser\nshoes,Sneaker;Sandal;Ankle boot\n")
write("classmap", "map.json", json.dumps({"shirts": ["Shirt", "T-shirt/top"], "pants": ["Trouser"], "shoes": ["Sneaker"]}))

for name, text in {"photo": "flip,crop=2,rotate=10,scale=0.1,erase=0.5,photo", "parts": "photo-crop=0.5,crop-area=0.6,tone=0.5,blur=0.4,clutter=0.3,noise=0.04,jitter=0.3",
                   "none": "none", "best": "flip,crop=2,erase=0.5"}.items():
    write("augment", name, text)

# multipart: the first line is the Content-Type header, the rest the body.
photo_bytes = bytes([0xFF, 0xD8, 0xFF, 0xE0, 13, 10, 45, 45, 0, 0xFF, 0xD9])
write("multipart", "form.txt", b"multipart/form-data; boundary=XyZ\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
      b"--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
      + photo_bytes + b"\r\n--XyZ--\r\n")
write("multipart", "bare.txt", b"multipart/form-data; boundary=\"b b\"\n--b b\r\n\r\ncontent\r\n--b b--")
write("multipart", "image.txt", b"image/png\n\x89PNG")
