import ArgumentParser
import Data
import Foundation
import Training

extension Fashion {
    /// `fashion train`: trains a model and saves checkpoints, history and config in a run directory.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model on the 50,000-image training split, validating on the other 10,000.")

        @Option(help: "Architecture to train.") var model: String = "seed-cnn"
        @Option(help: "Number of epochs (with --resume: the new total).") var epochs: Int = 50
        @Option(help: "Images per step.") var batchSize: Int = 64
        @Option(help: "Seed for the split, weights, shuffling and dropout.") var seed: UInt64 = 1
        @Option(help: "Adam learning rate.") var lr: Float = 1e-3
        @Option(help: "Run directory for checkpoints, history and config.") var out: String = "runs/seed-cnn"
        @Flag(help: "Continue the run in --out from its last finished epoch.") var resume = false
        @Option(help: "Train on the first N training images only (quick runs).") var limit: Int?
        @Option(help: "Validate on the first N validation images only.") var valLimit: Int?
        @Flag(help: "Print only the per-epoch lines (no progress bar).") var quiet = false
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if epochs < 1 { throw ValidationError("--epochs must be at least 1") }
            if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
            if !(lr > 0) { throw ValidationError("--lr must be positive") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            if let valLimit, valLimit < 1 { throw ValidationError("--val-limit must be at least 1") }
        }

        func run() throws {
            let directory = URL(fileURLWithPath: out)
            var config: TrainingConfig
            if resume {
                let url = directory.appendingPathComponent(RunFiles.config)
                guard let data = try? Data(contentsOf: url),
                      let saved = try? JSONDecoder().decode(TrainingConfig.self, from: data) else {
                    throw TrainingError(description: "\(url.path): no readable config.json to resume from")
                }
                config = saved
                config.epochs = epochs
            } else {
                config = TrainingConfig()
                config.model = model
                config.epochs = epochs
                config.batchSize = batchSize
                config.seed = seed
                config.learningRate = lr
                config.trainLimit = limit
                config.validationLimit = valLimit
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunFiles.last).path) {
                    throw TrainingError(description: "\(out) already holds a run; pass --resume to continue it or choose another --out")
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
                print("resuming \(out) after epoch \(trainer.records.last?.epoch ?? 0)")
            }
            print("training \(config.model) on \(trainer.train.count) images, validating on \(trainer.validation.count); batch \(config.batchSize), seed \(config.seed) → \(out)")
            try trainer.run()
            if let best = trainer.records.max(by: { $0.validationAccuracy < $1.validationAccuracy }) {
                print(String(format: "best validation accuracy %.2f%% at epoch %d; weights in %@; peak memory %.0f MiB",
                             best.validationAccuracy * 100, best.epoch,
                             directory.appendingPathComponent(RunFiles.best).path, Benchmark.peakResidentMiB()))
            }
        }
    }
}
