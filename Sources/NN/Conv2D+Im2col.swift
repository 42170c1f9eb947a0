import Kernels
import Tensor

// The portable convolution path: im2col + one GEMM per chunk of images,
// y[K, n·P·Q] = weight[K, C·R·S] × col[C·R·S, n·P·Q].
extension Conv2D {
    /// The training pass, in the layer's reused buffers (the columns kept for backward when the batch fits one chunk).
    func forwardIm2col(_ x: Tensor, _ g: ConvGeometry, weights: Tensor) -> Tensor {
        let y = im2colForward(x, g, weights: weights, columns: &workspace, product: &gathered)
        columnsKept = x.shape[0] <= chunkSize(g)
        return y
    }

    /// Images per im2col chunk, so that the columns stay within `workspaceLimit`.
    func chunkSize(_ g: ConvGeometry) -> Int { max(1, workspaceLimit / (g.patchSize * g.outputPlane)) }

    /// y = the convolution of x by `weights` through im2col + GEMM, with `columns` and `product` as workspaces (grown as needed).
    func im2colForward(_ x: Tensor, _ g: ConvGeometry, weights: Tensor, columns workspace: inout [Float],
                       product gathered: inout [Float]) -> Tensor {
        let batch = x.shape[0]
        var y = Tensor.uninitialized([batch, outputChannels, g.outputHeight, g.outputWidth])  // scatterChannels writes all
        let chunk = min(batch, chunkSize(g))
        reserve(&workspace, g.patchSize * chunk * g.outputPlane)
        reserve(&gathered, outputChannels * chunk * g.outputPlane)
        x.scalars.withUnsafeBufferPointer { xp in
        weights.scalars.withUnsafeBufferPointer { wp in
        workspace.withUnsafeMutableBufferPointer { col in
        gathered.withUnsafeMutableBufferPointer { product in
        y.scalars.withUnsafeMutableBufferPointer { yp in
        withBias { bp in
            for start in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = start..<min(batch, start + chunk)
                let columns = images.count * g.outputPlane
                im2col(xp.baseAddress!, images: images, geometry: g, into: col.baseAddress!)
                // product[K, n·P·Q] = weight[K, C·R·S] × col[C·R·S, n·P·Q]
                sgemm(transposeA: false, transposeB: false, m: outputChannels, n: columns, k: g.patchSize,
                      a: wp.baseAddress!, lda: g.patchSize, b: col.baseAddress!, ldb: columns,
                      beta: 0, c: product.baseAddress!, ldc: columns)
                scatterChannels(product.baseAddress!, bias: bp, images: images,
                                channels: outputChannels, plane: g.outputPlane, into: yp.baseAddress!)
            }
        }}}}}}
        return y
    }

    // The im2col columns come from forward when the batch fitted in one chunk, else are recomputed.
    func backwardIm2col(_ dy: Tensor, x: Tensor, weights: Tensor, _ g: ConvGeometry, needsInputGradient: Bool) -> Tensor {
        let batch = x.shape[0]
        var dx = needsInputGradient ? Tensor(shape: x.shape) : Tensor.empty
        var biasGradient = bias?.gradient ?? Tensor.empty
        let chunk = min(batch, chunkSize(g))
        reserve(&workspace, g.patchSize * chunk * g.outputPlane)
        reserve(&gathered, outputChannels * chunk * g.outputPlane)
        x.scalars.withUnsafeBufferPointer { xp in
        dy.scalars.withUnsafeBufferPointer { dyp in
        weights.scalars.withUnsafeBufferPointer { wp in
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

/// Grows `buffer` to at least `count` elements (workspaces are reused between calls).
@inline(__always)
func reserve(_ buffer: inout [Float], _ count: Int) {
    if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
}
