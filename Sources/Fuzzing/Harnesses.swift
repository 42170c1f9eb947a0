import ApproximateSearch
import Checkpoint
import Data
import Decoding
import Foundation
import Imaging
import Inference
import Preprocessing
import Report
import Similarity
import Training
import Uploads

/// One parser's fuzz target: it takes any bytes and either parses them or throws; a trap,
/// hang or sanitizer report is a finding. The same bodies run under libFuzzer (the `Fuzz`
/// package) and over the committed seed corpora in `swift test`.
public struct Harness: Sendable {
    /// The harness's name, also its corpus folder (`Fuzz/corpus/<name>`).
    public let name: String
    /// What it reads.
    public let summary: String
    /// Runs the parser on one input.
    public let run: @Sendable ([UInt8]) -> Void

    /// Every harness, by name.
    public static let all: [Harness] = [
        Harness(name: "idx", summary: "IDX files (after gzip), as images and as labels", run: idx),
        Harness(name: "gzip", summary: "gzip streams, several members, capped inflation", run: gzip),
        Harness(name: "safetensors", summary: "safetensors files, and their round trip", run: safetensors),
        Harness(name: "checkpoint", summary: "model checkpoints: metadata, architecture, classes, geometry, preprocessing", run: checkpoint),
        Harness(name: "config", summary: "a run's config.json", run: config),
        Harness(name: "history", summary: "a run's history.csv, then its report charts", run: history),
        Harness(name: "image", summary: "photo decoding (JPEG, PNG, WebP, EXIF) and every preprocessing", run: image),
        Harness(name: "index", summary: "catalogue index files, then a search", run: index),
        Harness(name: "graph", summary: "FAISS HNSW graph files beside an index, then a search", run: graph),
        Harness(name: "tags", summary: "tag output being resumed (JSON lines and CSV)", run: tags),
        Harness(name: "classmap", summary: "--class-map files (CSV and JSON)", run: classMap),
        Harness(name: "augment", summary: "--augment lists", run: augment),
        Harness(name: "multipart", summary: "uploaded request bodies: Content-Type headers and multipart/form-data", run: multipart),
    ]

    /// The harness called `name`.
    public static func named(_ name: String) -> Harness? { all.first { $0.name == name } }
}

// Each body ignores the errors it is allowed to throw: only crashes count.

@Sendable func idx(_ bytes: [UInt8]) {
    for rank in [1, 3] { _ = try? IDX.decode(Data(bytes), rank: rank, file: "fuzz") }
}

@Sendable func gzip(_ bytes: [UInt8]) {
    _ = try? Gzip.inflate(Data(bytes), limit: 16 << 20)
}

@Sendable func safetensors(_ bytes: [UInt8]) {
    guard let file = try? SafeTensors.parse(Data(bytes), file: "fuzz") else { return }
    // What was read is written back and reads the same.
    guard let again = try? SafeTensors.parse(file.serialized(), file: "again") else { fatalError("a parsed file does not read back") }
    guard again.metadata == file.metadata, again.tensors.keys.sorted() == file.tensors.keys.sorted(),
          file.tensors.allSatisfy({ name, tensor in
              again.tensors[name].map { $0.shape == tensor.shape && $0.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern) } ?? false
          }) else { fatalError("a parsed file reads back differently") }
}

@Sendable func checkpoint(_ bytes: [UInt8]) {
    guard let file = try? SafeTensors.parse(Data(bytes), file: "fuzz") else { return }
    guard let loaded = try? ModelCheckpoint.load(file, file: "fuzz", defaultClassNames: FashionMNIST.classNames) else { return }
    _ = try? Classifier(loaded)
}

@Sendable func config(_ bytes: [UInt8]) {
    guard let config = try? TrainingConfig.parse(Data(bytes), file: "fuzz") else { return }
    _ = config.summary
    _ = config.preprocessor
}

@Sendable func history(_ bytes: [UInt8]) {
    guard let history = try? History(csv: String(decoding: bytes, as: UTF8.self)) else { return }
    _ = history.best
    let points = history.records.map { (x: Double($0.epoch), y: $0.trainLoss) }
    _ = LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss", series: [.init(name: "train", color: "#000", points: points)]).svg
}

/// Photos are decoded under small limits so that each input runs in milliseconds.
let fuzzLimits = DecodingLimits(maxFileBytes: 1 << 20, maxPixels: 1 << 20)

@Sendable func image(_ bytes: [UInt8]) {
    guard let picture = try? ImageDecoder.decode(Data(bytes), limits: fuzzLimits, minimumSide: 32) else { return }
    for preprocessor in [Preprocessor(method: .photo), Preprocessor(method: .paper), Preprocessor(method: .letterbox, size: 32, channels: 3)] {
        _ = preprocessor(picture)
    }
}

@Sendable func index(_ bytes: [UInt8]) {
    guard let catalog = try? IndexFile.parse(Data(bytes), file: "fuzz"), catalog.count > 0 else { return }
    let query = [Float](catalog.vector(at: catalog.live.firstIndex(of: true) ?? 0))
    _ = try? catalog.search(query, k: 1)
}

@Sendable func graph(_ bytes: [UInt8]) {
    let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("fuzz-graph-\(getpid()).hnsw")
    defer { try? FileManager.default.removeItem(at: url) }
    guard (try? Data(bytes).write(to: url)) != nil,
          let graph = try? HNSWIndex.read(from: url, dimension: 8) else { return }
    _ = try? graph.search([Float](repeating: 0.5, count: 8), k: 3)
}

@Sendable func tags(_ bytes: [UInt8]) {
    for format in TagFile.Format.allCases { _ = try? TagFile.resumeState(of: Data(bytes), format: format, file: "fuzz") }
}

@Sendable func classMap(_ bytes: [UInt8]) {
    guard let map = try? ClassMap.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz") else { return }
    _ = try? map.indices(folders: ["shirts", "pants", "shoes"], classNames: FashionMNIST.classNames)
}

@Sendable func augment(_ bytes: [UInt8]) {
    guard let augmentation = try? Augmentation(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
    _ = augmentation.summary
}

/// The first line is a Content-Type header; the rest is the body it describes.
@Sendable func multipart(_ bytes: [UInt8]) {
    let split = bytes.firstIndex(of: 10) ?? bytes.count
    guard let type = MediaType(String(decoding: bytes[..<split], as: UTF8.self)) else { return }
    let body = Foundation.Data(bytes[min(bytes.count, split + 1)...])
    guard let parts = try? MultipartForm.parts(of: body, boundary: type.parameters["boundary"] ?? "") else { return }
    for part in parts { _ = (part.name, part.filename, part.mediaType, part.body.count) }
}
