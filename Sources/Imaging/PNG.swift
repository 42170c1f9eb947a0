// PNG files (RFC 2083): 8-bit RGB written with zlib, and a strict reader for 8-bit
// grayscale, RGB and RGBA non-interlaced files (what this program and browsers' screenshots write).
import CZlib
import Foundation

/// Why bytes are not a PNG this reader understands.
public struct PNGError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, in one line.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// PNG encoding and decoding of `RGBImage`s.
public enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG file for `image`: 8-bit RGB, one IDAT chunk, no filtering, deflate level 9.
    public static func encode(_ image: RGBImage) -> Data {
        var header = [UInt8]()
        header += bigEndian(UInt32(image.width))
        header += bigEndian(UInt32(image.height))
        header += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, filter method 0, no interlace
        let rowBytes = image.width * 3
        var raw = [UInt8]()
        raw.reserveCapacity(image.height * (rowBytes + 1))
        for y in 0 ..< image.height {
            raw.append(0)  // filter type None
            raw += image.pixels[y * rowBytes ..< (y + 1) * rowBytes]
        }
        var file = signature
        file += chunk("IHDR", header)
        file += chunk("IDAT", deflate(raw))
        file += chunk("IEND", [])
        return Data(file)
    }

    /// Decodes a PNG, checking the signature, every chunk's CRC, the header and the pixel data
    /// size; grayscale is expanded to RGB and alpha is dropped.
    public static func decode(_ data: Data) throws -> RGBImage {
        let bytes = [UInt8](data)
        guard bytes.count >= 8, Array(bytes[0 ..< 8]) == signature else { throw PNGError("not a PNG file (bad signature)") }
        var offset = 8
        var width = 0, height = 0, channels = 0
        var compressed = [UInt8]()
        var sawEnd = false
        while !sawEnd {
            guard offset + 12 <= bytes.count else { throw PNGError("truncated at byte \(offset)") }
            let length = Int(readBigEndian(bytes, offset))
            let type = String(decoding: bytes[offset + 4 ..< offset + 8], as: UTF8.self)
            guard length <= bytes.count - offset - 12 else { throw PNGError("chunk \(type) runs past the end of the file") }
            let body = Array(bytes[offset + 8 ..< offset + 8 + length])
            let stored = readBigEndian(bytes, offset + 8 + length)
            guard crc(Array(bytes[offset + 4 ..< offset + 8]) + body) == stored else { throw PNGError("chunk \(type) has a bad CRC") }
            offset += 12 + length
            switch type {
            case "IHDR":
                guard body.count == 13 else { throw PNGError("IHDR has \(body.count) bytes, not 13") }
                width = Int(readBigEndian(body, 0))
                height = Int(readBigEndian(body, 4))
                guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
                    throw PNGError("unsupported size \(width)×\(height)")
                }
                guard body[8] == 8, body[10] == 0, body[11] == 0, body[12] == 0 else {
                    throw PNGError("only 8-bit, non-interlaced PNGs are supported")
                }
                switch body[9] {
                case 0: channels = 1
                case 2: channels = 3
                case 6: channels = 4
                default: throw PNGError("unsupported colour type \(body[9])")
                }
            case "IDAT":
                guard channels > 0 else { throw PNGError("IDAT before IHDR") }
                compressed += body
            case "IEND":
                sawEnd = true
            default:
                continue  // ancillary chunks (text, gamma, …) are skipped
            }
        }
        guard channels > 0 else { throw PNGError("no IHDR chunk") }
        let stride = width * channels
        let raw = try inflate(compressed, expected: height * (stride + 1))
        let rows = try unfilter(raw, width: width, height: height, channels: channels)
        var image = RGBImage(width: width, height: height)
        for y in 0 ..< height {
            for x in 0 ..< width {
                let p = y * stride + x * channels
                image[x, y] = channels == 1 ? RGB(rows[p], rows[p], rows[p]) : RGB(rows[p], rows[p + 1], rows[p + 2])
            }
        }
        return image
    }

    // MARK: Helpers

    static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(body.count)) + typeBytes + body + bigEndian(crc(typeBytes + body))
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func readBigEndian(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset ..< offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func deflate(_ raw: [UInt8]) -> [UInt8] {
        var size = compressBound(uLong(raw.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = out.withUnsafeMutableBufferPointer { o in
            raw.withUnsafeBufferPointer { compress2(o.baseAddress, &size, $0.baseAddress, uLong(raw.count), 9) }
        }
        precondition(status == Z_OK, "zlib compress2 failed (\(status))")  // only on out of memory
        return Array(out[0 ..< Int(size)])
    }

    static func inflate(_ compressed: [UInt8], expected: Int) throws -> [UInt8] {
        var size = uLong(expected)
        var out = [UInt8](repeating: 0, count: expected)
        let status = out.withUnsafeMutableBufferPointer { o in
            compressed.withUnsafeBufferPointer { uncompress(o.baseAddress, &size, $0.baseAddress, uLong(compressed.count)) }
        }
        guard status == Z_OK, Int(size) == expected else {
            throw PNGError(status == Z_OK || status == Z_BUF_ERROR
                           ? "pixel data does not match the \(expected)-byte size in IHDR"
                           : "corrupt pixel data (zlib error \(status))")
        }
        return out
    }

    /// Undoes the per-row filters (None, Sub, Up, Average, Paeth).
    static func unfilter(_ raw: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        let stride = width * channels
        var out = [UInt8](repeating: 0, count: height * stride)
        for y in 0 ..< height {
            let filter = raw[y * (stride + 1)]
            let source = y * (stride + 1) + 1
            for i in 0 ..< stride {
                let a = i >= channels ? Int(out[y * stride + i - channels]) : 0
                let b = y > 0 ? Int(out[(y - 1) * stride + i]) : 0
                let c = i >= channels && y > 0 ? Int(out[(y - 1) * stride + i - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw PNGError("unknown filter type \(filter) in row \(y)")
                }
                out[y * stride + i] = UInt8(truncatingIfNeeded: Int(raw[source + i]) + predictor)
            }
        }
        return out
    }
}
