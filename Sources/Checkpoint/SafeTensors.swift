import Foundation
import Tensor

/// A safetensors file (https://github.com/huggingface/safetensors): named little-endian
/// tensors after a JSON header, plus string metadata. This reader supports F32 tensors only.
public struct SafeTensors {
    /// The tensors by name.
    public var tensors: [String: Tensor]
    /// The `__metadata__` map (string to string).
    public var metadata: [String: String]

    /// A file's contents.
    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Dtype names the format defines; all but F32 are rejected as unsupported.
    static let knownDtypes: Set<String> = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
                                           "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]

    /// Reads and validates the file at `url`.
    public static func read(_ url: URL) throws -> SafeTensors {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SafeTensorsError(file: url.path, problem: "file not found")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafeTensorsError(file: url.path, problem: "cannot read (\(error.localizedDescription))")
        }
        return try parse(data, file: url.path)
    }

    /// Parses the bytes of a safetensors file; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws -> SafeTensors {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: file, problem: problem) }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("too short for a safetensors header (\(bytes.count) bytes)") }
        var headerLength: UInt64 = 0
        for i in (0..<8).reversed() { headerLength = headerLength << 8 | UInt64(bytes[i]) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = bytes.count - dataStart
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }

        var result = SafeTensors()
        var spans: [(name: String, range: Range<Int>)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let metadata = value as? [String: String] else {
                    throw fail("__metadata__ must map strings to strings")
                }
                result.metadata = metadata
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  shape.count == (entry["shape"] as? [Any])?.count,
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2 else {
                throw fail("tensor '\(name)' needs dtype, shape and two data_offsets")
            }
            guard knownDtypes.contains(dtype) else { throw fail("tensor '\(name)' has unknown dtype '\(dtype)'") }
            guard dtype == "F32" else {
                throw fail("tensor '\(name)' has dtype \(dtype); only F32 is supported")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)' has a negative dimension") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("tensor '\(name)' offsets [\(begin), \(end)] are outside the \(dataSize)-byte data section")
            }
            let needed = shape.elementCount * 4
            guard end - begin == needed else {
                throw fail("tensor '\(name)' of shape \(shape) needs \(needed) bytes, offsets give \(end - begin)")
            }
            spans.append((name, begin..<end))
            var scalars = [Float](repeating: 0, count: shape.elementCount)
            scalars.withUnsafeMutableBytes { out in
                bytes.withUnsafeBytes { source in
                    out.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[dataStart + begin ..< dataStart + end]))
                }
            }
            if Int(bigEndian: 1) == 1 {  // big-endian host: the file is little-endian
                scalars = scalars.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
            }
            result.tensors[name] = Tensor(shape: shape, scalars: scalars)
        }
        spans.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(spans, spans.dropFirst()) where b.range.lowerBound < a.range.upperBound {
            throw fail("tensors '\(a.name)' and '\(b.name)' overlap in the data section")
        }
        return result
    }

    /// The file's bytes: header (keys sorted, padded with spaces to a multiple of 8) then data.
    public func serialized() -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.count * 4]] as [String: Any]
            offset += t.count * 4
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.scalars.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(serialized(), to: url)
    }
}

/// A safetensors file that cannot be used; the message names the file and the problem.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// The offending file.
    public var file: String
    /// What is wrong.
    public var problem: String
    public var description: String { "\(file): \(problem)" }
}
