// Elementwise kernels, split over threads; the loops are C (CKernels), branch-free and vectorised
// for the CPU at hand (a data-dependent branch per element mispredicts half the time on activations).
import CKernels

/// y[i] = max(x[i], 0), in place.
public func reluForward(_ x: UnsafeMutableBufferPointer<Float>) {
    parallelFor(x.count, minimumPerThread: 1 << 18) { range in
        fashion_relu(x.baseAddress! + range.lowerBound, range.count)
    }
}

/// dx[i] = y[i] > 0 ? dy[i] : 0, in place on `gradient`, where `output` is the ReLU's output.
public func reluBackward(_ gradient: UnsafeMutableBufferPointer<Float>, output: UnsafeBufferPointer<Float>) {
    parallelFor(gradient.count, minimumPerThread: 1 << 18) { range in
        fashion_relu_backward(gradient.baseAddress! + range.lowerBound, output.baseAddress! + range.lowerBound, range.count)
    }
}

/// x[i] *= mask[i], in place.
public func multiply(_ x: UnsafeMutableBufferPointer<Float>, by mask: UnsafeBufferPointer<Float>) {
    guard !x.isEmpty else { return }
    fashion_multiply(x.baseAddress!, mask.baseAddress!, x.count)
}

/// y[i] += x[i], in place on `y` (a residual connection's sum).
public func add(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
    parallelFor(y.count, minimumPerThread: 1 << 18) { range in
        fashion_add(x.baseAddress! + range.lowerBound, y.baseAddress! + range.lowerBound, range.count)
    }
}

/// The instruction set the vectorised loops run with on this CPU, chosen when the program loads:
/// "avx512f", "avx2" or "baseline" (every choice computes the same numbers).
public var elementwiseInstructionSet: String { String(cString: fashion_ckernels_isa()) }
