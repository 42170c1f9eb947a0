import Checkpoint
import Inference
import Models
import NN
import Tensor
import TestSupport
import XCTest

final class EmbeddingTests: XCTestCase {
    /// Each architecture cut at its embedding layer: the head's output has the stated size, the
    /// tail applied to it gives the whole model's logits, and embeddings have unit length.
    func testEveryArchitectureSplitsAtItsEmbeddingLayer() throws {
        let sizes = ["seed-cnn": 1024, "resnet20": 64, "resnet20-w2": 128, "vgg-bn": 256, "vgg-bn-gap": 256, "seed-resnet50": 2048]
        var generator = SeededGenerator(seed: 4)
        let x = Tensor(shape: [2, 1, 28, 28], scalars: (0..<2 * 784).map { _ in Float.random(in: 0...1, using: &generator) })
        for entry in Models.all {
            let model = entry.make(3)
            let parts = try XCTUnwrap(model.split(after: entry.embeddingLayer), entry.name)
            let features = parts.head.forward(x, phase: .inference)
            XCTAssertEqual(features.shape, [2, sizes[entry.name]!], entry.name)
            let whole = model.forward(x, phase: .inference)
            XCTAssertTrue(TestSupport.allClose(parts.tail.forward(features, phase: .inference), whole, atol: 1e-5), entry.name)
            XCTAssertEqual(model.parameters.count, parts.head.parameters.count + parts.tail.parameters.count, entry.name)
        }
        XCTAssertNil(Models.seedCNN(seed: 1).split(after: "nope"))
        XCTAssertNil(Models.vggBN(seed: 1, widths: [8], hidden: 8, dropout: 0).split(after: "classifier.9"))
    }

    func testEmbeddingsAreUnitVectorsWithTheClassifiersProbabilities() throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("m.safetensors")
        try ModelCheckpoint.save(Models.vggBN(seed: 2, widths: [32, 64, 128], hidden: 256, dropout: 0.3), architecture: "vgg-bn",
                                 classNames: (0..<10).map { "c\($0)" }, to: url)
        let classifier = try Classifier(ModelCheckpoint.load(url, defaultClassNames: []))
        let embedder = try Embedder(classifier)
        XCTAssertEqual(embedder.dimension, 256)
        var generator = SeededGenerator(seed: 5)
        let x = Tensor(shape: [3, 1, 28, 28], scalars: (0..<3 * 784).map { _ in Float.random(in: 0...1, using: &generator) })
        let (vectors, p) = embedder.embed(x)
        XCTAssertEqual(vectors.count, 3 * 256)
        for row in 0..<3 {
            let norm = vectors[row * 256 ..< (row + 1) * 256].reduce(Float(0)) { $0 + $1 * $1 }
            XCTAssertEqual(norm, 1, accuracy: 1e-4)
        }
        XCTAssertTrue(TestSupport.allClose(p, probabilities(classifier.model, x), atol: 1e-6))
        var zero: [Float] = [0, 0, 3, 4]
        normalizeRows(&zero, dimension: 2)
        XCTAssertEqual(zero, [0, 0, 0.6, 0.8])
    }
}
