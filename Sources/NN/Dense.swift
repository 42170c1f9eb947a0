import Kernels
import Tensor

/// Fully connected layer: y = x · weightᵀ + bias, with `weight` [out, in] as in PyTorch's `Linear`.
public final class Dense: Layer {
    /// Weights [outputFeatures, inputFeatures].
    public let weight: Parameter
    /// Biases [outputFeatures].
    public let bias: Parameter
    public let inputFeatures, outputFeatures: Int
    private var input: Tensor?
    /// With bf16, the last training forward pass's rounded weights, so backward does not round them again.
    private var roundedWeights: Tensor?
    /// The int8 form for inference and its primitives.
    private let int8Slot = Int8Slot()
    /// The int8 form for inference, when the weights came from `fashion quantize` (nil: fp32).
    public var int8: Int8Weights? { get { int8Slot.weights } set { int8Slot.weights = newValue } }

    /// A layer with Glorot-uniform weights and zero biases, as Keras's `Dense`.
    public init(inputFeatures: Int, outputFeatures: Int, generator: inout SeededGenerator) {
        precondition(inputFeatures > 0 && outputFeatures > 0, "Dense sizes must be positive")
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = Parameter(Initializer.glorotUniform(
            shape: [outputFeatures, inputFeatures], fanIn: inputFeatures, fanOut: outputFeatures,
            using: &generator))
        bias = Parameter(Tensor.zeros([outputFeatures]))
    }

    public var parameters: [NamedParameter] { [("weight", weight), ("bias", bias)] }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 2 && inputShape[1] == inputFeatures,
                     "Dense expects [N, \(inputFeatures)], got \(inputShape)")
        return [inputShape[0], outputFeatures]
    }

    // x: [N, in] → y: [N, out]
    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        let n = outputShape(for: x.shape)[0]
        if phase == .inference { Int8Quantization.observe(self, x) }
        #if canImport(CDNNL)
        if phase == .inference, let int8, ConvolutionBackend.current == .oneDNN { return inferInt8(x, int8) }
        #endif
        // bf16: the operands rounded to bf16 values, multiplied by the fp32 kernels.
        let bf16 = Precision.current == .bf16
        let source = bf16 ? x.roundedToBFloat16() : x
        let weights = bf16 ? weight.value.roundedToBFloat16() : weight.value
        // Start from the bias in every row, then add x · weightᵀ.
        var y = Tensor.uninitialized([n, outputFeatures])
        y.scalars.withUnsafeMutableBufferPointer { yp in
            bias.value.scalars.withUnsafeBufferPointer { bp in
                for row in 0..<n { (yp.baseAddress! + row * outputFeatures).update(from: bp.baseAddress!, count: outputFeatures) }
            }
            source.scalars.withUnsafeBufferPointer { xp in
                weights.scalars.withUnsafeBufferPointer { wp in
                    sgemm(transposeA: false, transposeB: true, m: n, n: outputFeatures, k: inputFeatures,
                          a: xp.baseAddress!, lda: inputFeatures, b: wp.baseAddress!, ldb: inputFeatures,
                          beta: 1, c: yp.baseAddress!, ldc: outputFeatures)
                }
            }
        }
        if phase == .training {
            input = source
            roundedWeights = bf16 ? weights : nil
        }
        return y
    }

    #if canImport(CDNNL)
    /// The int8 inference pass: oneDNN's u8·s8 inner product.
    private func inferInt8(_ x: Tensor, _ int8: Int8Weights) -> Tensor {
        let n = x.shape[0]
        var y = Tensor.uninitialized([n, outputFeatures])
        x.scalars.withUnsafeBufferPointer { xp in
        int8.values.withUnsafeBufferPointer { wp in
        bias.value.scalars.withUnsafeBufferPointer { bp in
        y.scalars.withUnsafeMutableBufferPointer { yp in
            int8Slot.primitives.with(batch: n, make: {
                DNNLInt8Primitive(batch: n, inputs: inputFeatures, outputs: outputFeatures, scales: int8.scales)
            }) { $0.forward(x: xp.baseAddress!, weights: wp.baseAddress!, bias: bp.baseAddress!, y: yp.baseAddress!) }
        }}}}
        return y
    }
    #endif

    // dy: [N, out] → dx: [N, in]; dweight += dyᵀ · x, dbias += Σ_n dy.
    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        guard let x = input else { preconditionFailure("Dense.backward without a training forward pass") }
        let n = x.shape[0]
        precondition(dy.shape == [n, outputFeatures], "Dense.backward: gradient shape \(dy.shape) does not match the output")
        let bf16 = Precision.current == .bf16
        let dy = bf16 ? dy.roundedToBFloat16() : dy
        var dx = needsInputGradient ? Tensor(shape: x.shape) : Tensor.empty
        dy.scalars.withUnsafeBufferPointer { dyp in
            x.scalars.withUnsafeBufferPointer { xp in
                weight.gradient.scalars.withUnsafeMutableBufferPointer { dwp in
                    sgemm(transposeA: true, transposeB: false, m: outputFeatures, n: inputFeatures, k: n,
                          a: dyp.baseAddress!, lda: outputFeatures, b: xp.baseAddress!, ldb: inputFeatures,
                          beta: 1, c: dwp.baseAddress!, ldc: inputFeatures)
                }
            }
            bias.gradient.scalars.withUnsafeMutableBufferPointer { dbp in
                for row in 0..<n {
                    for j in 0..<outputFeatures { dbp[j] += dyp[row * outputFeatures + j] }
                }
            }
            if needsInputGradient {
                (bf16 ? roundedWeights ?? weight.value.roundedToBFloat16() : weight.value).scalars.withUnsafeBufferPointer { wp in
                    dx.scalars.withUnsafeMutableBufferPointer { dxp in
                        sgemm(transposeA: false, transposeB: false, m: n, n: inputFeatures, k: outputFeatures,
                              a: dyp.baseAddress!, lda: outputFeatures, b: wp.baseAddress!, ldb: inputFeatures,
                              beta: 0, c: dxp.baseAddress!, ldc: inputFeatures)
                    }
                }
            }
        }
        roundedWeights = nil
        return dx
    }
}
