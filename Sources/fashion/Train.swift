import ArgumentParser
import Data
import Foundation
import Models
import Training

extension Fashion {
    /// `fashion train`: trains a model and saves checkpoints, history and config in a run directory.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model on the 50,000-image training split, validating on the other 10,000 (or on all 60,000).",
            discussion: "Without --recipe the defaults are the notebook's (seed-cnn, Adam 1e-3, batch 64, 50 epochs). "
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
        @Option(help: "Augmentation, comma-separated: flip, crop=P, rotate=DEG, scale=S, erase=P, photo (photo-like changes), photo-crop=P, tone=P, blur=P, clutter=P, noise=S, or none.") var augment: String?
        @Option(help: "Run directory for checkpoints, history and config (default runs/<recipe or model>).") var out: String?
        @Flag(help: "Continue the run in --out from its last finished epoch.") var resume = false
        @Option(help: "Train on the first N training images only (quick runs).") var limit: Int?
        @Option(help: "Validate on the first N validation images only.") var valLimit: Int?
        @Option(help: "Images held out from the 60,000 for validation (default 10000; 0: train on all and keep the last epoch's weights).") var validation: Int?
        @Flag(help: "Print only the per-epoch lines (no progress bar).") var quiet = false
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            if let valLimit, valLimit < 1 { throw ValidationError("--val-limit must be at least 1") }
        }

        /// The configuration: the recipe's (or the defaults), overridden by the options given.
        func makeConfig() throws -> TrainingConfig {
            var c = try recipe.map { try Recipes.named($0).config } ?? TrainingConfig()
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
            if let augment { c.augmentation = try Augmentation(parsing: augment) }
            if let validation { c.validationCount = validation }
            c.trainLimit = limit
            c.validationLimit = valLimit
            _ = try Models.named(c.model)
            try c.validate()
            return c
        }

        func run() throws {
            var config: TrainingConfig
            let directory: URL
            if resume {
                guard let out else { throw ValidationError("--resume needs --out, the run directory to continue") }
                directory = URL(fileURLWithPath: out)
                let url = directory.appendingPathComponent(RunFiles.config)
                guard let data = try? Data(contentsOf: url),
                      let saved = try? JSONDecoder().decode(TrainingConfig.self, from: data) else {
                    throw TrainingError(description: "\(url.path): no readable config.json to resume from")
                }
                config = saved
                if let epochs { config.epochs = epochs }
            } else {
                config = try makeConfig()
                directory = URL(fileURLWithPath: out ?? "runs/\(recipe ?? config.model)")
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunFiles.last).path) {
                    throw TrainingError(description: "\(directory.relativePath) already holds a run; pass --resume to continue it or choose another --out")
                }
            }
            let dataDirectory = dataOptions.prepare()
            let full = try FashionMNIST.load(.train, from: dataDirectory)
            let (train, validation) = FashionMNIST.split(full, validationCount: config.validationCount, seed: config.seed)
            let trainer = try Trainer(config: config, directory: directory,
                                      train: train.prefix(config.trainLimit),
                                      validation: validation.prefix(config.validationLimit))
            trainer.showProgress = !quiet && ProgressBar.isTerminal
            if resume {
                try trainer.resume()
                print("resuming \(directory.relativePath) after epoch \(trainer.history.records.last?.epoch ?? 0)")
            }
            let validating = trainer.validation.count > 0 ? "validating on \(trainer.validation.count)" : "no validation"
            print("training \(config.model)\(config.recipe.map { " (recipe \($0))" } ?? "") on \(trainer.train.count) images, "
                  + "\(validating); batch \(config.batchSize), seed \(config.seed) → \(directory.relativePath)")
            print("  \(config.summary)")
            try trainer.run()
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

extension TrainingConfig.ScheduleKind: ExpressibleByArgument {}
