import Kernels
import Tensor

/// A residual block: y = ReLU(body(x) + shortcut(x)), with the identity as the default
/// shortcut — torchvision's `BasicBlock` and `Bottleneck` with their final ReLU.
///
/// Names follow torchvision, so that a block stored as layer "0" of a `Sequential` named
/// "layer1" gets PyTorch's checkpoint keys: the body's names unprefixed (`conv1.weight`,
/// `bn1.running_mean`) and the shortcut's under `downsample.` (`downsample.0.weight`).
public final class Residual: Layer {
    /// The main branch (e.g. conv–BN–ReLU–conv–BN).
    public let body: Sequential
    /// The projection applied to the input before the sum (e.g. 1×1 conv + BN), or nil for the identity.
    public let shortcut: Sequential?
    /// The ReLU after the sum.
    private let relu = ReLU()

    /// A block computing ReLU(body(x) + (shortcut?(x) ?? x)).
    public init(body: Sequential, shortcut: Sequential? = nil) {
        self.body = body
        self.shortcut = shortcut
    }

    public var parameters: [NamedParameter] {
        body.parameters + (shortcut?.parameters ?? []).map { ("downsample.\($0.name)", $0.parameter) }
    }

    public var buffers: [NamedParameter] {
        body.buffers + (shortcut?.buffers ?? []).map { ("downsample.\($0.name)", $0.parameter) }
    }

    public var typeName: String { "Residual" }

    /// Reseeds the body and the shortcut with seeds derived from `seed`, as `Sequential` does for its layers.
    public func reseed(_ seed: UInt64) {
        body.reseed(seed &* 31)
        shortcut?.reseed(seed &* 31 &+ 1)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let bodyShape = body.outputShape(for: inputShape)
        let shortcutShape = shortcut?.outputShape(for: inputShape) ?? inputShape
        precondition(bodyShape == shortcutShape, mismatch(bodyShape, shortcutShape, input: inputShape))
        return bodyShape
    }

    private func mismatch(_ bodyShape: [Int], _ shortcutShape: [Int], input: [Int]) -> String {
        "Residual: for input \(input) the body gives \(bodyShape) but the "
            + (shortcut == nil ? "identity shortcut" : "shortcut") + " gives \(shortcutShape)"
            + (shortcut == nil ? "; add a projection shortcut" : "")
    }

    // x: [N, C, H, W] → y: body's output shape
    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        let inputShape = x.shape
        // Both branches read x: `copy` shares its storage (copy-on-write), it does not copy the data.
        let skip: Tensor
        if let shortcut { skip = shortcut.forward(copy x, phase: phase) } else { skip = copy x }
        var y = body.forward(x, phase: phase)
        precondition(y.shape == skip.shape, mismatch(y.shape, skip.shape, input: inputShape))
        skip.scalars.withUnsafeBufferPointer { sp in
            y.scalars.withUnsafeMutableBufferPointer { add(sp, into: $0) }
        }
        return relu.forward(y, phase: phase)
    }

    /// Routes dy through the ReLU, then through both branches; dx is the sum of their input gradients.
    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        let g = relu.backward(dy, needsInputGradient: true)
        let skipGradient = shortcut?.backward(g, needsInputGradient: needsInputGradient) ?? g
        var dx = body.backward(g, needsInputGradient: needsInputGradient)
        guard needsInputGradient else { return Tensor.empty }
        skipGradient.scalars.withUnsafeBufferPointer { sp in
            dx.scalars.withUnsafeMutableBufferPointer { add(sp, into: $0) }
        }
        return dx
    }
}
