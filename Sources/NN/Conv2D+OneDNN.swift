#if canImport(CDNNL)
import Kernels
import Tensor

// The oneDNN convolution path (Tensor/DNNL.swift holds the primitives).
extension Conv2D {
    /// The primitives for inputs of `shape`, made on first use (training batch, last partial
    /// batch, evaluation batch and single images each get their own).
    private func oneDNN(_ shape: [Int], _ g: ConvGeometry) -> DNNLConvolution {
        if let p = primitives[shape] { return p }
        let p = DNNLConvolution(batch: shape[0], geometry: g, outputChannels: outputChannels, hasBias: bias != nil)
        primitives[shape] = p
        return p
    }

    func forwardOneDNN(_ x: Tensor, _ g: ConvGeometry) -> Tensor {
        let convolution = oneDNN(x.shape, g)
        var y = Tensor.uninitialized([x.shape[0], outputChannels, g.outputHeight, g.outputWidth])
        x.scalars.withUnsafeBufferPointer { xp in
        weight.value.scalars.withUnsafeBufferPointer { wp in
        y.scalars.withUnsafeMutableBufferPointer { yp in
        withBias { bp in
            convolution.forward(x: xp.baseAddress!, weights: wp.baseAddress!, bias: bp, y: yp.baseAddress!)
        }}}}
        return y
    }

    /// oneDNN overwrites its outputs, so the parameter gradients are computed into scratch
    /// tensors and then added to the accumulated ones.
    func backwardOneDNN(_ dy: Tensor, x: Tensor, _ g: ConvGeometry, needsInputGradient: Bool) -> Tensor {
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
