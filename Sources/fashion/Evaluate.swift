import ArgumentParser
import Checkpoint
import Data
import Foundation
import Inference
import Models
import Training

/// The checkpoint to load: its file and, for files without metadata, its architecture.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "A safetensors checkpoint (e.g. runs/seed-cnn/model.safetensors).") var weights: String
    @Option(help: "Architecture, for files whose metadata does not name one.") var model: String?

    /// Loads the checkpoint.
    func load() throws -> ModelCheckpoint {
        try ModelCheckpoint.load(URL(fileURLWithPath: weights), architecture: model, defaultClassNames: FashionMNIST.classNames)
    }
}

/// Options shared by the commands that load saved weights and run them on a dataset split.
struct WeightsOptions: ParsableArguments {
    @OptionGroup var checkpoint: CheckpointOptions
    @Option(help: "Images to use: test (10,000 t10k images) or val (the seeded validation split; for weights trained with --images, their validation photos).") var split: SplitName = .test
    @Option(help: "Split seed for --split val (default: the checkpoint's, else 1).") var seed: UInt64?
    @OptionGroup var cacheOptions: PhotoCacheOptions

    /// Loads the checkpoint and the requested images.
    func load(directory: URL) throws -> (ModelCheckpoint, ImageSet) {
        let checkpoint = try checkpoint.load()
        return (checkpoint, try images(for: checkpoint, directory: directory))
    }

    /// The requested split's images, refusing a validation split the checkpoint was trained on.
    func images(for checkpoint: ModelCheckpoint, directory: URL) throws -> ImageSet {
        if split == .val, let config = runConfig(beside: self.checkpoint.weights), config.images != nil {
            // Weights trained on a shop's photos: their validation photos, split as in training.
            let photos = try PhotoRunData.load(config, cache: cacheOptions.store)
            guard photos.validation.count > 0 else { throw UsageError("--split val: the run kept no validation photos") }
            return photos.validation
        }
        if split == .val && checkpoint.classNames != FashionMNIST.classNames {
            throw UsageError("--split val: no config.json of an --images run beside \(self.checkpoint.weights) to find its validation photos; give photos with --images")
        }
        try requireFashionMNIST(checkpoint, weights: self.checkpoint.weights, for: "--split \(split.rawValue)")
        if split == .val, checkpoint.metadata[ModelCheckpoint.Key.validationImages] == "0" {
            throw UsageError("--split val: \(self.checkpoint.weights) was trained without a validation split (--validation 0); use --split test")
        }
        let splitSeed = seed ?? checkpoint.metadata[ModelCheckpoint.Key.seed].flatMap(UInt64.init) ?? 1
        // The images the weights were validated on: as many as their run held out (older files: 10,000).
        let held = checkpoint.metadata[ModelCheckpoint.Key.validationImages].flatMap(Int.init) ?? 10_000
        return try loadSplit(split, directory: directory, seed: splitSeed, validationCount: held)
    }
}

/// The training configuration in the run directory holding `weights`, if there is one.
func runConfig(beside weights: String) -> TrainingConfig? {
    (try? TrainingConfig.saved(in: URL(fileURLWithPath: weights).deletingLastPathComponent())) ?? nil
}

/// A folder of labelled photos to evaluate or calibrate on.
struct PhotoFolderOptions: ParsableArguments {
    @Option(help: "A folder of labelled photos, one sub-folder per class (instead of a dataset split).") var images: String?
    @Option(help: "With --images: a CSV (folder,Class[;Class…]) or JSON ({\"folder\": [\"Class\", …]}) file naming the model classes that count as right for each folder (default: folders named like classes).")
    var classMap: String?
    @Option(help: "With --images: all photos, or the seeded half of each folder kept for choosing settings (val) or the other half (test) (default all).")
    var subset: ImageFolder.Subset = .all
    @Option(help: "Seed of the --subset halves (default 1).") var subsetSeed: UInt64 = 1

    func validate() throws {
        if images == nil && (classMap != nil || subset != .all) { throw ValidationError("--class-map and --subset need --images") }
    }

    /// The photos, decoded and preprocessed for `classifier`; failures are reported on stderr, one line each.
    func load(for classifier: Classifier) throws -> LabelledPhotos {
        let directory = URL(fileURLWithPath: images!)
        let map = try classMap.map { try ClassMap.read(URL(fileURLWithPath: $0)) }
        let photos = try LabelledPhotos.load(directory, for: classifier, classMap: map, subset: subset, seed: subsetSeed)
        for failure in photos.failures {
            FileHandle.standardError.write(Data("Error: \(failure.file.relativePath): \(failure.error) (left out)\n".utf8))
        }
        if !photos.skippedFolders.isEmpty {
            FileHandle.standardError.write(Data("note: folders with no matching class left out: \(photos.skippedFolders.joined(separator: ", "))\n".utf8))
        }
        guard !photos.inputs.isEmpty else { throw UsageError("\(directory.path): no photo could be decoded") }
        return photos
    }

    /// How the photos are named in output lines.
    var description: String { "photos in \(images ?? "")" + (subset == .all ? "" : " (\(subset.rawValue) half)") }
}

extension Fashion {
    /// `fashion evaluate`: accuracy, loss, per-class scores and confusion matrix of saved weights.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate saved weights: accuracy, loss, per-class precision/recall/F1, confusion matrix.",
            discussion: "On a dataset split (--split), or on a folder of labelled photos (--images), where a folder may count several classes as right (--class-map).")

        @OptionGroup var weightsOptions: WeightsOptions
        @OptionGroup var folder: PhotoFolderOptions
        @Flag(help: "Render each image of the split as a photo (off-centre, tinted, on a coloured background, JPEG quality 75), then preprocess it as a photo: what the photo pipeline costs.")
        var photoStyle = false
        @Flag(help: "Print JSON (keys: accuracy, loss, classes, confusion; with --images: accuracy, loss, ece, images, folders, class_names, confusion, precision).") var json = false
        @OptionGroup var ttaOptions: TTAOptions
        @OptionGroup var photo: PhotoOptions
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if photoStyle && folder.images != nil { throw ValidationError("--photo-style renders dataset images; it does not apply to --images") }
        }

        func run() throws {
            dataOptions.threadOptions.apply()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            if folder.images != nil {
                let classifier = try photo.classifier(weightsOptions.checkpoint.load(), tta: ttaOptions.mode)
                let photos = try folder.load(for: classifier)
                let probabilities = classifier.probabilities(photos.inputs).scalars
                let report = PhotoEvaluation(photos, probabilities: probabilities, classNames: classifier.classNames)
                if json {
                    print(String(decoding: try encoder.encode(report), as: UTF8.self))
                } else {
                    print("\(classifier.modelDescription) on \(photos.inputs.count) \(folder.description), preprocessing \(classifier.preprocessor.method.rawValue), temperature \(classifier.temperature)" + ttaOptions.mode.label)
                    print(report.text())
                }
                return
            }
            var (checkpoint, images) = try weightsOptions.load(directory: dataOptions.prepare())
            let views = ttaOptions.mode
            let classifier = try photo.classifier(checkpoint)
            if photoStyle { images = try PhotoStyle.photoStyleSet(images, preprocessor: classifier.preprocessor) }
            let predictions = predict(checkpoint.model, on: images, tta: views, temperature: classifier.temperature)
            let report = EvaluationReport(predictions, classNames: checkpoint.classNames)
            if json {
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                let style = photoStyle ? " rendered as photos (preprocessing \(classifier.preprocessor.method.rawValue))" : ""
                print("\(classifier.modelDescription) on \(images.count) \(weightsOptions.split.rawValue) images\(style)" + views.label)
                print(report.text())
            }
        }
    }
}
