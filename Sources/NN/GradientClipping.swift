import Foundation
import Kernels

/// Rescales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`, as
/// PyTorch's `torch.nn.utils.clip_grad_norm_` (norm type 2) does, and returns the norm before
/// clipping.
///
/// The norm is √(Σ g²) over every element of every gradient (summed in Double). When
/// maxNorm / (norm + 1e-6) < 1, every gradient is multiplied by that factor; otherwise the
/// gradients are left as they are. A non-finite norm is returned as it is and makes the
/// gradients non-finite too, as in PyTorch.
@discardableResult
public func clipGradientNorm(_ parameters: [NamedParameter], maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "maxNorm must be positive")
    var total: Double = 0
    for (_, parameter) in parameters {
        total += parameter.gradient.scalars.withUnsafeBufferPointer { g in
            g.baseAddress.map { sumOfSquares($0, count: g.count) } ?? 0
        }
    }
    let norm = total.squareRoot()
    let factor = Double(maxNorm) / (norm + 1e-6)
    if !(factor >= 1) {
        for (_, parameter) in parameters {
            parameter.gradient.scalars.withUnsafeMutableBufferPointer { g in
                if let base = g.baseAddress { scale(base, count: g.count, by: Float(factor)) }
            }
        }
    }
    return Float(norm)
}
