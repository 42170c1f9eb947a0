import Foundation

/// A parsed IDX file (the MNIST format): unsigned bytes with a list of dimensions.
public struct IDXArray: Sendable {
    /// The dimensions, e.g. [60000, 28, 28] for images or [60000] for labels.
    public var dimensions: [Int]
    /// The values in row-major order.
    public var bytes: [UInt8]
}

/// A data file that is missing, unreadable or malformed; the message names the file.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The offending file.
    public var file: String
    /// What is wrong with it.
    public var problem: String
    public var description: String { "\(file): \(problem)" }
}

/// Reads IDX files of unsigned bytes, gzip-compressed or not.
public enum IDX {
    /// The largest uncompressed file read (Fashion-MNIST's training images are 45 MiB): a gzip
    /// file that inflates past it is refused before it fills the memory.
    public static let maximumBytes = 1 << 30

    /// Reads and validates `url`, expecting `rank` dimensions (3 for images, 1 for labels).
    public static func read(_ url: URL, rank: Int) throws -> IDXArray {
        let name = url.path
        guard FileManager.default.fileExists(atPath: name) else {
            throw DataError(file: name, problem: "file not found")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: name)[.size] as? Int) ?? 0
        guard size <= maximumBytes else {
            throw DataError(file: name, problem: "is \(size >> 20) MiB, more than the \(maximumBytes >> 20) MiB an IDX file of images may hold")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError(file: name, problem: "cannot read (\(error.localizedDescription))")
        }
        return try decode(data, rank: rank, file: name)
    }

    /// The bytes of an IDX file, gzip-compressed or not, expecting `rank` dimensions; `file` names them in errors.
    public static func decode(_ data: Data, rank: Int, file name: String) throws -> IDXArray {
        var data = data
        if isGzip(data) {
            do { data = try gunzip(data, limit: maximumBytes) } catch GzipError.truncated {
                throw DataError(file: name, problem: "truncated gzip stream")
            } catch GzipError.corrupt(let why) {
                throw DataError(file: name, problem: "corrupt gzip stream (\(why))")
            } catch GzipError.tooLarge(let limit) {
                throw DataError(file: name, problem: "inflates to more than \(limit >> 20) MiB, more than an IDX file of images may hold")
            }
        }
        return try parse(Array(data), rank: rank, file: name)
    }

    /// Parses the bytes of an uncompressed IDX file.
    static func parse(_ bytes: [UInt8], rank: Int, file: String) throws -> IDXArray {
        // Header: two zero bytes, type code (0x08 = unsigned byte), number of dimensions,
        // then each dimension as a big-endian UInt32.
        guard bytes.count >= 4 else { throw DataError(file: file, problem: "too short for an IDX header") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(file: file, problem: "bad magic number (not an IDX file)")
        }
        guard bytes[2] == 0x08 else {
            throw DataError(file: file, problem: String(format: "unsupported IDX element type 0x%02x (expected unsigned bytes, 0x08)", bytes[2]))
        }
        guard Int(bytes[3]) == rank else {
            throw DataError(file: file, problem: "has \(bytes[3]) dimensions, expected \(rank)")
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else { throw DataError(file: file, problem: "truncated IDX header") }
        var dimensions: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dimensions.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        // Each dimension is up to 2³² − 1: their product can overflow, so it is checked.
        var expected = 1
        for d in dimensions {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw DataError(file: file, problem: "header declares \(dimensions.map(String.init).joined(separator: "×")) values, more than any file can hold")
            }
            expected = product
        }
        let actual = bytes.count - headerSize
        guard actual >= expected else {
            throw DataError(file: file, problem: "truncated: header promises \(expected) values, file holds \(actual)")
        }
        guard actual == expected else {
            throw DataError(file: file, problem: "\(actual - expected) unexpected bytes after the \(expected) values")
        }
        return IDXArray(dimensions: dimensions, bytes: Array(bytes[headerSize...]))
    }
}
