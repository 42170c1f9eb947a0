import Data
import ArgumentParser
import Foundation
import Inference
import Preprocessing

extension Fashion {
    /// `fashion classify`: the class of each photo, one line per image.
    struct Classify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify photos (JPEG, PNG, WebP): one line per image with its label and probability.",
            discussion: "Each photo is decoded, preprocessed into a 28×28 grayscale image as the model was trained on, "
                + "and classified with the checkpoint's calibrated probabilities. A photo that cannot be read gets an "
                + "'Error:' line on stderr; the others are still classified, and the exit status is then 1.")

        @Argument(help: "Photo files.") var images: [String]
        @OptionGroup var checkpoint: CheckpointOptions
        @OptionGroup var confidence: ConfidenceOptions
        @Flag(help: "Print one JSON object per image (path, label, index, probability, top_k, abstained, reason).") var json = false
        @OptionGroup var photo: PhotoOptions
        @OptionGroup var ttaOptions: TTAOptions
        @OptionGroup var threadOptions: ThreadOptions

        func validate() throws {
            if images.isEmpty { throw ValidationError("name at least one photo to classify") }
        }

        func run() throws {
            threadOptions.apply()
            let classifier = try photo.classifier(checkpoint.load(), tta: ttaOptions.mode)
            let files = images.map { URL(fileURLWithPath: $0) }
            let inputs = concurrentMap(files) { file in Result { try classifier.input(photoAt: file) } }
            var good: [(path: String, input: ModelInput)] = []
            var failed = 0
            for (path, result) in zip(images, inputs) {
                switch result {
                case .success(let input): good.append((path, input))
                case .failure(let error):
                    failed += 1
                    FileHandle.standardError.write(Data("Error: \(path): \(error)\n".utf8))
                }
            }
            let results = classifier.classify(good.map(\.input), top: confidence.top, minimumConfidence: confidence.minConfidence)
            for (item, result) in zip(good, results) {
                if json {
                    print(TagFile.line(TagRecord(path: item.path, sha256: nil, classification: result), format: .jsonl), terminator: "")
                } else {
                    print("\(item.path)  \(result.summary)")
                }
            }
            if failed > 0 { throw ExitCode.failure }
        }
    }
}
