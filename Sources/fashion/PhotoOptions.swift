import ArgumentParser
import Checkpoint
import Data
import Decoding
import Foundation
import Inference
import Preprocessing

extension PreprocessingMethod: ExpressibleByArgument {}
extension ImageFolder.Subset: ExpressibleByArgument {}

/// How photo files become model inputs: preprocessing and the limits on what is decoded.
struct PhotoOptions: ParsableArguments {
    @Option(help: "Photo preprocessing: photo (for real photos), paper (the Fashion-MNIST paper's steps) or letterbox (the whole photo in colour) (default: the checkpoint's, else photo).")
    var preprocessing: PreprocessingMethod?
    @Option(help: ArgumentHelp("Photo pipeline parameters as JSON, replacing the checkpoint's; missing ones take their defaults, e.g. '{\"spreadFactor\": 2}' (names: docs/PHOTOS.md).", valueName: "json"))
    var preprocessingParameters: String?
    @Option(help: "Refuse images of more pixels than this many million (default 40).") var maxMegapixels: Double = 40
    @Option(help: "Refuse files larger than this many MiB (default 64).") var maxFileMib: Int = 64

    func validate() throws {
        if !(maxMegapixels > 0 && maxMegapixels <= 1000) { throw ValidationError("--max-megapixels must be above 0 and at most 1000") }
        if !(1...4096).contains(maxFileMib) { throw ValidationError("--max-file-mib must be between 1 and 4096") }
    }

    /// The decoding limits asked for.
    var limits: DecodingLimits {
        DecodingLimits(maxFileBytes: maxFileMib << 20, maxPixels: Int(maxMegapixels * 1_000_000))
    }

    /// A classifier for `checkpoint` with these options and test-time views.
    func classifier(_ checkpoint: ModelCheckpoint, tta: TestTimeAugmentation = .none) throws -> Classifier {
        var classifier = try Classifier(checkpoint, tta: tta, limits: limits)
        classifier.preprocessor = try preprocessor(startingFrom: classifier.preprocessor)
        return classifier
    }

    /// `base` (the checkpoint's preprocessing, or the default) with these options applied: the
    /// parameters replace it, the method is then set.
    func preprocessor(startingFrom base: Preprocessor = Preprocessor()) throws -> Preprocessor {
        var preprocessor = base
        if let preprocessingParameters {
            guard let parameters = try? JSONDecoder().decode(Preprocessor.self, from: Data(preprocessingParameters.utf8)) else {
                throw UsageError("--preprocessing-parameters: not a JSON object of photo pipeline parameters: \(preprocessingParameters)")
            }
            preprocessor = parameters
        }
        if let preprocessing { preprocessor.method = preprocessing }
        return preprocessor
    }
}

/// Decides when a classification is not good enough to give as a tag.
struct ConfidenceOptions: ParsableArguments {
    @Option(help: "Number of most probable classes to report (default 1).") var top: Int = 1
    @Option(help: "Abstain (no tag, with a reason) when the top probability is below this.") var minConfidence: Float?

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if let minConfidence, !(0...1).contains(minConfidence) { throw ValidationError("--min-confidence must be between 0 and 1") }
    }
}

extension Classification {
    /// "label 0.934", or with more classes "label 0.934 (other 0.041, third 0.012)", plus the abstention.
    var summary: String {
        var text = String(format: "%@ %.3f", label, probability)
        if topK.count > 1 {
            text += " (" + topK.dropFirst().map { String(format: "%@ %.3f", $0.label, $0.probability) }.joined(separator: ", ") + ")"
        }
        if abstained { text += " — abstained: " + (reason ?? "") }
        return text
    }
}
