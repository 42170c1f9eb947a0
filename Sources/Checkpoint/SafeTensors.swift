import Foundation
import Tensor

/// A safetensors file (https://github.com/huggingface/safetensors): named little-endian
/// tensors after a JSON header, plus string metadata. F32 tensors become `Tensor`s; U8, I8 and I32
/// ones (ids, labels, flags) are kept as their bytes; other dtypes are refused.
public struct SafeTensors {
    /// The F32 tensors by name.
    public var tensors: [String: Tensor]
    /// The U8, I8 and I32 tensors by name.
    public var raw: [String: RawTensor]
    /// The `__metadata__` map (string to string).
    public var metadata: [String: String]

    /// A file's contents.
    public init(tensors: [String: Tensor] = [:], raw: [String: RawTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.raw = raw
        self.metadata = metadata
    }

    /// Dtype names the format defines; all but F32, U8, I8 and I32 are rejected as unsupported.
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
        try data.withUnsafeBytes { try parse(bytes: $0, file: file) }
    }

    private static func parse(bytes: UnsafeRawBufferPointer, file: String) throws -> SafeTensors {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: file, problem: problem) }
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
            guard let width = RawTensor.width[dtype] ?? (dtype == "F32" ? 4 : nil) else {
                throw fail("tensor '\(name)' has dtype \(dtype); only F32, U8, I8 and I32 are supported")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)' has a negative dimension") }
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataSize else {
                    throw fail("tensor '\(name)' of shape \(shape) is larger than the \(dataSize)-byte data section")
                }
                count = product
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("tensor '\(name)' offsets [\(begin), \(end)] are outside the \(dataSize)-byte data section")
            }
            let needed = count * width
            guard end - begin == needed else {
                throw fail("tensor '\(name)' of shape \(shape) needs \(needed) bytes, offsets give \(end - begin)")
            }
            spans.append((name, begin..<end))
            let source = UnsafeRawBufferPointer(rebasing: bytes[dataStart + begin ..< dataStart + end])
            if dtype == "F32" {
                var scalars = [Float](repeating: 0, count: count)
                scalars.withUnsafeMutableBytes { $0.copyMemory(from: source) }
                if Int(bigEndian: 1) == 1 {  // big-endian host: the file is little-endian
                    scalars = scalars.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
                }
                result.tensors[name] = Tensor(shape: shape, scalars: scalars)
            } else {
                result.raw[name] = RawTensor(dtype: dtype, shape: shape, bytes: [UInt8](source))
            }
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
        precondition(Set(tensors.keys).isDisjoint(with: raw.keys), "a tensor name is used twice")
        let names = (Array(tensors.keys) + Array(raw.keys)).sorted()
        for name in names {
            let (dtype, shape, size) = tensors[name].map { ("F32", $0.shape, $0.count * 4) }
                ?? raw[name].map { ($0.dtype, $0.shape, $0.bytes.count) }!
            header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            if let tensor = tensors[name] {
                tensor.scalars.withUnsafeBytes { out.append(contentsOf: $0) }
            } else {
                out.append(contentsOf: raw[name]!.bytes)
            }
        }
        return out
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(serialized(), to: url)
    }
}

/// A U8, I8 or I32 tensor of a safetensors file, as its little-endian bytes.
public struct RawTensor: Equatable, Sendable {
    /// Bytes per element of the dtypes kept raw.
    static let width: [String: Int] = ["U8": 1, "I8": 1, "I32": 4]
    /// "U8", "I8" or "I32".
    public let dtype: String
    /// The dimensions.
    public let shape: [Int]
    /// The elements, little-endian.
    public let bytes: [UInt8]

    init(dtype: String, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A U8 tensor.
    public init(bytes: [UInt8], shape: [Int]) {
        precondition(shape.reduce(1, *) == bytes.count, "shape \(shape) does not hold \(bytes.count) bytes")
        self.init(dtype: "U8", shape: shape, bytes: bytes)
    }

    /// An I8 tensor (quantized weights).
    public init(int8 values: [Int8], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.init(dtype: "I8", shape: shape, bytes: values.map { UInt8(bitPattern: $0) })
    }

    /// The elements of an I8 tensor (nil for another dtype).
    public var int8Values: [Int8]? {
        guard dtype == "I8" else { return nil }
        return bytes.map { Int8(bitPattern: $0) }
    }

    /// An I32 tensor.
    public init(int32 values: [Int32], shape: [Int]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.init(dtype: "I32", shape: shape, bytes: values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } })
    }

    /// The elements of an I32 tensor (nil for another dtype).
    public var int32Values: [Int32]? {
        guard dtype == "I32" else { return nil }
        return stride(from: 0, to: bytes.count, by: 4).map { i in
            Int32(littleEndian: Int32(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8
                                      | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24))
        }
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
