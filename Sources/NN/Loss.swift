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
/// PyTorch's `cross_entropy`).
///
/// With `labelSmoothing` ε (PyTorch's `cross_entropy(label_smoothing=ε)`), each row's target is
/// q = (1−ε)·onehot(label) + ε/K over the K classes, so the row's loss is
/// (1−ε)·(−log p_label) + ε·mean_k(−log p_k) and dLoss/dLogits = (p − q)/N. The log-probabilities
/// come from a log-sum-exp in Double with the row's maximum subtracted, so they stay finite even
/// where a probability underflows. `correct` counts argmax hits whatever ε is.
///
/// With `classWeights` w (one per class, PyTorch's `weight=`), row i counts w[label_i] times and
/// the mean is taken over Σ w[label_i] instead of N.
public func softmaxCrossEntropy(logits: Tensor, labels: [Int], labelSmoothing: Float = 0,
                                classWeights: [Float]? = nil) -> LossResult {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                 "logits \(logits.shape) do not match \(labels.count) labels")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "label smoothing \(labelSmoothing) outside [0, 1]")
    let (n, classes) = (logits.shape[0], logits.shape[1])
    let probabilities = softmax(logits)
    var gradient = probabilities
    let epsilon = Double(labelSmoothing)
    let uniformTarget = labelSmoothing / Float(classes)
    precondition(classWeights.map { $0.count == classes && $0.allSatisfy { $0 > 0 } } ?? true, "one positive weight per class")
    var total: Double = 0
    var correct = 0
    var weightSum: Double = 0
    var rowWeights = [Float](repeating: 1, count: n)
    for row in 0..<n {
        let label = labels[row]
        precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
        let weight = classWeights?[label] ?? 1
        rowWeights[row] = weight
        weightSum += Double(weight)
        let z = logits.scalars[row * classes ..< (row + 1) * classes]
        // −log p_k = logSumExp − z_k
        let m = Double(z.max() ?? 0)
        let logSumExp = m + log(z.reduce(0.0) { $0 + exp(Double($1) - m) })
        let meanLogit = z.reduce(0.0) { $0 + Double($1) } / Double(classes)
        let labelLoss = logSumExp - Double(z[z.startIndex + label])
        total += Double(weight) * ((1 - epsilon) * labelLoss + epsilon * (logSumExp - meanLogit))
        // dLoss/dz = p − q
        gradient.scalars[row * classes + label] -= 1 - labelSmoothing
        if labelSmoothing > 0 {
            for k in row * classes ..< (row + 1) * classes { gradient.scalars[k] -= uniformTarget }
        }
        if argmax(z) == label { correct += 1 }
    }
    let scale = 1 / Float(weightSum)
    gradient.scalars.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] *= scale * rowWeights[i / classes] } }
    return LossResult(loss: Float(total / weightSum), gradient: gradient,
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
