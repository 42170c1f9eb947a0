import Data
import Foundation
import Models
import NN
import Tensor

/// A model's predictions on a set of labelled images.
public struct Predictions {
    /// The true class of each image.
    public var labels: [Int]
    /// The predicted class (largest probability) of each image.
    public var predicted: [Int]
    /// The probability the model gave its prediction.
    public var confidence: [Float]
    /// The mean cross-entropy.
    public var loss: Float

    /// Predictions made elsewhere (tests, other tools).
    public init(labels: [Int], predicted: [Int], confidence: [Float], loss: Float) {
        self.labels = labels
        self.predicted = predicted
        self.confidence = confidence
        self.loss = loss
    }

    /// Fraction of images predicted correctly.
    public var accuracy: Float {
        labels.isEmpty ? 0 : Float(zip(labels, predicted).filter { $0 == $1 }.count) / Float(labels.count)
    }
}

/// The views of each image whose class probabilities `predict` averages (test-time augmentation).
public enum TestTimeAugmentation: CaseIterable, Sendable {
    /// The image alone.
    case none
    /// The image and its mirror image (2 views).
    case flip
    /// The image and its mirror, each as is and moved one pixel left, right, up and down (10 views).
    case flipShift

    /// One view: a fixed choice of the training crop and flip (see `cropped(_:shiftX:shiftY:flip:)`).
    public struct View: Equatable, Sendable {
        /// The crop window's offset from the centred one, in pixels (output x reads x + shiftX).
        public var shiftX: Int
        /// The crop window's vertical offset (output y reads y + shiftY).
        public var shiftY: Int
        /// Mirror left-right after the crop.
        public var flip: Bool
    }

    /// The views, the unchanged image first.
    public var views: [View] {
        let mirrors = self == .none ? [false] : [false, true]
        let moves = self == .flipShift ? [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)] : [(0, 0)]
        return mirrors.flatMap { flip in moves.map { View(shiftX: $0.0, shiftY: $0.1, flip: flip) } }
    }

    /// How evaluation output names it: "" or " (with … TTA)".
    public var label: String {
        switch self {
        case .none: ""
        case .flip: " (with flip TTA)"
        case .flipShift: " (with flip + 1-pixel shift TTA, 10 views)"
        }
    }

    /// `images` as seen in `view`.
    public static func apply(_ view: View, to images: Tensor) -> Tensor {
        cropped(images, shiftX: view.shiftX, shiftY: view.shiftY, flip: view.flip)
    }
}

/// Runs `model` in inference mode over `set` in batches of `batchSize`. With test-time
/// augmentation (`tta`) each image's class probabilities are the mean over its views.
public func predict(_ model: any Layer, on set: ImageSet, batchSize: Int = 256,
                    tta: TestTimeAugmentation = .none) -> Predictions {
    var result = Predictions(labels: [], predicted: [], confidence: [], loss: 0)
    var totalLoss: Double = 0
    let views = tta.views
    for start in stride(from: 0, to: set.count, by: batchSize) {
        let (images, labels) = set.batch(start..<min(set.count, start + batchSize))
        var probabilities = softmax(model.forward(images, phase: .inference))
        for view in views.dropFirst() {
            let more = softmax(model.forward(TestTimeAugmentation.apply(view, to: images), phase: .inference))
            for i in probabilities.scalars.indices { probabilities.scalars[i] += more.scalars[i] }
        }
        if views.count > 1 {
            let scale = 1 / Float(views.count)
            for i in probabilities.scalars.indices { probabilities.scalars[i] *= scale }
        }
        let classes = probabilities.shape[1]
        for (row, label) in labels.enumerated() {
            let p = probabilities.scalars[row * classes ..< (row + 1) * classes]
            let best = argmax(p)
            result.predicted.append(best)
            result.confidence.append(p[p.startIndex + best])
            totalLoss -= Double(log(max(p[p.startIndex + label], Float.leastNormalMagnitude)))
        }
        result.labels += labels
    }
    result.loss = set.count == 0 ? 0 : Float(totalLoss / Double(set.count))
    return result
}

/// Precision, recall and F1 of one class.
public struct ClassReport: Codable, Equatable {
    /// The class name.
    public var name: String
    /// Of the images predicted as this class, the fraction that are.
    public var precision: Double
    /// Of the images of this class, the fraction predicted as it.
    public var recall: Double
    /// Harmonic mean of precision and recall.
    public var f1: Double
    /// Images of this class.
    public var support: Int
}

/// Accuracy, loss, per-class scores and the confusion matrix of a set of predictions.
public struct EvaluationReport: Codable {
    /// Fraction correct.
    public var accuracy: Double
    /// Mean cross-entropy.
    public var loss: Double
    /// One entry per class, in label order.
    public var classes: [ClassReport]
    /// confusion[true][predicted] counts.
    public var confusion: [[Int]]

    /// The report for `predictions` over classes named `classNames`.
    public init(_ predictions: Predictions, classNames: [String]) {
        let k = classNames.count
        var confusion = Array(repeating: Array(repeating: 0, count: k), count: k)
        for (t, p) in zip(predictions.labels, predictions.predicted) { confusion[t][p] += 1 }
        self.confusion = confusion
        accuracy = Double(predictions.accuracy)
        loss = Double(predictions.loss)
        classes = (0..<k).map { c in
            let truePositive = Double(confusion[c][c])
            let predictedCount = Double((0..<k).reduce(0) { $0 + confusion[$1][c] })
            let actualCount = confusion[c].reduce(0, +)
            let precision = predictedCount > 0 ? truePositive / predictedCount : 0
            let recall = actualCount > 0 ? truePositive / Double(actualCount) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return ClassReport(name: classNames[c], precision: precision, recall: recall, f1: f1, support: actualCount)
        }
    }

    /// A plain-text table: accuracy, loss, per-class scores and the confusion matrix.
    public func text() -> String {
        var lines = [String(format: "accuracy %.2f%%   loss %.4f", accuracy * 100, loss), ""]
        let width = max(12, classes.map(\.name.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { padded(s, to: w, alignRight: true) }
        lines.append(pad("class", width) + "  precision  recall     f1  support")
        for c in classes {
            lines.append(pad(c.name, width) + String(format: "  %9.4f  %6.4f  %6.4f  %7d", c.precision, c.recall, c.f1, c.support))
        }
        lines.append("")
        lines.append("confusion matrix (rows = true class, columns = predicted)")
        lines.append(pad("", width) + confusion.indices.map { pad(String($0), 6) }.joined())
        for (i, row) in confusion.enumerated() {
            let label = "\(i) \(classes[i].name)"
            lines.append(padded(label, to: width) + row.map { pad(String($0), 6) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
