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

/// Class probabilities [n, classes] of `images` [n, C, H, W]: the softmax of the logits divided by
/// `temperature` (calibration; 1 leaves them as trained), averaged over the views of `tta`.
public func probabilities(_ model: any Layer, _ images: Tensor, temperature: Float = 1,
                          tta: TestTimeAugmentation = .none) -> Tensor {
    precondition(temperature > 0, "temperature must be positive")
    func viewProbabilities(_ view: Tensor) -> Tensor {
        var logits = model.forward(view, phase: .inference)
        if temperature != 1 {
            let scale = 1 / temperature
            for i in logits.scalars.indices { logits.scalars[i] *= scale }
        }
        return softmax(logits)
    }
    let views = tta.views
    var result = viewProbabilities(images)
    for view in views.dropFirst() {
        let more = viewProbabilities(TestTimeAugmentation.apply(view, to: images))
        for i in result.scalars.indices { result.scalars[i] += more.scalars[i] }
    }
    if views.count > 1 {
        let scale = 1 / Float(views.count)
        for i in result.scalars.indices { result.scalars[i] *= scale }
    }
    return result
}

/// Runs `model` in inference mode over `set` in batches of `batchSize`. With test-time
/// augmentation (`tta`) each image's class probabilities are the mean over its views; `temperature`
/// divides the logits first (see `probabilities`).
public func predict(_ model: any Layer, on set: ImageSet, batchSize: Int = 256,
                    tta: TestTimeAugmentation = .none, temperature: Float = 1) -> Predictions {
    var result = Predictions(labels: [], predicted: [], confidence: [], loss: 0)
    var totalLoss: Double = 0
    for start in stride(from: 0, to: set.count, by: batchSize) {
        let (images, labels) = set.batch(start..<min(set.count, start + batchSize))
        let probabilities = probabilities(model, images, temperature: temperature, tta: tta)
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
