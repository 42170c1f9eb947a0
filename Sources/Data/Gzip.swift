import CZlib
import Foundation

/// Inflates gzip data (RFC 1952, possibly several members) with zlib.
/// Throws if the stream is corrupt, ends early or inflates to more than `limit` bytes.
func gunzip(_ compressed: Data, limit: Int = .max) throws -> Data {
    var stream = z_stream()
    // 15 window bits + 16: expect a gzip header and trailer.
    guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw GzipError.corrupt("zlib initialisation failed")
    }
    defer { inflateEnd(&stream) }
    var output = Data()
    let chunk = 1 << 20
    var buffer = [UInt8](repeating: 0, count: chunk)
    try compressed.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
        guard let base = input.bindMemory(to: Bytef.self).baseAddress else { throw GzipError.truncated }
        stream.next_in = UnsafeMutablePointer(mutating: base)
        stream.avail_in = uInt(input.count)
        while true {
            let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(chunk)
                return inflate(&stream, Z_NO_FLUSH)
            }
            output.append(contentsOf: buffer[0 ..< chunk - Int(stream.avail_out)])
            guard output.count <= limit else { throw GzipError.tooLarge(limit) }
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated files are valid gzip).
                if stream.avail_in == 0 { return }
                guard inflateReset(&stream) == Z_OK else { throw GzipError.corrupt("zlib reset failed") }
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw GzipError.truncated
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw GzipError.corrupt(message)
            }
        }
    }
    return output
}

/// Why gzip data could not be inflated.
enum GzipError: Error {
    case truncated
    case corrupt(String)
    /// More than this many bytes would come out.
    case tooLarge(Int)
}

/// True when `data` starts with the gzip magic bytes 1f 8b.
func isGzip(_ data: Data) -> Bool {
    data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
}

/// gzip decompression for callers outside this module (the fuzz harnesses).
public enum Gzip {
    /// The inflated bytes of `compressed`; throws when it is corrupt, truncated or inflates past `limit` bytes.
    public static func inflate(_ compressed: Data, limit: Int) throws -> Data { try gunzip(compressed, limit: limit) }
}
