import Checkpoint
import Data
import Decoding
import Foundation
import Inference
import NN
import Preprocessing
import Tensor

/// Turns dataset images and photo files into catalogue items with one embedding: a classifier's
/// (vectors, predicted class and probability) or the raw-pixel baseline (vectors only).
public struct CatalogBuilder {
    /// Where vectors come from.
    public enum Embedding {
        /// A model cut at its embedding layer.
        case model(Embedder)
        /// The 28×28 input's pixels as the vector (the baseline); photos use `preprocessor`.
        case pixels(Preprocessor, DecodingLimits)
    }

    /// The embedding used.
    public let embedding: Embedding
    /// What the vectors are, as the index records it.
    public let source: EmbeddingSource

    /// A builder for `embedder`, whose weights file has SHA-256 `weightsSHA256` and is at `weightsPath`.
    public init(_ embedder: Embedder, weightsSHA256: String, weightsPath: String) {
        embedding = .model(embedder)
        source = EmbeddingSource(model: embedder.classifier.architecture, weightsSHA256: weightsSHA256, weightsPath: weightsPath,
                                 layer: embedder.layer, classNames: embedder.classifier.classNames)
    }

    /// The raw-pixel baseline; photos are preprocessed by `preprocessor` within `limits`.
    public init(pixelsWith preprocessor: Preprocessor = Preprocessor(), limits: DecodingLimits = .default) {
        embedding = .pixels(preprocessor, limits)
        source = .pixels
    }

    /// The vector length of 28×28 inputs.
    public var dimension: Int {
        switch embedding {
        case .model(let embedder): embedder.dimension
        case .pixels: 28 * 28
        }
    }

    /// The input shape of one image, [C, H, W], that `items(of:prefix:indices:)` takes.
    public var inputShape: [Int] {
        switch embedding {
        case .model(let embedder): embedder.classifier.geometry.inputShape
        case .pixels: [1, 28, 28]
        }
    }

    /// Items for images `indices` of `set`, named `prefix:index` (e.g. `train:123`); the set's images
    /// must have `inputShape`.
    public func items(of set: ImageSet, prefix: String, indices: Range<Int>) -> [CatalogItem] {
        var items: [CatalogItem] = []
        items.reserveCapacity(indices.count)
        for start in stride(from: indices.lowerBound, to: indices.upperBound, by: 1024) {
            let range = start..<min(indices.upperBound, start + 1024)
            let images = set.batch(range).images
            let rows = vectors(images)
            let pixels = set.height * set.width
            for (row, index) in range.enumerated() {
                let hash = CatalogBuilder.fingerprint(SHA256.digest(Foundation.Data(set.pixels[index * pixels ..< (index + 1) * pixels])))
                items.append(item(id: "\(prefix):\(index)", rows: rows, row: row, hash: hash))
            }
        }
        return items
    }

    /// Items for the photo files `urls`, named by `ids`; files that cannot be read or decoded are
    /// returned with their errors instead. Photos are prepared on all threads.
    public func items(ofPhotos urls: [URL], ids: [String]) -> (items: [CatalogItem], failures: [(id: String, error: any Error)]) {
        let prepared = concurrentMap(urls) { url in Result { try prepare(url) } }
        var good: [(id: String, hash: UInt64, input: ModelInput)] = []
        var failures: [(id: String, error: any Error)] = []
        for (id, result) in zip(ids, prepared) {
            switch result {
            case .success(let value): good.append((id, value.hash, value.input))
            case .failure(let error): failures.append((id, error))
            }
        }
        var items: [CatalogItem] = []
        for start in stride(from: 0, to: good.count, by: 256) {
            let part = good[start..<min(good.count, start + 256)]
            let rows = vectors(Classifier.tensor(part.map(\.input)))
            for (row, entry) in part.enumerated() { items.append(item(id: entry.id, rows: rows, row: row, hash: entry.hash)) }
        }
        return (items, failures)
    }

    /// Unit vectors (n, D) and, with a model, predicted classes and their probabilities, of images [n, 1, 28, 28].
    public func vectors(_ images: Tensor) -> (vectors: [Float], labels: [Int32], probabilities: [Float]) {
        let n = images.shape[0]
        switch embedding {
        case .model(let embedder):
            let (vectors, p) = embedder.embed(images)
            let classes = p.shape[1]
            var labels: [Int32] = [], best: [Float] = []
            for row in 0..<n {
                let scores = p.scalars[row * classes ..< (row + 1) * classes]
                let top = argmax(scores)
                labels.append(Int32(top))
                best.append(scores[scores.startIndex + top])
            }
            return (vectors, labels, best)
        case .pixels:
            return (pixelVectors(images), Array(repeating: -1, count: n), Array(repeating: 0, count: n))
        }
    }

    /// The photo's content fingerprint and model input.
    private func prepare(_ url: URL) throws -> (hash: UInt64, input: ModelInput) {
        switch embedding {
        case .model(let embedder):
            let (sha256, input) = try embedder.classifier.prepared(photoAt: url)
            return (UInt64(sha256.prefix(16), radix: 16)!, input)
        case .pixels(let preprocessor, let limits):
            let data = try ImageDecoder.read(url, limits: limits)
            let image = try ImageDecoder.decode(data, limits: limits, minimumSide: preprocessor.decodeMinimumSide)
            return (CatalogBuilder.fingerprint(SHA256.digest(data)), preprocessor(image))
        }
    }

    private func item(id: String, rows: (vectors: [Float], labels: [Int32], probabilities: [Float]), row: Int, hash: UInt64) -> CatalogItem {
        let d = rows.vectors.count / max(rows.labels.count, 1)
        return CatalogItem(id: id, vector: Array(rows.vectors[row * d ..< (row + 1) * d]), label: rows.labels[row],
                           probability: rows.probabilities[row], contentHash: hash)
    }

    /// The first 8 bytes of a SHA-256 digest as a number (big-endian, as its hex spelling reads).
    static func fingerprint(_ digest: [UInt8]) -> UInt64 {
        digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
