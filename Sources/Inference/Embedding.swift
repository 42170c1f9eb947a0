import Data
import Models
import NN
import Preprocessing
import Tensor

/// Feature vectors for similarity search: a classifier's model cut after its architecture's
/// embedding layer (`Models.Entry.embeddingLayer`), each vector scaled to unit length, with the
/// classifier's calibrated probabilities from the same pass.
public struct Embedder {
    /// The classifier embedded: its model, class names, temperature and photo preprocessing.
    public let classifier: Classifier
    /// The layer whose output is the embedding.
    public let layer: String
    /// The embedding's length D.
    public let dimension: Int
    private let head: Sequential
    private let tail: Sequential

    /// The embedder of `classifier`, cut after its architecture's embedding layer.
    public init(_ classifier: Classifier) throws {
        let entry = try Models.named(classifier.architecture)
        guard let model = classifier.model as? Sequential, let parts = model.split(after: entry.embeddingLayer) else {
            throw InferenceError("model \(classifier.architecture) has no layer '\(entry.embeddingLayer)' to embed with")
        }
        self.classifier = classifier
        layer = entry.embeddingLayer
        head = parts.head
        tail = parts.tail
        let shape = head.outputShape(for: [1] + classifier.geometry.inputShape)
        dimension = shape.dropFirst().reduce(1, *)
    }

    /// One batch: unit embeddings (n, D) row-major and probabilities [n, classes] of images [n, C, H, W].
    public func embed(_ images: Tensor) -> (vectors: [Float], probabilities: Tensor) {
        let features = head.forward(images, phase: .inference)
        let probabilities = Inference.probabilities(tail, features, temperature: classifier.temperature)
        var vectors = features.scalars
        normalizeRows(&vectors, dimension: dimension)
        return (vectors, probabilities)
    }

    /// Embeddings and probabilities of model inputs (preprocessed photos), in batches of 256.
    public func embed(_ inputs: [ModelInput]) -> (vectors: [Float], probabilities: Tensor) {
        batched(count: inputs.count) { range in embed(Classifier.tensor(Array(inputs[range]))) }
    }

    /// Embeddings and probabilities of dataset images, in batches of 256.
    public func embed(_ set: ImageSet) -> (vectors: [Float], probabilities: Tensor) {
        batched(count: set.count) { range in embed(set.batch(range).images) }
    }

    private func batched(count: Int, _ batch: (Range<Int>) -> (vectors: [Float], probabilities: Tensor))
        -> (vectors: [Float], probabilities: Tensor) {
        var vectors: [Float] = [], rows: [Float] = []
        vectors.reserveCapacity(count * dimension)
        for start in stride(from: 0, to: count, by: 256) {
            let part = batch(start..<min(count, start + 256))
            vectors += part.vectors
            rows += part.probabilities.scalars
        }
        return (vectors, Tensor(shape: [count, classifier.classNames.count], scalars: rows))
    }
}

/// Scales each row of `vectors` (rows of `dimension`) to unit Euclidean length; all-zero rows stay zero.
public func normalizeRows(_ vectors: inout [Float], dimension: Int) {
    precondition(dimension > 0 && vectors.count % dimension == 0, "vectors are not rows of \(dimension)")
    for start in stride(from: 0, to: vectors.count, by: dimension) {
        var sum: Float = 0
        for i in start..<start + dimension { sum += vectors[i] * vectors[i] }
        guard sum > 0 else { continue }
        let scale = 1 / sum.squareRoot()
        for i in start..<start + dimension { vectors[i] *= scale }
    }
}

/// The raw-pixel baseline: each image's pixels (in [0, 1]) as one unit vector of H·W values.
public func pixelVectors(_ images: Tensor) -> [Float] {
    var vectors = images.scalars
    normalizeRows(&vectors, dimension: images.shape.dropFirst().reduce(1, *))
    return vectors
}
