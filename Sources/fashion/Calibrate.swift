import ArgumentParser
import Checkpoint
import Data
import Foundation
import Inference

extension Fashion {
    /// `fashion calibrate`: fits the temperature that makes a checkpoint's probabilities honest and stores it.
    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit a calibration temperature on held-out images and store it in the checkpoint.",
            discussion: "Temperature scaling (Guo et al. 2017) divides the logits by one number T fitted to minimise the "
                + "negative log-likelihood on held-out images: on the validation split (--split val), or on a folder of "
                + "labelled photos (--images, usually with --subset val). The predicted classes do not change; the expected "
                + "calibration error (15 bins) before and after is printed and saved with T in the checkpoint's metadata, "
                + "with the preprocessing used. classify, tag and evaluate then use T.")

        @OptionGroup var weightsOptions: WeightsOptions
        @OptionGroup var folder: PhotoFolderOptions
        @Option(help: "Write the calibrated checkpoint here (default: replace --weights, atomically).") var out: String?
        @OptionGroup var ttaOptions: TTAOptions
        @OptionGroup var photo: PhotoOptions
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if folder.images == nil && weightsOptions.split != .val {
                throw ValidationError("calibrate on held-out images: --split val or --images DIR (the test split is for reporting)")
            }
        }

        func run() throws {
            dataOptions.threadOptions.apply()
            let checkpoint = try weightsOptions.checkpoint.load()
            var classifier = try photo.classifier(checkpoint, tta: ttaOptions.mode)
            let logits: Calibration.ViewLogits
            let accepted: [[Int]]
            let source: String
            if folder.images != nil {
                let photos = try folder.load(for: classifier)
                let set = ImageSet(pixels: photos.inputs.flatMap(\.pixels), labels: photos.folderOfInput,
                                   channels: photos.inputs[0].channels, height: photos.inputs[0].height, width: photos.inputs[0].width)
                logits = Calibration.ViewLogits(checkpoint.model, on: set, tta: ttaOptions.mode)
                accepted = photos.accepted
                source = "\(photos.inputs.count) \(folder.description)"
            } else {
                let set = try weightsOptions.images(for: checkpoint, directory: dataOptions.prepare())
                logits = Calibration.ViewLogits(checkpoint.model, on: set, tta: ttaOptions.mode)
                accepted = set.labels.map { [$0] }
                source = "\(set.count) validation images"
            }
            func measure(_ t: Float) -> (nll: Double, ece: Double) {
                let p = logits.probabilities(temperature: t)
                let (confidence, correct) = Calibration.confidenceAndCorrectness(p, classes: logits.classes, accepted: accepted)
                return (Calibration.negativeLogLikelihood(p, classes: logits.classes, accepted: accepted),
                        Calibration.expectedCalibrationError(confidence: confidence, correct: correct))
            }
            let before = measure(1)
            let temperature = Calibration.fitTemperature(logits, accepted: accepted)
            let after = measure(temperature)
            classifier.temperature = temperature

            let url = URL(fileURLWithPath: weightsOptions.checkpoint.weights)
            var file = try SafeTensors.read(url)
            file.metadata[ModelCheckpoint.Key.temperature] = String(temperature)
            let record: [String: String] = [
                "fitted_on": source, "views": String(ttaOptions.mode.views.count),
                "nll_before": String(format: "%.4f", before.nll), "nll_after": String(format: "%.4f", after.nll),
                "ece_before": String(format: "%.4f", before.ece), "ece_after": String(format: "%.4f", after.ece),
            ]
            file.metadata[ModelCheckpoint.Key.calibration] = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
            file.metadata[ModelCheckpoint.Key.preprocessing] = String(decoding: try JSONEncoder().encode(classifier.preprocessor), as: UTF8.self)
            let target = out ?? weightsOptions.checkpoint.weights
            try file.write(to: URL(fileURLWithPath: target))
            print(String(format: "temperature %.3f fitted on %@: NLL %.4f → %.4f, ECE %.4f → %.4f; saved in %@",
                         temperature, source, before.nll, after.nll, before.ece, after.ece, target))
        }
    }
}
