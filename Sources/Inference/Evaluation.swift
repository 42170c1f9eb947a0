import Foundation
import Models

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
