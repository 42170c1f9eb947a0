import ArgumentParser
import Checkpoint
import Data
import Decoding
import Foundation
import Imaging
import Inference
import Preprocessing
import Report
import Similarity

/// Dataset images a catalogue command can take instead of files.
enum DatasetSplit: String, ExpressibleByArgument, CaseIterable {
    case train, test

    var part: FashionMNIST.Part { self == .train ? .train : .test }
}

/// What to embed: photo files and folders, or a dataset split (ids `train:N`, `test:N`).
struct ItemOptions: ParsableArguments {
    @Argument(help: "Photo files or folders (walked for JPEG, PNG and WebP files).") var paths: [String] = []
    @Option(help: "Dataset images instead of files: train (60,000) or test (10,000).") var split: DatasetSplit?
    @Option(help: "With --split, only the first N images.") var limit: Int?
    @OptionGroup var dataOptions: DataOptions

    func validate() throws {
        if split != nil && !paths.isEmpty { throw ValidationError("give photo paths or --split, not both") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if limit != nil && split == nil { throw ValidationError("--limit needs --split") }
    }

    /// Whether any images were named.
    var isEmpty: Bool { split == nil && paths.isEmpty }

    /// The dataset split asked for, cut to --limit.
    func dataset() throws -> (set: ImageSet, prefix: String)? {
        guard let split else { return nil }
        let set = try FashionMNIST.load(split.part, from: dataOptions.prepare())
        return (set.prefix(limit), split.rawValue)
    }

    /// The photo files named (folders walked), each once, as ids.
    func files() throws -> [String] {
        dataOptions.threadOptions.apply()
        return try ImageFolder.expand(paths).map(\.relativePath)
    }

    /// Catalogue items for what was named, and the files that could not be used.
    func items(_ builder: CatalogBuilder) throws -> (items: [CatalogItem], failures: [(id: String, error: any Error)]) {
        if let (set, prefix) = try dataset() {
            guard builder.inputShape == [set.channels, set.height, set.width] else {
                throw UsageError("--split \(prefix): these weights take \(builder.inputShape.map(String.init).joined(separator: "×")) inputs, "
                                 + "not Fashion-MNIST's 1×28×28 images; index photo files instead")
            }
            return (builder.items(of: set, prefix: prefix, indices: 0..<set.count), [])
        }
        let ids = try files()
        return builder.items(ofPhotos: ids.map { URL(fileURLWithPath: $0) }, ids: ids)
    }
}

/// How vectors are made for a new index: a checkpoint's embedding or raw pixels.
struct EmbeddingOptions: ParsableArguments {
    @Option(help: "A safetensors checkpoint whose embedding layer gives the vectors.") var weights: String?
    @Option(help: "Architecture, for files whose metadata does not name one.") var model: String?
    @Flag(help: "Use the 28×28 input's raw pixels as the vectors (the baseline; no model).") var pixels = false
    @OptionGroup var photo: PhotoOptions

    func validate() throws {
        if pixels == (weights != nil) { throw ValidationError("give --weights W or --pixels") }
    }

    /// The builder asked for.
    func builder() throws -> CatalogBuilder {
        guard let weights else { return try CatalogBuilder(pixelsWith: photo.preprocessor(), limits: photo.limits) }
        return try catalogBuilder(weights: weights, model: model, photo: photo)
    }
}

/// The builder for the checkpoint at `weights`, its embedding layer and photo preprocessing.
func catalogBuilder(weights: String, model: String?, photo: PhotoOptions) throws -> CatalogBuilder {
    let url = URL(fileURLWithPath: weights)
    let checkpoint = try ModelCheckpoint.load(url, architecture: model, defaultClassNames: FashionMNIST.classNames)
    let embedder = try Embedder(photo.classifier(checkpoint))
    let bytes: Foundation.Data
    do { bytes = try Foundation.Data(contentsOf: url) } catch { throw UsageError("\(weights): cannot read (\(error.localizedDescription))") }
    return CatalogBuilder(embedder, weightsSHA256: SHA256.hex(bytes), weightsPath: weights)
}

/// Options of the commands that read an index and embed queries for it.
struct IndexOptions: ParsableArguments {
    @Option(help: "A catalogue index (fashion index build).") var index: String
    @Option(help: "Weights to embed queries with (default: the path the index records); must be the weights the index was built from.")
    var weights: String?
    @OptionGroup var photo: PhotoOptions

    /// The index file's URL.
    var url: URL { URL(fileURLWithPath: index) }

    /// Reads the index.
    func load() throws -> CatalogIndex { try IndexFile.read(url) }

    /// A builder that makes vectors comparable with `catalog`'s, refusing other weights.
    func builder(for catalog: CatalogIndex) throws -> CatalogBuilder {
        if catalog.source.model == EmbeddingSource.pixels.model {
            return try CatalogBuilder(pixelsWith: photo.preprocessor(), limits: photo.limits)
        }
        let path = weights ?? catalog.source.weightsPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw UsageError("\(index): built from weights at '\(path)', which is not there; pass --weights with the same file")
        }
        let builder = try catalogBuilder(weights: path, model: nil, photo: photo)
        guard builder.source.matches(catalog.source) else {
            throw UsageError("\(path) is not the weights \(index) was built from: the index holds \(catalog.source.summary), "
                             + "these give \(builder.source.summary); vectors from other weights cannot be compared")
        }
        return builder
    }
}

/// Prints the files that could not be embedded, one `Error:` line each.
func reportFailures(_ failures: [(id: String, error: any Error)]) {
    for failure in failures {
        FileHandle.standardError.write(Foundation.Data("Error: \(failure.id): \(failure.error)\n".utf8))
    }
}

/// Pictures of catalogue items for the PNG sheets: `ItemPictures`, with a gray square for an item
/// whose image cannot be read.
struct Thumbnails {
    private var pictures: ItemPictures

    init(directory: URL, side: Int = 84) { pictures = ItemPictures(datasetDirectory: directory, side: side) }

    /// The picture of `id`, `side` pixels square (gray when it cannot be read).
    mutating func picture(_ id: String) -> RGBImage {
        pictures.picture(id) ?? RGBImage(width: pictures.side, height: pictures.side, fill: RGB(0xd0, 0xd7, 0xde))
    }
}
