import CJPEG
import Foundation
import Imaging

/// JPEG decoding through the TurboJPEG API of libjpeg-turbo.
enum JPEGReader {
    /// What the frame header declares.
    struct Header {
        var width, height: Int
        var colorspace: Int32
    }

    /// Width, height and colour space from the header, without decoding pixels.
    static func header(_ bytes: [UInt8]) throws -> Header {
        let handle = try decompressor()
        defer { tjDestroy(handle) }
        return try header(bytes, handle)
    }

    /// Decodes the picture, at the smallest DCT scale (n/8) keeping both sides ≥ `minimumSide`.
    static func decode(_ bytes: [UInt8], limits: DecodingLimits, minimumSide: Int?) throws -> RGBImage {
        let handle = try decompressor()
        defer { tjDestroy(handle) }
        let header = try header(bytes, handle)
        try limits.checkImage(width: header.width, height: header.height)
        let (num, denom) = scale(width: header.width, height: header.height, minimumSide: minimumSide)
        let width = scaled(header.width, num, denom), height = scaled(header.height, num, denom)
        let cmyk = header.colorspace == Int32(TJCS_CMYK.rawValue) || header.colorspace == Int32(TJCS_YCCK.rawValue)
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        var buffer = [UInt8](repeating: 0, count: width * height * (cmyk ? 4 : 3))
        let flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
        let status = buffer.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { jpeg in
                tjDecompress2(handle, jpeg.baseAddress, UInt(jpeg.count), out.baseAddress, Int32(width), 0,
                              Int32(height), Int32(format.rawValue), flags)
            }
        }
        guard status == 0 else { throw failure(handle, bytes) }
        var image = RGBImage(width: width, height: height)
        image.pixels = cmyk ? rgb(fromCMYK: buffer, inverted: JPEGMarkers(bytes).adobe) : buffer
        return image
    }

    /// The scaling factor n/d ≤ 1 libjpeg-turbo offers with the smallest result whose sides are
    /// both at least `minimumSide` (1/1 without a minimum or when even full size is smaller).
    static func scale(width: Int, height: Int, minimumSide: Int?) -> (num: Int, denom: Int) {
        guard let side = minimumSide, side > 0 else { return (1, 1) }
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count) else { return (1, 1) }
        var best = (num: 1, denom: 1)
        for f in UnsafeBufferPointer(start: factors, count: Int(max(0, count))) {
            let (num, denom) = (Int(f.num), Int(f.denom))
            guard num > 0, denom > 0, num <= denom, num * best.denom < best.num * denom else { continue }
            if scaled(width, num, denom) >= side && scaled(height, num, denom) >= side { best = (num, denom) }
        }
        return best
    }

    /// A side scaled by n/d, rounded up as libjpeg-turbo's TJSCALED does.
    static func scaled(_ side: Int, _ num: Int, _ denom: Int) -> Int { (side * num + denom - 1) / denom }

    /// RGB from CMYK samples: Adobe files (as Photoshop and PIL write them) store 255 − ink.
    static func rgb(fromCMYK cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: cmyk.count / 4 * 3)
        for p in 0 ..< cmyk.count / 4 {
            func clear(_ c: Int) -> Int { inverted ? Int(cmyk[4 * p + c]) : 255 - Int(cmyk[4 * p + c]) }  // 255 − ink
            let k = clear(3)
            for c in 0 ..< 3 { rgb[3 * p + c] = UInt8((clear(c) * k + 127) / 255) }
        }
        return rgb
    }

    private static func decompressor() throws -> tjhandle {
        guard let handle = tjInitDecompress() else { throw DecodingError("cannot start the JPEG decoder") }
        return handle
    }

    private static func header(_ bytes: [UInt8], _ handle: tjhandle) throws -> Header {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let status = bytes.withUnsafeBufferPointer { jpeg in
            tjDecompressHeader3(handle, jpeg.baseAddress, UInt(jpeg.count), &width, &height, &subsampling, &colorspace)
        }
        guard status == 0 else { throw failure(handle, bytes) }
        return Header(width: Int(width), height: Int(height), colorspace: colorspace)
    }

    /// The decoder's last message as a DecodingError. A premature end is a truncated file, and so
    /// is any failure of a file that does not end with the end-of-image marker.
    private static func failure(_ handle: tjhandle, _ bytes: [UInt8]) -> DecodingError {
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        if message.contains("Premature end") { return DecodingError("truncated JPEG") }
        return DecodingError(bytes.suffix(2) == [0xFF, 0xD9] ? "corrupt JPEG: \(message)" : "truncated JPEG: \(message)")
    }
}

/// JPEG encoding (for photo-style test renderings and fixtures).
public enum JPEGEncoder {
    /// `image` as a baseline 4:2:0 JPEG of `quality` 1...100.
    public static func encode(_ image: RGBImage, quality: Int) throws -> Data {
        guard (1 ... 100).contains(quality) else { throw DecodingError("JPEG quality must be 1...100, not \(quality)") }
        guard image.pixels.count == image.width * image.height * 3, image.width <= Int32.max, image.height <= Int32.max
        else { throw DecodingError("pixels do not match the image size") }
        guard let handle = tjInitCompress() else { throw DecodingError("cannot start the JPEG encoder") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(handle, pixels.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &output, &size, Int32(TJSAMP_420.rawValue), Int32(quality), 0)
        }
        defer { tjFree(output) }
        guard status == 0, let output else {
            throw DecodingError("JPEG encoding failed: " + (tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"))
        }
        return Data(bytes: output, count: Int(size))
    }
}
