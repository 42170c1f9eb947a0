import Kernels
import Tensor

/// Rectified linear unit, elementwise: y = max(x, 0).
public final class ReLU: Layer {
    private var output: Tensor?

    /// A ReLU.
    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        var y = x
        y.scalars.withUnsafeMutableBufferPointer { reluForward($0) }
        if phase == .training { output = y }
        return y
    }

    // dx = dy where the output was positive, else 0.
    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        guard let y = output, y.shape == dy.shape else {
            preconditionFailure("ReLU.backward: no matching training forward pass")
        }
        var dx = dy
        dx.scalars.withUnsafeMutableBufferPointer { dp in
            y.scalars.withUnsafeBufferPointer { reluBackward(dp, output: $0) }
        }
        return dx
    }
}

/// Flattens [N, C, H, W] to [N, C·H·W] in channel, row, column order (as `torch.flatten(x, 1)`).
public final class Flatten: Layer {
    private var inputShape: [Int] = []

    /// A flatten layer.
    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] {
        [inputShape[0], inputShape.dropFirst().elementCount]
    }

    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        if phase == .training { inputShape = x.shape }
        return x.reshaped(outputShape(for: x.shape))
    }

    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        dy.reshaped(inputShape)
    }
}

/// Inverted dropout: in training, zeroes each element with probability `rate` and
/// scales the survivors by 1/(1 − rate); at inference it is the identity.
public final class Dropout: Layer {
    /// The probability of dropping an element.
    public let rate: Float
    private var generator: SeededGenerator
    private var mask: [Float] = []

    /// Dropout with the given rate, drawing masks from a generator seeded with `seed`.
    public init(rate: Float, seed: UInt64 = 0) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        self.rate = rate
        generator = SeededGenerator(seed: seed)
    }

    /// Restarts the mask sequence (the trainer reseeds per epoch so a resumed run draws the same masks).
    public func reseed(_ seed: UInt64) { generator = SeededGenerator(seed: seed) }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        guard phase == .training, rate > 0 else { return x }
        let scale = 1 / (1 - rate)
        if mask.count != x.count { mask = [Float](repeating: 0, count: x.count) }
        var y = x
        var local = generator  // a local copy: the loop then keeps the generator's state in registers
        mask.withUnsafeMutableBufferPointer { m in
            y.scalars.withUnsafeMutableBufferPointer { yp in
                for i in m.indices {
                    m[i] = local.nextUnitFloat() >= rate ? scale : 0
                    yp[i] *= m[i]
                }
            }
        }
        generator = local
        return y
    }

    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        guard rate > 0 else { return dy }
        precondition(mask.count == dy.count, "Dropout.backward: no matching training forward pass")
        var dx = dy
        dx.scalars.withUnsafeMutableBufferPointer { dp in
            mask.withUnsafeBufferPointer { multiply(dp, by: $0) }
        }
        return dx
    }
}
