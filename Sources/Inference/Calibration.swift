import Data
import Foundation
import NN
import Tensor

/// Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): one number T
/// divides every logit so that the probabilities a model gives match how often it is right, fitted by
/// minimising the negative log-likelihood on held-out images. The predicted class never changes.
public enum Calibration {
    /// The logits of every image of a set in every test-time view, kept so that many temperatures can be tried.
    public struct ViewLogits: Sendable {
        /// One array per view, `count × classes` logits each, images in set order.
        public var views: [[Float]]
        /// Classes per image.
        public var classes: Int
        /// Images.
        public var count: Int

        /// The logits of `set` under `model` in each view of `tta`, in batches of `batchSize`.
        public init(_ model: any Layer, on set: ImageSet, tta: TestTimeAugmentation = .none, batchSize: Int = 256) {
            views = Array(repeating: [], count: tta.views.count)
            classes = 0
            count = set.count
            for start in stride(from: 0, to: set.count, by: batchSize) {
                let (images, _) = set.batch(start..<min(set.count, start + batchSize))
                for (v, view) in tta.views.enumerated() {
                    let logits = model.forward(v == 0 ? images : TestTimeAugmentation.apply(view, to: images), phase: .inference)
                    classes = logits.shape[1]
                    views[v] += logits.scalars
                }
            }
        }

        /// Logits given directly: `views[v]` holds `count × classes` values.
        public init(views: [[Float]], classes: Int) {
            precondition(classes > 0 && views.allSatisfy { $0.count == (views.first?.count ?? 0) && $0.count % classes == 0 })
            self.views = views
            self.classes = classes
            count = (views.first?.count ?? 0) / classes
        }

        /// Probabilities `count × classes` at `temperature`: each view's softmax of logits / T, averaged over views.
        public func probabilities(temperature: Float) -> [Float] {
            var mean = [Float](repeating: 0, count: count * classes)
            let scale = 1 / temperature, share = 1 / Float(views.count)
            for logits in views {
                let p = softmax(Tensor(shape: [count, classes], scalars: logits.map { $0 * scale }))
                for i in mean.indices { mean[i] += share * p.scalars[i] }
            }
            return mean
        }
    }

    /// Mean −log of the probability given to the right answer; `accepted[i]` lists the classes that
    /// count as right for image i (one class for Fashion-MNIST; a group, e.g. the three shoe classes, for photos).
    public static func negativeLogLikelihood(_ probabilities: [Float], classes: Int, accepted: [[Int]]) -> Double {
        guard !accepted.isEmpty else { return 0 }
        var total = 0.0
        for (row, right) in accepted.enumerated() {
            let p = right.reduce(Float(0)) { $0 + probabilities[row * classes + $1] }
            total -= log(Double(max(p, Float.leastNormalMagnitude)))
        }
        return total / Double(accepted.count)
    }

    /// The temperature in [0.05, 20] of least negative log-likelihood (golden-section search on log T).
    public static func fitTemperature(_ logits: ViewLogits, accepted: [[Int]]) -> Float {
        precondition(accepted.count == logits.count, "one list of accepted classes per image")
        func loss(_ logT: Double) -> Double {
            negativeLogLikelihood(logits.probabilities(temperature: Float(exp(logT))), classes: logits.classes, accepted: accepted)
        }
        var low = log(0.05), high = log(20.0)
        let ratio = (5.0.squareRoot() - 1) / 2
        var a = high - ratio * (high - low), b = low + ratio * (high - low)
        var fa = loss(a), fb = loss(b)
        for _ in 0..<40 {
            if fa < fb {
                high = b; b = a; fb = fa
                a = high - ratio * (high - low); fa = loss(a)
            } else {
                low = a; a = b; fa = fb
                b = low + ratio * (high - low); fb = loss(b)
            }
        }
        return Float(exp((low + high) / 2))
    }

    /// Expected calibration error: images binned by confidence into `bins` equal-width bins; the
    /// image-weighted mean over bins of |accuracy − mean confidence|.
    public static func expectedCalibrationError(confidence: [Float], correct: [Bool], bins: Int = 15) -> Double {
        precondition(confidence.count == correct.count && bins > 0)
        guard !confidence.isEmpty else { return 0 }
        var count = [Int](repeating: 0, count: bins), right = [Int](repeating: 0, count: bins)
        var sum = [Double](repeating: 0, count: bins)
        for (p, ok) in zip(confidence, correct) {
            let bin = min(bins - 1, max(0, Int(Double(p) * Double(bins))))
            count[bin] += 1
            sum[bin] += Double(p)
            if ok { right[bin] += 1 }
        }
        var error = 0.0
        for b in 0..<bins where count[b] > 0 {
            error += abs(Double(right[b]) - sum[b]) / Double(confidence.count)
        }
        return error
    }

    /// The confidence (largest probability) and whether the top class is accepted, per image.
    public static func confidenceAndCorrectness(_ probabilities: [Float], classes: Int,
                                                accepted: [[Int]]) -> (confidence: [Float], correct: [Bool]) {
        var confidence: [Float] = [], correct: [Bool] = []
        for (row, right) in accepted.enumerated() {
            let p = probabilities[row * classes ..< (row + 1) * classes]
            let best = argmax(p)
            confidence.append(p[p.startIndex + best])
            correct.append(right.contains(best))
        }
        return (confidence, correct)
    }
}
