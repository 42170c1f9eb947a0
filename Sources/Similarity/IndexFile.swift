import Checkpoint
import Foundation
import Tensor

/// The catalogue file: a safetensors file any safetensors reader opens.
///
/// Tensors: `vectors` F32 [N, D] (unit rows, zero for a freed slot), `labels` I32 [N], `probabilities`
/// F32 [N], `content_hashes` U8 [N, 8] (little-endian), `live` U8 [N] (1 = item, 0 = freed slot) and
/// `ids` U8 [bytes] (the N ids in UTF-8, each followed by a line feed). Metadata: `format`
/// ("fashion-catalog"), `format_version` ("1"), `model`, `weights_sha256`, `weights`, `layer`,
/// `classes` (a JSON array) and `dimension`.
public enum IndexFile {
    /// The `format` metadata value.
    public static let format = "fashion-catalog"
    /// The format version written and read.
    public static let version = "1"

    /// Writes `index` to `url` atomically (a reader sees the old file or the new one, never a part),
    /// first deleting what a killed writer left half-written beside it.
    public static func write(_ index: CatalogIndex, to url: URL) throws {
        AtomicFile.removeLeftovers(in: url.deletingLastPathComponent())
        try AtomicFile.write(serialized(index), to: url)
    }

    /// The file's bytes.
    public static func serialized(_ index: CatalogIndex) -> Data {
        let n = index.slotCount
        var idBytes: [UInt8] = []
        for id in index.ids { idBytes += id.utf8; idBytes.append(10) }
        var hashBytes: [UInt8] = []
        hashBytes.reserveCapacity(n * 8)
        for hash in index.contentHashes { withUnsafeBytes(of: hash.littleEndian) { hashBytes += $0 } }
        let classes = String(decoding: try! JSONSerialization.data(withJSONObject: index.source.classNames), as: UTF8.self)
        let file = SafeTensors(
            tensors: ["vectors": Tensor(shape: [n, index.dimension], scalars: index.vectors),
                      "probabilities": Tensor(shape: [n], scalars: index.probabilities)],
            raw: ["labels": RawTensor(int32: index.labels, shape: [n]),
                  "content_hashes": RawTensor(bytes: hashBytes, shape: [n, 8]),
                  "live": RawTensor(bytes: index.live.map { $0 ? 1 : 0 }, shape: [n]),
                  "ids": RawTensor(bytes: idBytes, shape: [idBytes.count])],
            metadata: ["format": format, "format_version": version, "model": index.source.model,
                       "weights_sha256": index.source.weightsSHA256, "weights": index.source.weightsPath,
                       "layer": index.source.layer, "classes": classes, "dimension": String(index.dimension)])
        return file.serialized()
    }

    /// Reads and checks the catalogue at `url`.
    public static func read(_ url: URL) throws -> CatalogIndex {
        guard FileManager.default.fileExists(atPath: url.path) else { throw CatalogError("\(url.path): no such index file") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw CatalogError("\(url.path): cannot read (\(error.localizedDescription))") }
        return try parse(data, file: url.path)
    }

    /// Parses a catalogue file's bytes; `file` names it in errors.
    public static func parse(_ data: Data, file: String) throws -> CatalogIndex {
        func fail(_ problem: String) -> CatalogError { CatalogError("\(file): \(problem)") }
        let contents: SafeTensors
        do { contents = try SafeTensors.parse(data, file: file) } catch let error as SafeTensorsError {
            throw CatalogError("\(file): not a catalogue index (\(error.problem))")
        }
        let meta = contents.metadata
        guard meta["format"] == format else { throw fail("not a catalogue index (no format '\(format)' in its metadata)") }
        guard meta["format_version"] == version else {
            throw fail("catalogue format version '\(meta["format_version"] ?? "")' is not the supported \(version)")
        }
        guard let dimensionText = meta["dimension"], let dimension = Int(dimensionText), dimension > 0, dimension <= 1 << 16 else {
            throw fail("metadata 'dimension' is not a positive number")
        }
        guard let model = meta["model"], let layer = meta["layer"], let hash = meta["weights_sha256"] else {
            throw fail("metadata lacks model, layer or weights_sha256")
        }
        guard let classesText = meta["classes"],
              let classNames = try? JSONSerialization.jsonObject(with: Data(classesText.utf8)) as? [String] else {
            throw fail("metadata 'classes' is not a JSON array of names")
        }
        guard let vectors = contents.tensors["vectors"], vectors.shape.count == 2, vectors.shape[1] == dimension else {
            throw fail("tensor 'vectors' is missing or not [N, \(dimension)]")
        }
        let n = vectors.shape[0]
        guard let probabilities = contents.tensors["probabilities"], probabilities.shape == [n] else {
            throw fail("tensor 'probabilities' is missing or not [\(n)]")
        }
        guard let labelTensor = contents.raw["labels"], labelTensor.shape == [n], let labels = labelTensor.int32Values else {
            throw fail("tensor 'labels' is missing or not I32 [\(n)]")
        }
        guard let hashes = contents.raw["content_hashes"], hashes.dtype == "U8", hashes.shape == [n, 8] else {
            throw fail("tensor 'content_hashes' is missing or not U8 [\(n), 8]")
        }
        guard let liveTensor = contents.raw["live"], liveTensor.dtype == "U8", liveTensor.shape == [n],
              liveTensor.bytes.allSatisfy({ $0 <= 1 }) else {
            throw fail("tensor 'live' is missing or not U8 [\(n)] of 0 and 1")
        }
        guard let idTensor = contents.raw["ids"], idTensor.dtype == "U8", idTensor.bytes.last ?? 10 == 10 else {
            throw fail("tensor 'ids' is missing or not U8 lines")
        }
        let idLines = idTensor.bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast()
        guard idLines.count == n else { throw fail("tensor 'ids' holds \(idLines.count) ids for \(n) vectors") }
        var ids: [String] = []
        ids.reserveCapacity(n)
        for line in idLines {
            guard let id = String(validating: line, as: UTF8.self) else { throw fail("an id is not UTF-8") }
            ids.append(id)
        }
        let live = liveTensor.bytes.map { $0 == 1 }
        var seen = Set<String>()
        seen.reserveCapacity(n)
        for slot in 0..<n where live[slot] {
            guard CatalogIndex.isValidID(ids[slot]) else { throw fail("slot \(slot) has an empty or malformed id") }
            guard seen.insert(ids[slot]).inserted else { throw fail("id '\(ids[slot].prefix(60))' appears twice") }
            let label = labels[slot], p = probabilities.scalars[slot]
            guard label >= -1, Int(label) < max(classNames.count, 0) || label == -1 else {
                throw fail("slot \(slot) has label \(label), outside the \(classNames.count) classes")
            }
            guard p.isFinite, (0...1).contains(p) else { throw fail("slot \(slot) has probability \(p), not in [0, 1]") }
        }
        try checkUnitRows(vectors.scalars, dimension: dimension, live: live, fail: fail)
        let contentHashes = (0..<n).map { slot in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(hashes.bytes[slot * 8 + $1]) << (8 * $1) }
        }
        let source = EmbeddingSource(model: model, weightsSHA256: hash, weightsPath: meta["weights"] ?? "",
                                     layer: layer, classNames: classNames)
        return CatalogIndex(source: source, dimension: dimension, ids: ids, vectors: vectors.scalars, labels: labels,
                            probabilities: probabilities.scalars, contentHashes: contentHashes, live: live)
    }

    /// Every item's vector must be finite and of unit length (or zero: an image with no features).
    static func checkUnitRows(_ vectors: [Float], dimension: Int, live: [Bool], fail: (String) -> CatalogError) throws {
        for slot in live.indices where live[slot] {
            var sum: Float = 0
            for i in slot * dimension ..< (slot + 1) * dimension { sum += vectors[i] * vectors[i] }
            guard sum.isFinite, sum == 0 || abs(sum - 1) < 1e-3 else {
                throw fail("the vector in slot \(slot) is not of unit length (squared length \(sum)): the file was altered")
            }
        }
    }
}
