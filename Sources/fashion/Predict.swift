import ArgumentParser
import Data
import Foundation
import Inference
import Training

extension Fashion {
    /// `fashion predict`: one CSV row per image with the predicted class and its probability.
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print predictions as CSV: index,label,predicted,confidence.")

        @OptionGroup var weightsOptions: WeightsOptions
        @Option(help: "Predict the first N images only.") var limit: Int?
        @OptionGroup var ttaOptions: TTAOptions
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            let (checkpoint, images) = try weightsOptions.load(directory: dataOptions.prepare())
            let result = predict(checkpoint.model, on: images.prefix(limit), tta: ttaOptions.mode)
            var lines = ["index,label,predicted,confidence"]
            for i in result.labels.indices {
                lines.append(String(format: "%d,%@,%@,%.6f", i, checkpoint.classNames[result.labels[i]],
                                    checkpoint.classNames[result.predicted[i]], result.confidence[i]))
            }
            print(lines.joined(separator: "\n"))
        }
    }
}
