import Checkpoint
import Data
import Decoding
import Foundation
import Inference
import Preprocessing
import Similarity
import Tensor

/// The model a service answers with: the classifier (class names, temperature, photo preprocessing)
/// and, when it can embed, the embedder whose vectors a catalogue index holds.
///
/// Unchecked `Sendable`: its layers are shared by every request and only read, since an inference
/// pass writes no state into layers (`ConcurrentInferenceTests`); nothing here changes after loading.
public struct ServingModel: @unchecked Sendable {
    /// The classifier: layers, class names, temperature, preprocessing and photo limits.
    public let classifier: Classifier
    /// The embedder for similarity search (nil when the architecture has no embedding layer).
    public let embedder: Embedder?
    /// The name clients use (KServe's model name), e.g. `seed-cnn`.
    public let name: String
    /// The weights file and its SHA-256 (what a catalogue index records).
    public let weightsPath: String, weightsSHA256: String

    /// The service model for `classifier`, whose weights file at `weightsPath` has SHA-256
    /// `weightsSHA256`; `name` defaults to its architecture's.
    public init(classifier: Classifier, name: String? = nil, weightsPath: String, weightsSHA256: String) {
        self.classifier = classifier
        embedder = try? Embedder(classifier)
        self.name = name ?? classifier.architecture
        self.weightsPath = weightsPath
        self.weightsSHA256 = weightsSHA256
    }

    /// The checkpoint at `url`, made a classifier by `classifier` (default: its own preprocessing,
    /// photos within `limits`).
    public static func load(weights url: URL, name: String? = nil, limits: DecodingLimits = .default,
                            classifier: (ModelCheckpoint) throws -> Classifier = { try Classifier($0) }) throws -> ServingModel {
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch {
            throw ServerError("\(url.path): cannot read the weights (\(error.localizedDescription))")
        }
        let checkpoint = try ModelCheckpoint.load(SafeTensors.parse(bytes, file: url.path), file: url.path,
                                                  defaultClassNames: FashionMNIST.classNames)
        var made = try classifier(checkpoint)
        if limits != .default { made.limits = limits }
        return ServingModel(classifier: made, name: name, weightsPath: url.path, weightsSHA256: SHA256.hex(bytes))
    }

    /// The model input for a photo file's bytes, and the picture of it (what the model sees).
    public func input(photo data: Data) throws -> ModelInput {
        let image = try ImageDecoder.decode(data, limits: classifier.limits, minimumSide: classifier.preprocessor.decodeMinimumSide)
        return classifier.preprocessor(image)
    }

    /// The shape of one input, [C, H, W].
    public var inputShape: [Int] { classifier.geometry.inputShape }

    /// What a batch [n, C, H, W] gives: calibrated probabilities [n, classes] and, with an embedder,
    /// unit embeddings [n, D] from the same pass.
    public func outputs(_ images: Tensor) -> [[Float]] {
        guard let embedder else {
            return [Inference.probabilities(classifier.model, images, temperature: classifier.temperature).scalars]
        }
        let (vectors, probabilities) = embedder.embed(images)
        return [probabilities.scalars, vectors]
    }

    /// The source a catalogue index must record for these weights' vectors to be comparable.
    public var embeddingSource: EmbeddingSource? {
        embedder.map { EmbeddingSource(model: classifier.architecture, weightsSHA256: weightsSHA256, weightsPath: weightsPath,
                                       layer: $0.layer, classNames: classifier.classNames) }
    }
}

/// A service that cannot start as configured; the message says why in one line.
public struct ServerError: Error, CustomStringConvertible {
    /// What is wrong.
    public var description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
