import ArgumentParser
import Checkpoint
import Data
import Foundation
import Kernels
import Inference
import Models
import PhotoDataset
import Preprocessing
import Training

extension Fashion {
    /// `fashion train`: trains a model and saves checkpoints, history and config in a run directory.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model on the 50,000-image training split, validating on the other 10,000 (or on all 60,000), or on a folder of labelled photos (--images).",
            discussion: "Without --recipe the defaults are the notebook's (seed-cnn, Adam 1e-3, batch 64, 50 epochs). "
                + "With --images DIR (one sub-folder of photos per class, the folder names are the classes) the photos are "
                + "decoded and preprocessed once (cached), split by class into training and validation, and the model is built "
                + "for --channels × --input-size² inputs and the folder's classes; --from W starts from other weights (fine-tuning). "
                + "A recipe sets everything; options given with it override its values. Recipes: "
                + Recipes.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ") + ".")

        @Option(help: "Named settings: \(Recipes.all.map(\.name).joined(separator: ", ")).") var recipe: String?
        @Option(help: "Architecture to train (see `fashion models`; default seed-cnn).") var model: String?
        @Option(help: "Number of epochs (with --resume: the new total; default 50).") var epochs: Int?
        @Option(help: "Images per step (default 64).") var batchSize: Int?
        @Option(help: "Seed for the split, weights, shuffling, augmentation and dropout (default 1).") var seed: UInt64?
        @Option(help: "adam, adamw or sgd (Nesterov momentum) (default adam).") var optimizer: String?
        @Option(help: "Peak learning rate (default 1e-3).") var lr: Float?
        @Option(help: "Learning-rate schedule: constant, step, cosine or one-cycle (default constant).") var schedule: TrainingConfig.ScheduleKind?
        @Option(help: "Linear warm-up epochs (default 0).") var warmupEpochs: Double?
        @Option(help: "Weight decay (AdamW: decoupled; SGD: L2) (default 0).") var weightDecay: Float?
        @Option(help: "SGD momentum (default 0.9).") var momentum: Float?
        @Option(help: "Label smoothing of the cross-entropy (default 0).") var labelSmoothing: Float?
        @Option(help: "Clip the global gradient norm to this.") var clipNorm: Float?
        @Option(help: "Stop after this many epochs without a better validation accuracy.") var patience: Int?
        @Option(help: "Augmentation, comma-separated: flip, crop=P, rotate=DEG, scale=S, erase=P, photo (photo-like changes), photo-crop=P, crop-area=A, tone=P, blur=P, clutter=P, noise=S, jitter=S (colour), or none.") var augment: String?
        @Option(help: "Run directory for checkpoints, history and config (default runs/<recipe or model>).") var out: String?
        @Flag(help: "Continue the run in --out from its last finished epoch.") var resume = false
        @Option(help: "Train on the first N training images only (quick runs).") var limit: Int?
        @Option(help: "Validate on the first N validation images only.") var valLimit: Int?
        @Option(help: "Images held out for validation: a count, or a fraction below 1 (default 10000 of Fashion-MNIST's 60,000; 0.2 of each class with --images; 0: train on all and keep the last epoch's weights).") var validation: Double?
        @Option(help: "A folder of labelled photos to train on: one sub-folder per class, named as the class.") var images: String?
        @Option(help: "Input side in pixels for --images (default 28).") var inputSize: Int?
        @Option(help: "Input channels for --images: 1 (gray) or 3 (colour) (default 1).") var channels: Int?
        @Option(help: "How photos become inputs: photo, paper or letterbox (default: photo for 1 channel, letterbox for 3).") var preprocessing: PreprocessingMethod?
        @Option(help: "Class imbalance: none, weighted (class-weighted loss) or sampled (balanced sampling) (default none).") var balance: TrainingConfig.Balance?
        @Option(help: "Start from these weights (fine-tuning): every layer whose shape fits is loaded, the head is new.") var from: String?
        @Option(parsing: .singleValue, help: "With --from, keep the layers under this name fixed (e.g. features, layer1); repeatable.") var freeze: [String] = []
        @Option(help: "With --from, multiply the learning rate of the loaded layers by this (default 1).") var fromLrScale: Float?
        @OptionGroup var cacheOptions: PhotoCacheOptions
        @Flag(help: "Print only the per-epoch lines (no progress bar).") var quiet = false
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            if let valLimit, valLimit < 1 { throw ValidationError("--val-limit must be at least 1") }
            if let validation, !(validation >= 0 && validation.isFinite) { throw ValidationError("--validation must be 0 or more") }
            if let augment { _ = try Augmentation(option: augment) }
        }

        /// The configuration: the recipe's (or the defaults), overridden by the options given.
        func makeConfig() throws -> TrainingConfig {
            // A wrong recipe, model or value is a usage error (exit 64); a --from file that cannot be read is not.
            func usage<T>(_ body: () throws -> T) throws -> T {
                do { return try body() } catch let error as ValidationError { throw error } catch { throw ValidationError("\(error)") }
            }
            var c = try usage { try recipe.map { try Recipes.named($0).config } ?? TrainingConfig() }
            if let model { c.model = model }
            if let epochs { c.epochs = epochs }
            if let batchSize { c.batchSize = batchSize }
            if let seed { c.seed = seed }
            if let optimizer { c.optimizer = optimizer }
            if let lr { c.learningRate = lr }
            if let schedule { c.schedule = schedule }
            if let warmupEpochs { c.warmupEpochs = warmupEpochs }
            if let weightDecay { c.weightDecay = weightDecay }
            if let momentum { c.momentum = momentum }
            if let labelSmoothing { c.labelSmoothing = labelSmoothing }
            if let clipNorm { c.clipNorm = clipNorm }
            if let patience { c.earlyStoppingPatience = patience }
            if let augment { c.augmentation = try Augmentation(option: augment) }
            if let images { c.images = images }
            if let validation {
                if c.images != nil {
                    c.imageValidation = validation
                } else if validation < 1 {
                    c.validationCount = Int((validation * 60_000).rounded())
                } else {
                    guard validation == validation.rounded() else {
                        throw ValidationError("--validation must be a whole number of images, or a fraction below 1")
                    }
                    c.validationCount = Int(min(validation, 1e9))  // validate() names the range
                }
            }
            if c.images == nil && (inputSize != nil || channels != nil || preprocessing != nil || balance != nil) {
                throw ValidationError("--input-size, --channels, --preprocessing and --balance need --images")
            }
            if let inputSize { c.inputSize = inputSize }
            if let channels { c.channels = channels }
            if let preprocessing { c.preprocessing = preprocessing }
            if let balance { c.balance = balance }
            if let from {
                c.from = from
                if model == nil && recipe == nil {  // fine-tune the architecture the weights are for
                    c.model = try ModelCheckpoint.load(URL(fileURLWithPath: from), defaultClassNames: FashionMNIST.classNames).architecture.name
                }
            }
            if !freeze.isEmpty { c.freeze = freeze.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } }
            if let fromLrScale { c.fromLearningRateScale = fromLrScale }
            c.trainLimit = limit
            c.validationLimit = valLimit
            try usage {
                _ = try Models.named(c.model)
                try c.validate()
            }
            return c
        }

        func run() throws {
            var config: TrainingConfig
            let directory: URL
            // One process per run directory; what a killed one left half-written is deleted.
            var lock: DirectoryLock?
            defer { lock?.release() }
            func claim(_ directory: URL) throws {
                lock = try DirectoryLock(directory, for: "fashion train")
                for name in AtomicFile.removeLeftovers(in: directory) {
                    print("removed \(directory.appendingPathComponent(name).relativePath), left half-written by a killed run")
                }
            }
            if resume {
                guard let out else { throw ValidationError("--resume needs --out, the run directory to continue") }
                directory = URL(fileURLWithPath: out)
                guard FileManager.default.fileExists(atPath: directory.path) else {
                    throw TrainingError(description: "\(directory.relativePath): no such run directory to resume")
                }
                try claim(directory)
                guard let saved = (try? TrainingConfig.saved(in: directory)) ?? nil else {
                    throw TrainingError(description: "\(directory.appendingPathComponent(RunFiles.config).path): no readable config.json to resume from")
                }
                config = saved
                if let epochs { config.epochs = epochs }
            } else {
                config = try makeConfig()
                directory = URL(fileURLWithPath: out ?? "runs/\(recipe ?? config.model)")
                try claim(directory)
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunFiles.last).path) {
                    throw TrainingError(description: "\(directory.relativePath) already holds a run; pass --resume to continue it or choose another --out")
                }
            }
            let dataDirectory = dataOptions.prepare()
            let trainer: Trainer
            if let images = config.images {
                let photos = try loadPhotos(images, config: config, runDirectory: directory)
                trainer = try Trainer(config: config, directory: directory, train: photos.train,
                                      validation: photos.validation,
                                      classNames: photos.classNames, preprocessor: config.preprocessor)
            } else {
                let full = try FashionMNIST.load(.train, from: dataDirectory)
                let (train, validation) = try FashionMNIST.split(full, validationCount: config.validationCount, seed: config.seed)
                trainer = try Trainer(config: config, directory: directory,
                                      train: train.prefix(config.trainLimit),
                                      validation: validation.prefix(config.validationLimit))
            }
            if let transfer = trainer.transfer, let from = config.from {
                print("fine-tuning from \(from): \(transfer.summary)")
            }
            trainer.showProgress = !quiet && ProgressBar.isTerminal
            if resume {
                try trainer.resume()
                print("resuming \(directory.relativePath) after epoch \(trainer.history.records.last?.epoch ?? 0)")
            }
            let validating = trainer.validation.count > 0 ? "validating on \(trainer.validation.count)" : "no validation"
            print("training \(config.model)\(config.recipe.map { " (recipe \($0))" } ?? "") for \(trainer.geometry) on \(trainer.train.count) images, "
                  + "\(validating); batch \(config.batchSize), seed \(config.seed) → \(directory.relativePath)")
            print("  \(config.summary)")
            if Precision.current == .bf16 { print("  precision bf16: \(Precision.bf16Implementation)") }
            try trainer.run()
            if config.images != nil && trainer.validation.count > 0 { try reportValidation(of: trainer) }
            let weights = directory.appendingPathComponent(RunFiles.best).relativePath
            let memory = String(format: "peak memory %.0f MiB", Benchmark.peakResidentMiB())
            if let best = trainer.history.best {
                if let accuracy = best.validationAccuracy {
                    print(String(format: "best validation accuracy %.2f%% at epoch %d; weights in %@; %@",
                                 accuracy * 100, best.epoch, weights, memory))
                } else {
                    print("no validation; weights of epoch \(best.epoch) in \(weights); \(memory)")
                }
            }
        }
    }
}

extension Fashion.Train {
    /// The photos of `folder` for `config`, loaded through the cache and split by class; the skipped
    /// files are written to the run directory.
    func loadPhotos(_ folder: String, config: TrainingConfig, runDirectory: URL)
        throws -> (train: ImageSet, validation: ImageSet, classNames: [String]) {
        let photos = try PhotoRunData.load(config, cache: cacheOptions.store)
        let dataset = photos.dataset
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        try AtomicFile.write(dataset.skippedList, to: runDirectory.appendingPathComponent(RunFiles.skipped))
        let skipped = dataset.skipped.isEmpty ? "" : "; skipped \(dataset.skipped.count) unreadable files (listed in \(runDirectory.relativePath)/\(RunFiles.skipped))"
        let how = photos.cached ? "from the cache" : String(format: "decoded in %.1f s", photos.seconds)
        print("photos: \(dataset.images.count) in \(dataset.classNames.count) classes from \(folder), \(how)\(skipped)")
        print("  " + zip(dataset.classNames, dataset.classCounts).map { "\($0) \($1)" }.joined(separator: ", "))
        return (photos.train, photos.validation, dataset.classNames)
    }
}

extension Fashion.Train {
    /// Prints the best weights' per-class scores on the validation photos and writes them to the run
    /// directory (`validation.txt`), so a shop sees which of its classes the model confuses.
    func reportValidation(of trainer: Trainer) throws {
        let best = try ModelCheckpoint.load(trainer.directory.appendingPathComponent(RunFiles.best), defaultClassNames: trainer.classNames)
        let report = EvaluationReport(predict(best.model, on: trainer.validation), classNames: trainer.classNames)
        let text = "validation photos (\(trainer.validation.count)), best weights (epoch \(best.metadata[ModelCheckpoint.Key.epoch] ?? "?")):\n" + report.text()
        try AtomicFile.write(text + "\n", to: trainer.directory.appendingPathComponent("validation.txt"))
        print(text)
    }
}

extension TrainingConfig.ScheduleKind: ExpressibleByArgument {}
extension TrainingConfig.Balance: ExpressibleByArgument {}
