import Imaging

/// EXIF orientation: finding the tag in untrusted files and turning pictures upright.
/// Every read is bounds-checked; anything missing or malformed means orientation 1 (as stored).
enum Orientation {
    /// The orientation (1...8) a file's EXIF data declares, or 1.
    static func of(_ bytes: [UInt8], format: ImageFormat) -> Int {
        let exif: [UInt8]?
        switch format {
        case .jpeg: exif = JPEGMarkers(bytes).exif
        case .png: exif = pngChunk("eXIf", in: bytes)
        case .webp: exif = webpChunk("EXIF", in: bytes)
        default: exif = nil
        }
        return exif.map(fromTIFF) ?? 1
    }

    /// The orientation tag (0x0112) of IFD0 in TIFF-structured EXIF data (optionally after "Exif\0\0").
    static func fromTIFF(_ exif: [UInt8]) -> Int {
        let prefix = Array("Exif\0\0".utf8)
        let t = exif.starts(with: prefix) ? Array(exif.dropFirst(prefix.count)) : exif
        guard t.count >= 8, t[0] == t[1], t[0] == 0x49 || t[0] == 0x4D else { return 1 }
        let little = t[0] == 0x49
        func read(_ offset: Int, _ count: Int) -> Int? {
            guard offset >= 0, count <= t.count, offset <= t.count - count else { return nil }
            let field = t[offset ..< offset + count]
            return (little ? field.reversed() : Array(field)).reduce(0) { $0 << 8 | Int($1) }
        }
        guard read(2, 2) == 42, let ifd = read(4, 4), let entries = read(ifd, 2) else { return 1 }
        for k in 0 ..< entries {
            let entry = ifd + 2 + 12 * k
            guard let tag = read(entry, 2), let type = read(entry + 2, 2) else { return 1 }
            guard tag == 0x0112 else { continue }
            let value = type == 3 ? read(entry + 8, 2) : type == 4 ? read(entry + 8, 4) : nil
            return value.flatMap { (1 ... 8).contains($0) ? $0 : nil } ?? 1
        }
        return 1
    }

    /// The body of the first PNG chunk of this type, walking chunk headers from the signature.
    static func pngChunk(_ type: String, in b: [UInt8]) -> [UInt8]? {
        var i = 8
        while b.count - i >= 12 {
            let length = b[i ..< i + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= b.count - i - 12 else { return nil }
            if b[i + 4 ..< i + 8].elementsEqual(type.utf8) { return Array(b[i + 8 ..< i + 8 + length]) }
            i += 12 + length
        }
        return nil
    }

    /// The body of the first RIFF chunk of this type in a WebP file.
    static func webpChunk(_ type: String, in b: [UInt8]) -> [UInt8]? {
        var i = 12
        while b.count - i >= 8 {
            let size = b[i + 4 ..< i + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
            guard size <= b.count - i - 8 else { return nil }
            if b[i ..< i + 4].elementsEqual(type.utf8) { return Array(b[i + 8 ..< i + 8 + size]) }
            i += 8 + size + size % 2
        }
        return nil
    }

    /// `image` turned upright for EXIF orientation `orientation` (1...8; anything else leaves it alone).
    /// 2 mirrors, 3 turns half round, 4 flips; 5 transposes, 6 turns clockwise, 7 transverses and
    /// 8 turns counter-clockwise, swapping width and height.
    static func apply(_ orientation: Int, to image: RGBImage) -> RGBImage {
        guard (2 ... 8).contains(orientation) else { return image }
        let w = image.width, h = image.height
        let swaps = orientation >= 5
        var out = RGBImage(width: swaps ? h : w, height: swaps ? w : h)
        for y in 0 ..< out.height {
            for x in 0 ..< out.width {
                let (sx, sy): (Int, Int)
                switch orientation {
                case 2: (sx, sy) = (w - 1 - x, y)
                case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                case 4: (sx, sy) = (x, h - 1 - y)
                case 5: (sx, sy) = (y, x)
                case 6: (sx, sy) = (y, h - 1 - x)
                case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                default: (sx, sy) = (w - 1 - y, x)
                }
                let (from, to) = (3 * (sy * w + sx), 3 * (y * out.width + x))
                out.pixels[to] = image.pixels[from]
                out.pixels[to + 1] = image.pixels[from + 1]
                out.pixels[to + 2] = image.pixels[from + 2]
            }
        }
        return out
    }
}

/// What the markers before a JPEG's first scan say: EXIF data and whether an Adobe APP14
/// marker is present (Adobe CMYK JPEGs store inverted ink values).
struct JPEGMarkers {
    /// The TIFF data of the first APP1 "Exif\0\0" segment.
    var exif: [UInt8]?
    /// Whether an APP14 "Adobe" segment is present.
    var adobe = false

    /// Walks the segments after SOI up to the first scan, stopping quietly at anything malformed.
    init(_ b: [UInt8]) {
        var i = 2
        while b.count - i >= 4, b[i] == 0xFF {
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0 ... 0xD7).contains(marker) { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { break }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, length <= b.count - i - 2 else { break }
            let body = b[i + 4 ..< i + 2 + length]
            if marker == 0xE1, exif == nil, body.starts(with: "Exif\0\0".utf8) { exif = Array(body.dropFirst(6)) }
            if marker == 0xEE, body.starts(with: "Adobe".utf8) { adobe = true }
            i += 2 + length
        }
    }
}
