import Inference
import ArgumentParser
import Checkpoint
import Data
import Foundation
import Models
import Training

/// Options shared by the commands that load saved weights.
struct WeightsOptions: ParsableArguments {
    @Option(help: "A safetensors checkpoint (e.g. runs/seed-cnn/model.safetensors).") var weights: String
    @Option(help: "Architecture, for files whose metadata does not name one.") var model: String?
    @Option(help: "Images to use: test (10,000 t10k images) or val (the seeded validation split).") var split: SplitName = .test
    @Option(help: "Split seed for --split val (default: the checkpoint's, else 1).") var seed: UInt64?

    /// Loads the checkpoint and the requested images.
    func load(directory: URL) throws -> (ModelCheckpoint, ImageSet) {
        let checkpoint = try ModelCheckpoint.load(URL(fileURLWithPath: weights), architecture: model,
                                                  defaultClassNames: FashionMNIST.classNames)
        if split == .val, checkpoint.metadata[ModelCheckpoint.Key.validationImages] == "0" {
            throw UsageError("--split val: \(weights) was trained on all 60,000 images, validation split included; use --split test")
        }
        let splitSeed = seed ?? checkpoint.metadata[ModelCheckpoint.Key.seed].flatMap(UInt64.init) ?? 1
        return (checkpoint, try loadSplit(split, directory: directory, seed: splitSeed))
    }
}

extension Fashion {
    /// `fashion evaluate`: accuracy, loss, per-class scores and confusion matrix of saved weights.
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate saved weights: accuracy, loss, per-class precision/recall/F1, confusion matrix.")

        @OptionGroup var weightsOptions: WeightsOptions
        @Flag(help: "Print JSON (keys: accuracy, loss, classes, confusion).") var json = false
        @OptionGroup var ttaOptions: TTAOptions
        @OptionGroup var dataOptions: DataOptions

        func run() throws {
            let (checkpoint, images) = try weightsOptions.load(directory: dataOptions.prepare())
            let views = ttaOptions.mode
            let report = EvaluationReport(predict(checkpoint.model, on: images, tta: views), classNames: checkpoint.classNames)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("\(checkpoint.architecture.name) on \(images.count) \(weightsOptions.split.rawValue) images" + views.label)
                print(report.text())
            }
        }
    }
}
