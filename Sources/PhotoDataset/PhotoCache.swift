import Checkpoint
import Data
import Foundation

/// A folder of preprocessed photo datasets, one safetensors file per dataset and settings, named by
/// the key of its files (see `FolderDataset.load`): a second run over unchanged photos starts at once.
public struct PhotoCache: Sendable {
    /// The cache folder.
    public var directory: URL

    /// A cache in `directory` (created when first written).
    public init(directory: URL) { self.directory = directory }

    /// `$XDG_CACHE_HOME/fashion/photos`, else `~/.cache/fashion/photos`.
    public static var standard: PhotoCache {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return PhotoCache(directory: base.appendingPathComponent("fashion/photos"))
    }

    /// The file a key is stored in.
    public func file(for key: String) -> URL { directory.appendingPathComponent("\(key).safetensors") }

    private static let format = "fashion-photo-cache"

    /// The dataset stored under `key`, or nil when there is none, it does not read back whole or
    /// its images are not `imageShape` [C, H, W] (then it is rebuilt and overwritten).
    func read(key: String, classNames: [String], imageShape: [Int]) -> FolderDataset? {
        guard let file = try? SafeTensors.read(file(for: key)), file.metadata["format"] == PhotoCache.format,
              let pixels = file.raw["pixels"], pixels.dtype == "U8", pixels.shape.count == 4,
              Array(pixels.shape.dropFirst()) == imageShape,
              let labels = file.raw["labels"]?.int32Values,
              let names = decode([String].self, file.metadata["classes"]), names == classNames,
              let files = decode([String].self, file.metadata["files"]),
              let skipped = decode([FolderDataset.Skipped].self, file.metadata["skipped"]),
              pixels.shape[0] == labels.count, files.count == labels.count,
              labels.allSatisfy({ (0..<Int32(names.count)).contains($0) }) else { return nil }
        let set = ImageSet(pixels: pixels.bytes, labels: labels.map(Int.init), channels: pixels.shape[1],
                           height: pixels.shape[2], width: pixels.shape[3])
        return FolderDataset(classNames: names, images: set, files: files, skipped: skipped)
    }

    /// Stores `dataset` under `key`, atomically (what a killed writer left half-written is deleted first).
    func write(_ dataset: FolderDataset, key: String) throws {
        let set = dataset.images
        var file = SafeTensors(metadata: ["format": PhotoCache.format])
        file.raw["pixels"] = RawTensor(bytes: set.pixels, shape: [set.count, set.channels, set.height, set.width])
        file.raw["labels"] = RawTensor(int32: set.labels.map { Int32($0) }, shape: [set.count])
        let encoder = JSONEncoder()
        file.metadata["classes"] = String(decoding: try encoder.encode(dataset.classNames), as: UTF8.self)
        file.metadata["files"] = String(decoding: try encoder.encode(dataset.files), as: UTF8.self)
        file.metadata["skipped"] = String(decoding: try encoder.encode(dataset.skipped), as: UTF8.self)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ImageFolderError("\(directory.path): cannot create the photo cache folder (\(error.localizedDescription)); choose another with --cache")
        }
        AtomicFile.removeLeftovers(in: directory)
        try file.write(to: self.file(for: key))
    }

    private func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        text.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }
}
