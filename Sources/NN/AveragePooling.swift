import Kernels
import Tensor

/// Average pooling over square windows of NCHW input (no padding, floor output size), as
/// PyTorch's `AvgPool2d` without padding: every window averages `size`×`size` inputs.
public final class AvgPool2D: Layer {
    /// Window side.
    public let size: Int
    /// Step between windows (defaults to `size`).
    public let stride: Int
    private var inputShape: [Int] = []

    /// A `size`×`size` average pool, stepping by `stride` (default: `size`).
    public init(size: Int, stride: Int? = nil) {
        precondition(size > 0 && (stride ?? size) > 0, "AvgPool2D sizes must be positive")
        self.size = size
        self.stride = stride ?? size
    }

    func geometry(for shape: [Int]) -> ConvGeometry {
        precondition(shape.count == 4, "AvgPool2D expects [N, C, H, W], got \(shape)")
        return ConvGeometry(channels: shape[1], height: shape[2], width: shape[3],
                            kernelHeight: size, kernelWidth: size, strideHeight: stride, strideWidth: stride)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(for: inputShape)
        return [inputShape[0], inputShape[1], g.outputHeight, g.outputWidth]
    }

    // x: [N, C, H, W] → y: [N, C, P, Q]
    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        let g = geometry(for: x.shape)
        var y = Tensor.uninitialized(outputShape(for: x.shape))  // every window writes its mean
        averagePoolForward(x.scalars, batch: x.shape[0], geometry: g, into: &y.scalars)
        if phase == .training { inputShape = x.shape }
        return y
    }

    // dy: [N, C, P, Q] → dx: [N, C, H, W]
    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        precondition(!inputShape.isEmpty && dy.shape == outputShape(for: inputShape),
                     "AvgPool2D.backward: gradient shape \(dy.shape) does not match the last forward pass")
        guard needsInputGradient else { return Tensor.empty }
        var dx = Tensor.uninitialized(inputShape)  // averagePoolBackward zeroes each plane first
        averagePoolBackward(dy.scalars, batch: inputShape[0], geometry: geometry(for: inputShape), into: &dx.scalars)
        return dx
    }
}

/// The mean of each channel's plane: [N, C, H, W] → [N, C] (PyTorch's
/// `adaptive_avg_pool2d(x, 1)` followed by `flatten(1)`), as at the end of a ResNet.
public final class GlobalAvgPool2D: Layer {
    private var inputShape: [Int] = []

    /// A global average pool.
    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4, "GlobalAvgPool2D expects [N, C, H, W], got \(inputShape)")
        return [inputShape[0], inputShape[1]]
    }

    // x: [N, C, H, W] → y: [N, C]
    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        var y = Tensor.uninitialized(outputShape(for: x.shape))
        globalAveragePoolForward(x.scalars, planes: y.count, plane: x.shape[2] * x.shape[3], into: &y.scalars)
        if phase == .training { inputShape = x.shape }
        return y
    }

    // dy: [N, C] → dx: [N, C, H, W]
    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        precondition(!inputShape.isEmpty && dy.shape == outputShape(for: inputShape),
                     "GlobalAvgPool2D.backward: gradient shape \(dy.shape) does not match the last forward pass")
        guard needsInputGradient else { return Tensor.empty }
        var dx = Tensor.uninitialized(inputShape)  // every plane is filled
        globalAveragePoolBackward(dy.scalars, planes: dy.count, plane: inputShape[2] * inputShape[3],
                                  into: &dx.scalars)
        return dx
    }
}
