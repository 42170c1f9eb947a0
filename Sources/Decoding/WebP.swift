import CWebP
import Imaging

/// WebP decoding through libwebp: still images (lossy, lossless, with alpha) and the first
/// frame of animations.
enum WebPReader {
    /// What the bitstream declares.
    struct Header {
        var width, height: Int
        var hasAlpha, isAnimated: Bool
    }

    /// Width, height, alpha and animation from the headers, without decoding pixels.
    static func header(_ bytes: [UInt8]) throws -> Header {
        var features = WebPBitstreamFeatures()
        let status = bytes.withUnsafeBufferPointer { WebPGetFeatures($0.baseAddress, $0.count, &features) }
        switch status {
        case VP8_STATUS_OK: break
        case VP8_STATUS_NOT_ENOUGH_DATA: throw DecodingError("truncated WebP")
        case VP8_STATUS_UNSUPPORTED_FEATURE: throw DecodingError("unsupported WebP feature")
        default: throw failure(bytes)
        }
        return Header(width: Int(features.width), height: Int(features.height),
                      hasAlpha: features.has_alpha != 0, isAnimated: features.has_animation != 0)
    }

    /// Decodes the picture (an animation's first frame), alpha composited on white.
    static func decode(_ bytes: [UInt8], limits: DecodingLimits) throws -> RGBImage {
        if let canvas = extendedCanvas(bytes) { try limits.checkImage(width: canvas.width, height: canvas.height) }
        let header = try header(bytes)
        let (width, height) = (header.width, header.height)
        try limits.checkImage(width: width, height: height)
        if header.isAnimated { return try firstFrame(bytes, limits: limits) }
        if header.hasAlpha {
            var rgba = [UInt8](repeating: 0, count: width * height * 4)
            let output = rgba.withUnsafeMutableBufferPointer { out in
                bytes.withUnsafeBufferPointer { WebPDecodeRGBAInto($0.baseAddress, $0.count, out.baseAddress, out.count, Int32(4 * width)) }
            }
            guard output != nil else { throw failure(bytes) }
            return compositedOnWhite(rgba, width: width, height: height)
        }
        var image = RGBImage(width: width, height: height)
        let output = image.pixels.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { WebPDecodeRGBInto($0.baseAddress, $0.count, out.baseAddress, out.count, Int32(3 * width)) }
        }
        guard output != nil else { throw failure(bytes) }
        return image
    }

    /// The canvas size of a VP8X (extended format) header, read before libwebp looks further.
    static func extendedCanvas(_ b: [UInt8]) -> (width: Int, height: Int)? {
        guard b.count >= 30, b[12 ..< 16].elementsEqual("VP8X".utf8) else { return nil }
        func uint24(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 }
        return (1 + uint24(24), 1 + uint24(27))
    }

    /// The first frame of an animation, composed on its canvas (whose size the caller has checked).
    private static func firstFrame(_ bytes: [UInt8], limits: DecodingLimits) throws -> RGBImage {
        try bytes.withUnsafeBufferPointer { file in
            var data = WebPData(bytes: file.baseAddress, size: file.count)
            var options = WebPAnimDecoderOptions()
            guard WebPAnimDecoderOptionsInit(&options) != 0 else { throw DecodingError("cannot start the WebP decoder") }
            options.color_mode = MODE_RGBA
            options.use_threads = 0
            guard let decoder = WebPAnimDecoderNew(&data, &options) else { throw failure(bytes) }
            defer { WebPAnimDecoderDelete(decoder) }
            var info = WebPAnimInfo()
            guard WebPAnimDecoderGetInfo(decoder, &info) != 0 else { throw failure(bytes) }
            let (width, height) = (Int(info.canvas_width), Int(info.canvas_height))
            try limits.checkImage(width: width, height: height)
            var frame: UnsafeMutablePointer<UInt8>?
            var timestamp: Int32 = 0
            guard WebPAnimDecoderGetNext(decoder, &frame, &timestamp) != 0, let frame else { throw failure(bytes) }
            return compositedOnWhite(UnsafeRawBufferPointer(start: frame, count: width * height * 4), width: width, height: height)
        }
    }

    /// A failed decode: truncated when the RIFF header promises more bytes than there are.
    private static func failure(_ b: [UInt8]) -> DecodingError {
        let riffSize = b.count >= 8 ? b[4 ..< 8].reversed().reduce(0) { $0 << 8 | Int($1) } : 0
        return DecodingError(riffSize + 8 > b.count ? "truncated WebP" : "corrupt WebP")
    }
}
