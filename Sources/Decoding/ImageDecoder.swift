import Foundation
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// Decodes JPEG, PNG and WebP files from untrusted sources to upright 8-bit RGB pictures.
/// Every failure is a thrown `DecodingError`; sizes are checked against limits before any
/// pixel buffer is allocated.
public enum ImageDecoder {
    /// Decodes `data`. When `minimumSide` is given, a JPEG may be decoded at a reduced DCT scale (n/8) —
    /// the smallest libjpeg-turbo scaling factor whose scaled width and height are both ≥ minimumSide
    /// (or full size if the image is smaller). EXIF orientation is applied and alpha composited on white.
    public static func decode(_ data: Data, limits: DecodingLimits = .default, minimumSide: Int? = nil) throws -> RGBImage {
        try limits.checkFile(bytes: data.count)
        let bytes = [UInt8](data)
        let format = try supportedFormat(bytes)
        let image: RGBImage
        switch format {
        case .jpeg: image = try JPEGReader.decode(bytes, limits: limits, minimumSide: minimumSide)
        case .png: image = try PNGReader.decode(bytes, limits: limits)
        default: image = try WebPReader.decode(bytes, limits: limits)
        }
        return Orientation.apply(Orientation.of(bytes, format: format), to: image)
    }

    /// Reads and decodes a file, checking its size against the limit before reading it.
    /// Errors name no path (the caller adds it).
    public static func decode(contentsOf url: URL, limits: DecodingLimits = .default, minimumSide: Int? = nil) throws -> RGBImage {
        try decode(read(url, limits: limits), limits: limits, minimumSide: minimumSide)
    }

    /// Width and height from the header only (after EXIF orientation), without decoding pixels.
    public static func size(of data: Data) throws -> (width: Int, height: Int) {
        guard !data.isEmpty else { throw DecodingError("empty file") }
        let bytes = [UInt8](data)
        let format = try supportedFormat(bytes)
        let width, height: Int
        switch format {
        case .jpeg: let header = try JPEGReader.header(bytes); (width, height) = (header.width, header.height)
        case .png: (width, height) = try PNGReader.size(bytes)
        default: let header = try WebPReader.header(bytes); (width, height) = (header.width, header.height)
        }
        guard width > 0, height > 0 else { throw DecodingError("image declares no pixels (\(width)×\(height))") }
        return Orientation.of(bytes, format: format) >= 5 ? (height, width) : (width, height)
    }

    /// The format of `bytes` if it is one this decoder reads; otherwise why not.
    static func supportedFormat(_ bytes: [UInt8]) throws -> ImageFormat {
        guard let format = ImageFormat.sniff(bytes) else {
            throw DecodingError(bytes.isEmpty ? "empty file" : "not an image (unrecognised bytes)")
        }
        guard format.isSupported else {
            throw DecodingError("not an image: \(format.rawValue.uppercased()) files are not supported (use JPEG, PNG or WebP)")
        }
        return format
    }

    /// The bytes of a regular, readable file no larger than the limit (checked before reading), for
    /// callers that need the bytes too (e.g. to hash them). Errors name no path.
    public static func read(_ url: URL, limits: DecodingLimits) throws -> Data {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            throw DecodingError(errno == ENOENT || errno == ENOTDIR ? "no such file" : "cannot be read (\(String(cString: strerror(errno))))")
        }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { throw DecodingError("is a directory, not an image file") }
        guard type == S_IFREG else { throw DecodingError("not a regular file") }
        try limits.checkFile(bytes: Int(info.st_size))
        do {
            // At most one byte over the limit, in case the file grew since it was measured.
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            let (count, overflow) = limits.maxFileBytes.addingReportingOverflow(1)
            return try handle.read(upToCount: overflow ? Int.max : count) ?? Data()
        } catch {
            throw DecodingError(access(url.path, R_OK) != 0 ? "cannot be read (permission denied)" : "cannot be read")
        }
    }
}
