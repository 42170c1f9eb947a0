import ArgumentParser
import Data
import Foundation
import PhotoDataset
import Tensor
import Training

/// Where the preprocessed photos of `--images` runs are kept between runs.
struct PhotoCacheOptions: ParsableArguments {
    @Option(help: "Folder for the preprocessed photos of --images runs (default: $XDG_CACHE_HOME/fashion/photos or ~/.cache/fashion/photos).")
    var cache: String?
    @Flag(help: "Decode the photos again instead of using the cache (nothing is written to it either).") var noCache = false

    /// The cache chosen, or nil for none.
    var store: PhotoCache? {
        noCache ? nil : cache.map { PhotoCache(directory: URL(fileURLWithPath: $0)) } ?? PhotoCache.standard
    }
}

/// The photos of an `--images` run, split by class as the run splits them (same seed and share).
struct PhotoRunData {
    /// Every photo of the folder.
    var dataset: FolderDataset
    /// The training and validation photos.
    var train, validation: ImageSet
    /// Whether the photos came from the cache, and how long loading took.
    var cached: Bool
    var seconds: Double

    /// Loads the photos `config.images` names with `config`'s preprocessing, through `cache`.
    static func load(_ config: TrainingConfig, cache: PhotoCache?) throws -> PhotoRunData {
        guard let folder = config.images else { throw UsageError("the run was not trained on --images photos") }
        let start = Date()
        let (dataset, cached) = try FolderDataset.load(URL(fileURLWithPath: folder), preprocessor: config.preprocessor, cache: cache)
        let split = try dataset.images.stratifiedSplit(try ValidationSize(config.imageValidation),
                                                       classes: dataset.classNames.count, seed: config.seed)
        // --limit and --val-limit take a seeded random part, not the first classes of the folder.
        func part(_ indices: [Int], _ limit: Int?) -> [Int] {
            guard let limit, limit < indices.count else { return indices }
            var generator = SeededGenerator(seed: config.seed ^ 0x11A1_7ED)
            return Array(indices.shuffled(using: &generator).prefix(limit)).sorted()
        }
        return PhotoRunData(dataset: dataset, train: dataset.images.subset(part(split.train, config.trainLimit)),
                            validation: dataset.images.subset(part(split.validation, config.validationLimit)),
                            cached: cached, seconds: Date().timeIntervalSince(start))
    }
}
