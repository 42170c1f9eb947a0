// Elementwise optimiser updates, split over threads (they are memory-bound:
// every parameter, gradient and moment is read and written once per step); the loops themselves
// are C (CKernels), vectorised for the CPU at hand.
import CKernels

/// Adam update in PyTorch's form, for `count` elements:
/// m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p·(1 − lr·wd) − lr·(m/c1) / (√(v/c2) + ε),
/// where c1 = 1 − β1ᵗ and c2 = 1 − β2ᵗ are the bias corrections and wd is AdamW's decoupled
/// weight decay (0 for Adam, which leaves p·1 exact).
public func adamUpdate(parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                       firstMoment m: UnsafeMutablePointer<Float>, secondMoment v: UnsafeMutablePointer<Float>,
                       count: Int, learningRate lr: Float, beta1: Float, beta2: Float, epsilon: Float,
                       correction1: Float, correction2: Float, weightDecay: Float = 0) {
    let stepSize = lr / correction1
    let inverseRootCorrection2 = 1 / correction2.squareRoot()
    let keep = 1 - lr * weightDecay
    parallelFor(count, minimumPerThread: 65_536) { range in
        let i = range.lowerBound
        fashion_adam(p + i, g + i, m + i, v + i, range.count, stepSize, beta1, beta2, inverseRootCorrection2, epsilon, keep)
    }
}

/// SGD in PyTorch's form (dampening 0): with weight decay wd the gradient is d = g + wd·p; with
/// momentum μ > 0 the buffer is b ← μ·b + d (b = d on the first step) and the step direction is
/// b, or d + μ·b with Nesterov momentum; then p ← p − lr·direction. With μ = 0 the buffer is
/// unused and may be nil.
public func sgdUpdate(parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                      momentumBuffer b: UnsafeMutablePointer<Float>?, count: Int,
                      learningRate lr: Float, momentum: Float, firstStep: Bool,
                      weightDecay: Float = 0, nesterov: Bool = false) {
    parallelFor(count, minimumPerThread: 65_536) { range in
        guard let b else {
            for i in range { p[i] -= lr * (g[i] + weightDecay * p[i]) }
            return
        }
        let i = range.lowerBound
        fashion_sgd_momentum(p + i, g + i, b + i, range.count, lr, momentum, firstStep ? 1 : 0, weightDecay, nesterov ? 1 : 0)
    }
}

/// The sum of squares of `count` elements, accumulated in Double (for global gradient norms).
public func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var sum: Double = 0
    for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
    return sum
}

/// x ← factor·x for `count` elements.
public func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
    parallelFor(count, minimumPerThread: 1 << 18) { range in
        for i in range { x[i] *= factor }
    }
}
