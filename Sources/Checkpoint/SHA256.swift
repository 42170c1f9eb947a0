import CCrypto
import Foundation

/// SHA-256 (FIPS 180-4) of file contents, to name what was tagged or which weights were used, computed
/// by OpenSSL's libcrypto (which uses the CPU's SHA instructions where it has them).
public enum SHA256 {
    /// The 32-byte digest of `data`.
    public static func digest(_ data: Data) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { bytes in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        precondition(ok == 1 && length == 32, "libcrypto's SHA-256 failed")  // only on out-of-memory
        return digest
    }

    /// The digest of `data` as 64 lower-case hexadecimal digits.
    public static func hex(_ data: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest(data).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
