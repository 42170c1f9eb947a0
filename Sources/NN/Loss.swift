import Foundation
import Tensor

/// The result of softmax cross-entropy on a batch.
public struct LossResult {
    /// Mean cross-entropy over the batch.
    public var loss: Float
    /// dLoss/dLogits [N, classes] for the mean loss.
    public var gradient: Tensor
    /// Softmax probabilities [N, classes].
    public var probabilities: Tensor
    /// How many rows have their largest logit at the true label.
    public var correct: Int
}

/// Fused softmax + sparse categorical cross-entropy over logits [N, classes] and integer
/// labels, averaged over the batch (Keras's `SparseCategoricalCrossentropy` on softmax output,
/// PyTorch's `cross_entropy`). Computed in a numerically stable way (max subtracted).
public func softmaxCrossEntropy(logits: Tensor, labels: [Int]) -> LossResult {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                 "logits \(logits.shape) do not match \(labels.count) labels")
    let (n, classes) = (logits.shape[0], logits.shape[1])
    let probabilities = softmax(logits)
    var gradient = probabilities
    var total: Double = 0
    var correct = 0
    for row in 0..<n {
        let label = labels[row]
        precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
        let p = probabilities.scalars[row * classes + label]
        total -= Double(log(max(p, Float.leastNormalMagnitude)))
        gradient.scalars[row * classes + label] -= 1
        if argmax(logits.scalars[row * classes ..< (row + 1) * classes]) == label { correct += 1 }
    }
    let scale = 1 / Float(n)
    gradient.scalars.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] *= scale } }
    return LossResult(loss: Float(total / Double(n)), gradient: gradient,
                      probabilities: probabilities, correct: correct)
}

/// Row-wise softmax of logits [N, classes].
public func softmax(_ logits: Tensor) -> Tensor {
    precondition(logits.rank == 2, "softmax expects [N, classes], got \(logits.shape)")
    let classes = logits.shape[1]
    var out = logits
    out.scalars.withUnsafeMutableBufferPointer { p in
        for row in 0..<logits.shape[0] {
            let r = UnsafeMutableBufferPointer(rebasing: p[row * classes ..< (row + 1) * classes])
            let m = r.max() ?? 0
            var sum: Float = 0
            for i in r.indices { r[i] = exp(r[i] - m); sum += r[i] }
            for i in r.indices { r[i] /= sum }
        }
    }
    return out
}

/// The index of the largest element (the first one on ties).
public func argmax<C: Collection>(_ values: C) -> Int where C.Element == Float {
    var best = -Float.infinity, bestIndex = 0
    for (i, v) in values.enumerated() where v > best { best = v; bestIndex = i }
    return bestIndex
}
