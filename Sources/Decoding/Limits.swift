import Foundation

/// Limits checked before any pixel buffer is allocated.
public struct DecodingLimits: Sendable, Equatable {
    /// The largest file accepted, in bytes.
    public var maxFileBytes: Int
    /// The largest width × height accepted, as declared in the file's header.
    public var maxPixels: Int

    /// Limits of the given sizes (64 MB files, 40 megapixels by default).
    public init(maxFileBytes: Int = 64 << 20, maxPixels: Int = 40_000_000) {
        self.maxFileBytes = maxFileBytes
        self.maxPixels = maxPixels
    }

    /// 64 MB files, 40 megapixels.
    public static let `default` = DecodingLimits()

    /// Throws unless a file of `count` bytes is within the limit.
    func checkFile(bytes count: Int) throws {
        if count == 0 { throw DecodingError("empty file") }
        if count > maxFileBytes {
            // Exact counts when rounding would make the two look equal.
            let (size, limit) = Self.bytes(count) == Self.bytes(maxFileBytes)
                ? ("\(count) bytes", "\(maxFileBytes) bytes") : (Self.bytes(count), Self.bytes(maxFileBytes))
            throw DecodingError("file is \(size), over the \(limit) limit")
        }
    }

    /// Throws unless a declared size is at least 1×1 and within the pixel limit (no overflow on huge sizes).
    func checkImage(width: Int, height: Int) throws {
        guard width > 0, height > 0 else { throw DecodingError("image declares no pixels (\(width)×\(height))") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            let count = overflow ? "too many pixels" : Self.pixels(pixels)
            throw DecodingError("image is \(width)×\(height) = \(count), over the \(Self.pixels(maxPixels)) limit")
        }
    }

    /// "900 MP", "2.5 MP" or "5000 pixels".
    static func pixels(_ n: Int) -> String {
        n >= 100_000 ? amount(Double(n) / 1e6, "MP") : "\(n) pixels"
    }

    /// "64 MB", "1.5 KB" or "300 bytes" (binary multiples).
    static func bytes(_ n: Int) -> String {
        if n >= 1 << 20 { return amount(Double(n) / Double(1 << 20), "MB") }
        return n >= 1 << 10 ? amount(Double(n) / 1024, "KB") : "\(n) bytes"
    }

    /// A value with one decimal unless it is large or the decimal would be 0.
    private static func amount(_ value: Double, _ unit: String) -> String {
        let tenths = (value * 10).rounded()
        return value >= 10 || tenths.truncatingRemainder(dividingBy: 10) == 0
            ? "\(Int(value.rounded())) \(unit)" : String(format: "%.1f \(unit)", value)
    }
}

/// Why a file could not be decoded, in one line (it names no path; the caller adds it).
public struct DecodingError: Error, CustomStringConvertible, Equatable {
    /// The reason, e.g. "truncated PNG" or "image is 30000×30000 = 900 MP, over the 40 MP limit".
    public var description: String

    /// An error with this reason.
    public init(_ description: String) {
        self.description = description
    }
}
