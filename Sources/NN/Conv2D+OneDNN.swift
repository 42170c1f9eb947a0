#if canImport(CDNNL)
import Kernels
import Tensor

// The oneDNN convolution path (Kernels/DNNL.swift holds the primitives).
extension Conv2D {
    /// The training primitives for inputs of `shape`, made on first use (the training batch and the
    /// last partial batch each get their own).
    private func oneDNN(_ shape: [Int], _ g: ConvGeometry, _ precision: Precision) -> DNNLConvolution {
        let key = shape + [precision == .bf16 ? 1 : 0]
        if let p = primitives[key] { return p }
        let p = DNNLConvolution(batch: shape[0], geometry: g, outputChannels: outputChannels, hasBias: bias != nil,
                                precision: precision)
        primitives[key] = p
        return p
    }

    /// The training pass, on this layer's primitives for the shape.
    func forwardOneDNN(_ x: Tensor, _ g: ConvGeometry, weights: Tensor, precision: Precision) -> Tensor {
        let convolution = oneDNN(x.shape, g, precision)
        return convolve(x, g, weights) { convolution.forward(x: $0, weights: $1, bias: $2, y: $3) }
    }

    /// The inference pass, on a pooled forward-only primitive (no state of this layer is touched).
    func inferOneDNN(_ x: Tensor, _ g: ConvGeometry, weights: Tensor, precision: Precision) -> Tensor {
        convolve(x, g, weights) {
            DNNLInferencePool.shared.forward(batch: x.shape[0], geometry: g, outputChannels: outputChannels, precision: precision,
                                             x: $0, weights: $1, bias: $2, y: $3)
        }
    }

    /// The int8 inference pass, on one of this layer's int8 primitives for the batch size.
    func inferInt8(_ x: Tensor, _ g: ConvGeometry, _ int8: Int8Weights) -> Tensor {
        var y = Tensor.uninitialized([x.shape[0], outputChannels, g.outputHeight, g.outputWidth])
        x.scalars.withUnsafeBufferPointer { xp in
        int8.values.withUnsafeBufferPointer { wp in
        y.scalars.withUnsafeMutableBufferPointer { yp in
        withBias { bp in
            int8Slot.primitives.with(batch: x.shape[0], make: {
                DNNLInt8Primitive(batch: x.shape[0], geometry: g, outputChannels: outputChannels, hasBias: bias != nil, scales: int8.scales)
            }) { $0.forward(x: xp.baseAddress!, weights: wp.baseAddress!, bias: bp, y: yp.baseAddress!) }
        }}}}
        return y
    }

    /// The fp32 inference pass followed by ReLU and a 2×2 max-pool: the pool reads the kernel's
    /// channel-blocked output and writes NCHW (nil when the kernel writes another layout).
    func inferOneDNNPooled(_ x: Tensor, _ g: ConvGeometry) -> Tensor? {
        let n = x.shape[0]
        var y = Tensor.uninitialized([n, outputChannels, g.outputHeight / 2, g.outputWidth / 2])
        let done = x.scalars.withUnsafeBufferPointer { xp in
        weight.value.scalars.withUnsafeBufferPointer { wp in
        y.scalars.withUnsafeMutableBufferPointer { yp in
        withBias { bp in
            DNNLInferencePool.shared.forwardBlocked(batch: n, geometry: g, outputChannels: outputChannels, x: xp.baseAddress!,
                                                    weights: wp.baseAddress!, bias: bp) { blocked, block, padded in
                maxPool2x2RectifiedBlocked(blocked, batch: n, channels: outputChannels, paddedChannels: padded, block: block,
                                           height: g.outputHeight, width: g.outputWidth, into: yp.baseAddress!)
            }
        }}}}
        return done ? y : nil
    }

    /// The int8 inference pass followed by ReLU and a 2×2 max-pool: the kernel writes NHWC and the
    /// pool reads it there, writing NCHW, so the output never goes through a reorder.
    func inferInt8Pooled(_ x: Tensor, _ g: ConvGeometry, _ int8: Int8Weights) -> Tensor {
        let n = x.shape[0], (p, q) = (g.outputHeight, g.outputWidth)
        var nhwc = [Float](repeating: 0, count: n * p * q * outputChannels)
        var y = Tensor.uninitialized([n, outputChannels, p / 2, q / 2])
        x.scalars.withUnsafeBufferPointer { xp in
        int8.values.withUnsafeBufferPointer { wp in
        nhwc.withUnsafeMutableBufferPointer { cp in
        y.scalars.withUnsafeMutableBufferPointer { yp in
        withBias { bp in
            int8Slot.primitives.with(batch: n, nhwc: true, make: {
                DNNLInt8Primitive(batch: n, geometry: g, outputChannels: outputChannels, hasBias: bias != nil, scales: int8.scales,
                                  nhwcOutput: true)
            }) { $0.forward(x: xp.baseAddress!, weights: wp.baseAddress!, bias: bp, y: cp.baseAddress!) }
            maxPool2x2RectifiedBlocked(cp.baseAddress!, batch: n, channels: outputChannels, paddedChannels: outputChannels,
                                       block: outputChannels, height: p, width: q, into: yp.baseAddress!)
        }}}}}
        return y
    }

    /// y [N, K, P, Q] written by `run(x, weight, bias, y)`.
    private func convolve(_ x: Tensor, _ g: ConvGeometry, _ weights: Tensor,
                          _ run: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>) -> Void)
        -> Tensor {
        var y = Tensor.uninitialized([x.shape[0], outputChannels, g.outputHeight, g.outputWidth])
        x.scalars.withUnsafeBufferPointer { xp in
        weights.scalars.withUnsafeBufferPointer { wp in
        y.scalars.withUnsafeMutableBufferPointer { yp in
        withBias { bp in run(xp.baseAddress!, wp.baseAddress!, bp, yp.baseAddress!) }}}}
        return y
    }

    /// oneDNN overwrites its outputs, so the parameter gradients are computed into scratch
    /// tensors and then added to the accumulated ones.
    func backwardOneDNN(_ dy: Tensor, x: Tensor, weights: Tensor, _ g: ConvGeometry, precision: Precision,
                        needsInputGradient: Bool) -> Tensor {
        let convolution = oneDNN(x.shape, g, precision)
        var dx = needsInputGradient ? Tensor.uninitialized(x.shape) : Tensor.empty
        var dw = Tensor.uninitialized(weight.value.shape)
        var db = Tensor.uninitialized([outputChannels])
        x.scalars.withUnsafeBufferPointer { xp in
        dy.scalars.withUnsafeBufferPointer { dyp in
        weights.scalars.withUnsafeBufferPointer { wp in
        dw.scalars.withUnsafeMutableBufferPointer { dwp in
        db.scalars.withUnsafeMutableBufferPointer { dbp in
        dx.scalars.withUnsafeMutableBufferPointer { dxp in
            convolution.backward(x: xp.baseAddress!, dy: dyp.baseAddress!, weights: wp.baseAddress!,
                                 dx: needsInputGradient ? dxp.baseAddress! : nil, dw: dwp.baseAddress!,
                                 db: bias == nil ? nil : dbp.baseAddress!)
        }}}}}}
        accumulate(dw, into: weight)
        if let bias { accumulate(db, into: bias) }
        return dx
    }

    private func accumulate(_ gradient: Tensor, into parameter: Parameter) {
        parameter.gradient.scalars.withUnsafeMutableBufferPointer { g in
            gradient.scalars.withUnsafeBufferPointer { add($0, into: g) }
        }
    }
}
#endif
