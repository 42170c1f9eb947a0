import CPNG
import Imaging

/// PNG decoding through libpng's simplified API, which keeps its error handling (setjmp) in C.
enum PNGReader {
    /// Width and height from the header, without decoding pixels.
    static func size(_ bytes: [UInt8]) throws -> (width: Int, height: Int) {
        try read(bytes, limits: nil).size
    }

    /// Decodes any PNG (palette, gray, 16-bit, alpha, tRNS) to 8-bit RGB, alpha composited on white.
    static func decode(_ bytes: [UInt8], limits: DecodingLimits) throws -> RGBImage {
        try read(bytes, limits: limits).image!
    }

    /// Reads the header and, given limits it passes, the pixels. libpng keeps a pointer to the
    /// bytes between the two calls, so both happen inside one `withUnsafeBufferPointer`.
    private static func read(_ bytes: [UInt8], limits: DecodingLimits?) throws
        -> (size: (width: Int, height: Int), image: RGBImage?) {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&png) }
        return try bytes.withUnsafeBufferPointer { file in
            guard png_image_begin_read_from_memory(&png, file.baseAddress, file.count) != 0 else { throw failure(png) }
            let (width, height) = (Int(png.width), Int(png.height))
            guard let limits else { return ((width, height), nil) }
            try limits.checkImage(width: width, height: height)
            png.format = png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)  // 8-bit RGBA
            png.flags |= png_uint_32(PNG_IMAGE_FLAG_16BIT_sRGB)  // 16-bit samples without gAMA are sRGB, not linear
            var rgba = [UInt8](repeating: 0, count: width * height * 4)
            let status = rgba.withUnsafeMutableBytes { png_image_finish_read(&png, nil, $0.baseAddress, 0, nil) }
            guard status != 0 else { throw failure(png) }
            return ((width, height), compositedOnWhite(rgba, width: width, height: height))
        }
    }

    /// libpng's message as a DecodingError; running out of bytes is a truncated file.
    private static func failure(_ png: png_image) -> DecodingError {
        let message = withUnsafeBytes(of: png.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if message.contains("beyond end of data") || message.contains("Not enough image data") {
            return DecodingError("truncated PNG")
        }
        return DecodingError("corrupt PNG: \(message.isEmpty ? "unknown error" : message)")
    }
}

/// An RGB picture from straight (not premultiplied) RGBA samples laid over white.
func compositedOnWhite(_ rgba: UnsafeRawBufferPointer, width: Int, height: Int) -> RGBImage {
    var image = RGBImage(width: width, height: height)
    image.pixels.withUnsafeMutableBufferPointer { rgb in
        for p in 0 ..< width * height {
            let alpha = Int(rgba[4 * p + 3])
            for c in 0 ..< 3 { rgb[3 * p + c] = UInt8((Int(rgba[4 * p + c]) * alpha + 255 * (255 - alpha) + 127) / 255) }
        }
    }
    return image
}

/// An RGB picture from straight RGBA samples laid over white.
func compositedOnWhite(_ rgba: [UInt8], width: Int, height: Int) -> RGBImage {
    rgba.withUnsafeBytes { compositedOnWhite($0, width: width, height: height) }
}
