import Kernels
import Tensor

/// How a convolution or pooling window treats the border.
public enum Padding: Sendable, Equatable {
    /// No padding: the window stays inside the image.
    case valid
    /// Keras "same": output size = ceil(input / stride); extra padding goes bottom/right.
    case same
    /// The same number of zero rows and columns on every side.
    case explicit(Int)

    /// (before, after) padding along one axis.
    func amounts(input: Int, kernel: Int, stride: Int) -> (Int, Int) {
        switch self {
        case .valid: return (0, 0)
        case .explicit(let p): return (p, p)
        case .same:
            let output = (input + stride - 1) / stride
            let total = max(0, (output - 1) * stride + kernel - input)
            return (total / 2, total - total / 2)
        }
    }
}

/// 2-D convolution over NCHW input: y[n,k] = Σ_c x[n,c] ⋆ weight[k,c] + bias[k].
///
/// `weight` is [K, C, R, S] (PyTorch layout), `bias` is [K]. Computed by oneDNN when the package
/// is built with it (Conv2D+OneDNN.swift), else as im2col + GEMM (Conv2D+Im2col.swift).
public final class Conv2D: Layer {
    /// Kernel [outputChannels, inputChannels, kernelSize, kernelSize].
    public let weight: Parameter
    /// One bias per output channel, or nil.
    public let bias: Parameter?
    /// Step between windows.
    public let stride: Int
    /// Border handling.
    public let padding: Padding

    public let inputChannels, outputChannels, kernelSize: Int

    // Training state: inference passes read the weights only and write nothing here (their oneDNN
    // primitives come from `DNNLInferencePool`, their im2col buffers are their own).
    /// The input of the last training forward pass, for backward.
    private var input: Tensor?
    /// With emulated bf16, that pass's rounded weights, so backward does not round them again.
    private var roundedWeights: Tensor?

    // State of the im2col path (Conv2D+Im2col.swift).
    /// Upper bound on the im2col workspace (floats): 16 M floats = 64 MB at any batch size.
    var workspaceLimit = 1 << 24
    /// im2col columns, reused between calls.
    var workspace: [Float] = []
    /// The GEMM-layout output (forward) or output gradient (backward).
    var gathered: [Float] = []
    /// True when `workspace` still holds the im2col columns of the whole last training batch.
    var columnsKept = false

    /// The int8 form for inference and its primitives.
    let int8Slot = Int8Slot()
    /// The int8 form for inference, when the weights came from `fashion quantize` (nil: fp32).
    public var int8: Int8Weights? { get { int8Slot.weights } set { int8Slot.weights = newValue } }

    #if canImport(CDNNL)
    /// oneDNN primitives per training input shape (Conv2D+OneDNN.swift).
    var primitives: [[Int]: DNNLConvolution] = [:]
    #endif

    /// A convolution with Glorot-uniform weights and zero biases, as Keras's `Conv2D`.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Padding = .valid, useBias: Bool = true, generator: inout SeededGenerator) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0,
                     "Conv2D sizes must be positive")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let area = kernelSize * kernelSize
        weight = Parameter(Initializer.glorotUniform(
            shape: [outputChannels, inputChannels, kernelSize, kernelSize],
            fanIn: inputChannels * area, fanOut: outputChannels * area, using: &generator))
        bias = useBias ? Parameter(Tensor.zeros([outputChannels])) : nil
    }

    public var parameters: [NamedParameter] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// The window geometry for an input of `shape` [N, C, H, W].
    func geometry(for shape: [Int]) -> ConvGeometry {
        precondition(shape.count == 4 && shape[1] == inputChannels,
                     "Conv2D expects [N, \(inputChannels), H, W], got \(shape)")
        let (top, bottom) = padding.amounts(input: shape[2], kernel: kernelSize, stride: stride)
        let (left, right) = padding.amounts(input: shape[3], kernel: kernelSize, stride: stride)
        return ConvGeometry(channels: inputChannels, height: shape[2], width: shape[3],
                            kernelHeight: kernelSize, kernelWidth: kernelSize,
                            strideHeight: stride, strideWidth: stride,
                            padTop: top, padBottom: bottom, padLeft: left, padRight: right)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(for: inputShape)
        return [inputShape[0], outputChannels, g.outputHeight, g.outputWidth]
    }

    // x: [N, C, H, W] → y: [N, K, P, Q]
    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        let g = geometry(for: x.shape)
        let arithmetic = Arithmetic.current
        // bf16 without native kernels: the operands rounded to bf16 values, then the fp32 kernels.
        let source = arithmetic == .roundedBF16 ? x.roundedToBFloat16() : x
        let weights = arithmetic == .roundedBF16 ? weight.value.roundedToBFloat16() : weight.value
        guard phase == .training else {
            Int8Quantization.observe(self, x)
            return infer(source, g, weights, arithmetic)
        }
        columnsKept = false  // forwardIm2col sets it when its columns stay valid for backward
        #if canImport(CDNNL)
        let y = ConvolutionBackend.current == .oneDNN
            ? forwardOneDNN(source, g, weights: weights, precision: arithmetic.kernelPrecision)
            : forwardIm2col(source, g, weights: weights)
        #else
        let y = forwardIm2col(source, g, weights: weights)
        #endif
        input = source
        roundedWeights = arithmetic == .roundedBF16 ? weights : nil
        return y
    }

    /// The inference pass followed by ReLU and `pool`, as one step, when this layer runs on oneDNN
    /// (int8, or fp32) and `pool` is a 2×2 max-pool of stride 2 (nil otherwise: run the three one by one).
    func inferencePooled(_ x: Tensor, by pool: MaxPool2D) -> Tensor? {
        #if canImport(CDNNL)
        guard ConvolutionBackend.current == .oneDNN, pool.size == 2, pool.stride == 2, pool.padding == 0,
              x.rank == 4, x.shape[1] == inputChannels else { return nil }
        Int8Quantization.observe(self, x)
        if let int8 { return inferInt8Pooled(x, geometry(for: x.shape), int8) }
        guard Arithmetic.current == .fp32 else { return nil }
        return inferOneDNNPooled(x, geometry(for: x.shape))
        #else
        return nil
        #endif
    }

    /// The inference pass: reads the weights, writes no state (safe from several threads at once).
    private func infer(_ x: Tensor, _ g: ConvGeometry, _ weights: Tensor, _ arithmetic: Arithmetic) -> Tensor {
        #if canImport(CDNNL)
        if let int8, ConvolutionBackend.current == .oneDNN { return inferInt8(x, g, int8) }
        if ConvolutionBackend.current == .oneDNN {
            return inferOneDNN(x, g, weights: weights, precision: arithmetic.kernelPrecision)
        }
        #endif
        var columns: [Float] = [], product: [Float] = []
        return im2colForward(x, g, weights: weights, columns: &columns, product: &product)
    }

    // dy: [N, K, P, Q] → dx: [N, C, H, W]; accumulates dweight and dbias.
    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        guard let x = input else { preconditionFailure("Conv2D.backward without a training forward pass") }
        let g = geometry(for: x.shape)
        precondition(dy.shape == [x.shape[0], outputChannels, g.outputHeight, g.outputWidth],
                     "Conv2D.backward: gradient shape \(dy.shape) does not match the output")
        let arithmetic = Arithmetic.current
        let gradient = arithmetic == .roundedBF16 ? dy.roundedToBFloat16() : dy
        let weights = arithmetic == .roundedBF16 ? roundedWeights ?? weight.value.roundedToBFloat16() : weight.value
        roundedWeights = nil
        #if canImport(CDNNL)
        if ConvolutionBackend.current == .oneDNN {
            return backwardOneDNN(gradient, x: x, weights: weights, g, precision: arithmetic.kernelPrecision,
                                  needsInputGradient: needsInputGradient)
        }
        #endif
        return backwardIm2col(gradient, x: x, weights: weights, g, needsInputGradient: needsInputGradient)
    }

    /// Calls `body` with the bias values, or nil for a convolution without bias.
    func withBias<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let bias else { return body(nil) }
        return bias.value.scalars.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
