import Data
@testable import Inference
import Models
import NN
import Tensor
import XCTest

/// Predictions, test-time views and evaluation reports.
final class PredictionTests: XCTestCase {
    func testEvaluationReportCountsPerClass() {
        let predictions = Predictions(labels: [0, 0, 1, 1, 2], predicted: [0, 1, 1, 1, 0], confidence: [1, 1, 1, 1, 1], loss: 0.5)
        let report = EvaluationReport(predictions, classNames: ["a", "b", "c"])
        XCTAssertEqual(report.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 0]])
        XCTAssertEqual(report.accuracy, 0.6, accuracy: 1e-6)
        XCTAssertEqual(report.classes[0].precision, 0.5, accuracy: 1e-9)
        XCTAssertEqual(report.classes[1].precision, 2.0 / 3.0, accuracy: 1e-9)
        XCTAssertEqual(report.classes[1].recall, 1, accuracy: 1e-9)
        XCTAssertEqual(report.classes[1].f1, 0.8, accuracy: 1e-9)
        XCTAssertEqual(report.classes[2].f1, 0)
    }

    /// The views of each TTA mode: the plain image first, no view twice.
    func testTestTimeAugmentationViews() {
        typealias View = TestTimeAugmentation.View
        XCTAssertEqual(TestTimeAugmentation.none.views, [View(shiftX: 0, shiftY: 0, flip: false)])
        XCTAssertEqual(TestTimeAugmentation.flip.views, [View(shiftX: 0, shiftY: 0, flip: false), View(shiftX: 0, shiftY: 0, flip: true)])
        let ten = TestTimeAugmentation.flipShift.views
        XCTAssertEqual(ten.count, 10)
        XCTAssertEqual(ten.first, View(shiftX: 0, shiftY: 0, flip: false))
        for flip in [false, true] {
            let moves = ten.filter { $0.flip == flip }.map { [$0.shiftX, $0.shiftY] }
            XCTAssertEqual(Set(moves), [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]])
        }
        let images = Tensor(shape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(TestTimeAugmentation.apply(View(shiftX: 1, shiftY: 0, flip: true), to: images).scalars, [0, 3, 2, 0, 6, 5])
        XCTAssertEqual(TestTimeAugmentation.apply(View(shiftX: 0, shiftY: 1, flip: false), to: images).scalars, [4, 5, 6, 0, 0, 0])
    }

    /// One 28×28 image of seeded noise per label.
    func noiseSet(labels: [Int], seed: UInt64) -> ImageSet {
        var g = SeededGenerator(seed: seed)
        let pixels = (0 ..< labels.count * 784).map { _ in UInt8.random(in: 0...255, using: &g) }
        return ImageSet(pixels: pixels, labels: labels, height: 28, width: 28)
    }

    /// `predictions` give, for each image, the class of largest mean probability (`mean[row]`),
    /// that probability as confidence, and the mean cross-entropy of `mean` as loss.
    func assert(_ predictions: Predictions, match mean: [[Float]], labels: [Int],
                file: StaticString = #filePath, line: UInt = #line) {
        var loss = 0.0
        for (row, p) in mean.enumerated() {
            let best = p.indices.max { p[$0] < p[$1] }!
            XCTAssertEqual(predictions.predicted[row], best, file: file, line: line)
            XCTAssertEqual(predictions.confidence[row], p[best], accuracy: 1e-6, file: file, line: line)
            loss -= log(Double(p[labels[row]]))
        }
        XCTAssertEqual(Double(predictions.loss), loss / Double(mean.count), accuracy: 1e-5, file: file, line: line)
    }

    /// Reference view: output (x, y) reads (x′ + shiftX, y + shiftY), x′ mirrored when `flip`; zero outside.
    func referenceView(_ images: Tensor, shiftX: Int, shiftY: Int, flip: Bool) -> Tensor {
        let (n, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        var out: [Float] = []
        for i in 0..<n {
            for c in 0..<channels {
                for y in 0..<height {
                    for x in 0..<width {
                        let u = (flip ? width - 1 - x : x) + shiftX, v = y + shiftY
                        out.append((0..<width).contains(u) && (0..<height).contains(v) ? images[i, c, v, u] : 0)
                    }
                }
            }
        }
        return Tensor(shape: images.shape, scalars: out)
    }

    /// Ten-view TTA: each image's probabilities are the mean over its mirror and 1-pixel shifts.
    func testShiftAveragingAveragesTheTenViews() throws {
        let model = Models.seedCNN(seed: 4)
        let set = noiseSet(labels: [1, 4, 9], seed: 6)
        let (images, labels) = set.batch(0..<3)
        var sum = [Float](repeating: 0, count: 30)
        for flip in [false, true] {
            for (dx, dy) in [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)] {
                let view = referenceView(images, shiftX: dx, shiftY: dy, flip: flip)
                for (i, p) in softmax(model(view)).scalars.enumerated() { sum[i] += p }
            }
        }
        let tta = predict(model, on: set, batchSize: 2, tta: .flipShift)
        assert(tta, match: (0..<3).map { row in (0..<10).map { sum[row * 10 + $0] / 10 } }, labels: labels)
        XCTAssertNotEqual(predict(model, on: set, tta: .flip).confidence, tta.confidence, "the shifted views must change something")
    }

    /// Flip TTA: each image's probabilities are the mean of the image's and its mirror's.
    func testFlipAveragingAveragesTheTwoViews() throws {
        let model = Models.seedCNN(seed: 4)
        let set = noiseSet(labels: [0, 3, 7], seed: 5)
        let (images, labels) = set.batch(0..<3)
        let plain = softmax(model(images)), mirrored = softmax(model(horizontallyFlipped(images)))
        let tta = predict(model, on: set, tta: .flip)
        assert(tta, match: (0..<3).map { row in
            (0..<10).map { 0.5 * (plain.scalars[row * 10 + $0] + mirrored.scalars[row * 10 + $0]) }
        }, labels: labels)
        XCTAssertNotEqual(predict(model, on: set).confidence, tta.confidence, "the mirror view must change something")
    }
}
