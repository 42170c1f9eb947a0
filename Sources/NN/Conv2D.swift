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
/// `weight` is [K, C, R, S] (PyTorch layout), `bias` is [K]. Computed as im2col + one
/// GEMM per chunk of images: y[K, n·P·Q] = weight[K, C·R·S] × col[C·R·S, n·P·Q].
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

    /// Upper bound on the im2col workspace (floats): 16 M floats = 64 MB at any batch size.
    var workspaceLimit = 1 << 24
    private var input: Tensor?
    /// True when `workspace` still holds the im2col columns of the whole last training batch.
    private var columnsKept = false
    #if canImport(CDNNL)
    /// oneDNN primitives per input shape (training batch, last partial batch, evaluation batch…).
    private var primitives: [[Int]: DNNLConvolution] = [:]

    private func oneDNN(_ shape: [Int], _ g: ConvGeometry) -> DNNLConvolution {
        if let p = primitives[shape] { return p }
        let p = DNNLConvolution(batch: shape[0], geometry: g, outputChannels: outputChannels, hasBias: bias != nil)
        primitives[shape] = p
        return p
    }
    #endif
    private var workspace: [Float] = []
    private var gathered: [Float] = []

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
        let batch = x.shape[0]
        var y = Tensor.uninitialized([batch, outputChannels, g.outputHeight, g.outputWidth])  // scatterChannels writes all
        #if canImport(CDNNL)
        if ConvolutionBackend.current == .oneDNN {
            let convolution = oneDNN(x.shape, g)
            x.scalars.withUnsafeBufferPointer { xp in
            weight.value.scalars.withUnsafeBufferPointer { wp in
            y.scalars.withUnsafeMutableBufferPointer { yp in
                if let bias {
                    bias.value.scalars.withUnsafeBufferPointer { bp in
                        convolution.forward(x: xp.baseAddress!, weights: wp.baseAddress!, bias: bp.baseAddress!, y: yp.baseAddress!)
                    }
                } else {
                    convolution.forward(x: xp.baseAddress!, weights: wp.baseAddress!, bias: nil, y: yp.baseAddress!)
                }
            }}}
            input = phase == .training ? x : nil
            columnsKept = false
            return y
        }
        #endif
        let chunk = max(1, min(batch, workspaceLimit / (g.patchSize * g.outputPlane)))
        reserve(&workspace, g.patchSize * chunk * g.outputPlane)
        reserve(&gathered, outputChannels * chunk * g.outputPlane)
        x.scalars.withUnsafeBufferPointer { xp in
        weight.value.scalars.withUnsafeBufferPointer { wp in
        workspace.withUnsafeMutableBufferPointer { col in
        gathered.withUnsafeMutableBufferPointer { product in
        y.scalars.withUnsafeMutableBufferPointer { yp in
            for start in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = start..<min(batch, start + chunk)
                let columns = images.count * g.outputPlane
                im2col(xp.baseAddress!, images: images, geometry: g, into: col.baseAddress!)
                // product[K, n·P·Q] = weight[K, C·R·S] × col[C·R·S, n·P·Q]
                sgemm(transposeA: false, transposeB: false, m: outputChannels, n: columns, k: g.patchSize,
                      a: wp.baseAddress!, lda: g.patchSize, b: col.baseAddress!, ldb: columns,
                      beta: 0, c: product.baseAddress!, ldc: columns)
                if let bias {
                    bias.value.scalars.withUnsafeBufferPointer { bp in
                        scatterChannels(product.baseAddress!, bias: bp.baseAddress!, images: images,
                                        channels: outputChannels, plane: g.outputPlane, into: yp.baseAddress!)
                    }
                } else {
                    scatterChannels(product.baseAddress!, bias: nil, images: images,
                                    channels: outputChannels, plane: g.outputPlane, into: yp.baseAddress!)
                }
            }
        }}}}}
        input = phase == .training ? x : nil
        columnsKept = phase == .training && chunk == batch
        return y
    }

    // dy: [N, K, P, Q] → dx: [N, C, H, W]; accumulates dweight and dbias.
    // The im2col columns come from forward when the batch fitted in one chunk, else are recomputed.
    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        guard let x = input else { preconditionFailure("Conv2D.backward without a training forward pass") }
        let g = geometry(for: x.shape)
        let batch = x.shape[0]
        precondition(dy.shape == [batch, outputChannels, g.outputHeight, g.outputWidth],
                     "Conv2D.backward: gradient shape \(dy.shape) does not match the output")
        #if canImport(CDNNL)
        if ConvolutionBackend.current == .oneDNN { return backwardOneDNN(dy, x: x, g: g, needsInputGradient: needsInputGradient) }
        #endif
        var dx = needsInputGradient ? Tensor(shape: x.shape) : Tensor.empty
        var biasGradient = bias?.gradient ?? Tensor.empty
        let chunk = max(1, min(batch, workspaceLimit / (g.patchSize * g.outputPlane)))
        reserve(&workspace, g.patchSize * chunk * g.outputPlane)
        reserve(&gathered, outputChannels * chunk * g.outputPlane)
        x.scalars.withUnsafeBufferPointer { xp in
        dy.scalars.withUnsafeBufferPointer { dyp in
        weight.value.scalars.withUnsafeBufferPointer { wp in
        weight.gradient.scalars.withUnsafeMutableBufferPointer { dwp in
        biasGradient.scalars.withUnsafeMutableBufferPointer { dbp in
        workspace.withUnsafeMutableBufferPointer { col in
        gathered.withUnsafeMutableBufferPointer { dproduct in
        dx.scalars.withUnsafeMutableBufferPointer { dxp in
            for start in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = start..<min(batch, start + chunk)
                let columns = images.count * g.outputPlane
                gatherChannels(dyp.baseAddress!, images: images, channels: outputChannels,
                               plane: g.outputPlane, into: dproduct.baseAddress!,
                               biasGradient: bias == nil ? nil : dbp.baseAddress!)
                if !columnsKept {
                    im2col(xp.baseAddress!, images: images, geometry: g, into: col.baseAddress!)
                }
                // dweight[K, C·R·S] += dproduct[K, n·P·Q] × colᵀ
                sgemm(transposeA: false, transposeB: true, m: outputChannels, n: g.patchSize, k: columns,
                      a: dproduct.baseAddress!, lda: columns, b: col.baseAddress!, ldb: columns,
                      beta: 1, c: dwp.baseAddress!, ldc: g.patchSize)
                if needsInputGradient {
                    // dcol[C·R·S, n·P·Q] = weightᵀ × dproduct, then folded back onto dx.
                    sgemm(transposeA: true, transposeB: false, m: g.patchSize, n: columns, k: outputChannels,
                          a: wp.baseAddress!, lda: g.patchSize, b: dproduct.baseAddress!, ldb: columns,
                          beta: 0, c: col.baseAddress!, ldc: columns)
                    col2im(col.baseAddress!, images: images, geometry: g, into: dxp.baseAddress!)
                }
            }
        }}}}}}}}
        columnsKept = false  // the input-gradient product overwrote them
        if let bias { bias.gradient = biasGradient }
        return dx
    }
}

#if canImport(CDNNL)
extension Conv2D {
    /// Backward through oneDNN: it overwrites its outputs, so the parameter gradients are
    /// computed into scratch tensors and then added to the accumulated ones.
    private func backwardOneDNN(_ dy: Tensor, x: Tensor, g: ConvGeometry, needsInputGradient: Bool) -> Tensor {
        let convolution = oneDNN(x.shape, g)
        var dx = needsInputGradient ? Tensor.uninitialized(x.shape) : Tensor.empty
        var dw = Tensor.uninitialized(weight.value.shape)
        var db = Tensor.uninitialized([outputChannels])
        x.scalars.withUnsafeBufferPointer { xp in
        dy.scalars.withUnsafeBufferPointer { dyp in
        dw.scalars.withUnsafeMutableBufferPointer { dwp in
        db.scalars.withUnsafeMutableBufferPointer { dbp in
            convolution.backwardWeights(x: xp.baseAddress!, dy: dyp.baseAddress!, dw: dwp.baseAddress!,
                                        db: bias == nil ? nil : dbp.baseAddress!)
            if needsInputGradient {
                weight.value.scalars.withUnsafeBufferPointer { wp in
                    dx.scalars.withUnsafeMutableBufferPointer { dxp in
                        convolution.backwardData(dy: dyp.baseAddress!, weights: wp.baseAddress!, dx: dxp.baseAddress!)
                    }
                }
            }
        }}}}
        add(dw, into: weight)
        if let bias { add(db, into: bias) }
        return dx
    }

    private func add(_ gradient: Tensor, into parameter: Parameter) {
        parameter.gradient.scalars.withUnsafeMutableBufferPointer { g in
            gradient.scalars.withUnsafeBufferPointer { d in
                for i in g.indices { g[i] += d[i] }
            }
        }
    }
}
#endif

/// Grows `buffer` to at least `count` elements (workspaces are reused between calls).
@inline(__always)
func reserve(_ buffer: inout [Float], _ count: Int) {
    if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
}
