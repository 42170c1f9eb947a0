import Kernels
import Tensor

/// Max pooling over square windows of NCHW input (floor output size; padded cells never win).
public final class MaxPool2D: Layer {
    /// Window side.
    public let size: Int
    /// Step between windows (defaults to `size`).
    public let stride: Int
    /// Cells added on every side, ignored by the maximum (PyTorch's `padding`).
    public let padding: Int
    private var inputShape: [Int] = []
    private var argmax: [Int32] = []

    /// A `size`×`size` max-pool, stepping by `stride` (default: `size`, as Keras's `MaxPooling2D`),
    /// with `padding` cells on every side (at most half the window, as in PyTorch).
    public init(size: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(size > 0 && (stride ?? size) > 0, "MaxPool2D sizes must be positive")
        precondition(padding >= 0 && 2 * padding <= size, "MaxPool2D padding must be in 0...size/2")
        self.size = size
        self.stride = stride ?? size
        self.padding = padding
    }

    func geometry(for shape: [Int]) -> ConvGeometry {
        precondition(shape.count == 4, "MaxPool2D expects [N, C, H, W], got \(shape)")
        return ConvGeometry(channels: shape[1], height: shape[2], width: shape[3],
                            kernelHeight: size, kernelWidth: size, strideHeight: stride, strideWidth: stride,
                            padTop: padding, padBottom: padding, padLeft: padding, padRight: padding)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(for: inputShape)
        return [inputShape[0], inputShape[1], g.outputHeight, g.outputWidth]
    }

    // x: [N, C, H, W] → y: [N, C, P, Q]
    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        forward(x, phase: phase, rectifying: false)
    }

    /// The forward pass of ReLU followed by this pool when `rectifying` (`Sequential` runs the pair
    /// so): the same output and, through `backward`, the same input gradient, in one pass.
    public func forward(_ x: consuming Tensor, phase: Phase, rectifying: Bool) -> Tensor {
        guard phase == .training else {
            var scratch: [Int32] = []  // inference writes no state of the layer
            return pool(x, rectifying: rectifying, argmax: &scratch)
        }
        inputShape = x.shape
        return pool(x, rectifying: rectifying, argmax: &argmax)
    }

    /// The maxima of x's windows, with where each came from in `argmax` (grown as needed).
    private func pool(_ x: Tensor, rectifying: Bool, argmax: inout [Int32]) -> Tensor {
        let g = geometry(for: x.shape)
        var y = Tensor.uninitialized(outputShape(for: x.shape))  // every window writes its maximum
        if argmax.count < y.count { argmax = [Int32](repeating: 0, count: y.count) }
        x.scalars.withUnsafeBufferPointer { xp in
            y.scalars.withUnsafeMutableBufferPointer { yp in
                argmax.withUnsafeMutableBufferPointer { ap in
                    maxPoolForward(xp.baseAddress!, batch: x.shape[0], geometry: g, rectify: rectifying,
                                   into: yp.baseAddress!, argmax: ap.baseAddress!)
                }
            }
        }
        return y
    }

    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        precondition(!inputShape.isEmpty && dy.shape == outputShape(for: inputShape),
                     "MaxPool2D.backward: gradient shape \(dy.shape) does not match the last forward pass")
        let g = geometry(for: inputShape)
        var dx = Tensor.uninitialized(inputShape)  // maxPoolBackward zeroes each plane first
        dy.scalars.withUnsafeBufferPointer { dyp in
            argmax.withUnsafeBufferPointer { ap in
                dx.scalars.withUnsafeMutableBufferPointer { dxp in
                    maxPoolBackward(dyp.baseAddress!, argmax: ap.baseAddress!, batch: inputShape[0],
                                    geometry: g, into: dxp.baseAddress!)
                }
            }
        }
        return dx
    }
}
