// Convolution kernels: im2col / col2im and the reorderings between the GEMM
// layout and NCHW. Size letters: N batch, C input channels, H×W input size,
// K output channels, R×S kernel size, P×Q output size.

/// The sizes of a 2-D convolution or pooling window over an NCHW input.
public struct ConvGeometry: Hashable, Sendable {
    /// Input channels (C), rows (H) and columns (W).
    public var channels, height, width: Int
    /// Window rows (R) and columns (S).
    public var kernelHeight, kernelWidth: Int
    /// Steps between windows.
    public var strideHeight, strideWidth: Int
    /// Zero rows added above and columns added on the left (bottom/right follow from the output size).
    public var padTop, padLeft: Int
    /// Output rows (P) and columns (Q).
    public var outputHeight, outputWidth: Int

    /// Geometry with explicit padding on each side; output sizes use floor division, as PyTorch and Keras do.
    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int = 1, strideWidth: Int = 1,
                padTop: Int = 0, padBottom: Int = 0, padLeft: Int = 0, padRight: Int = 0) {
        precondition(kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 && strideWidth > 0)
        self.channels = channels; self.height = height; self.width = width
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padTop = padTop; self.padLeft = padLeft
        outputHeight = (height + padTop + padBottom - kernelHeight) / strideHeight + 1
        outputWidth = (width + padLeft + padRight - kernelWidth) / strideWidth + 1
        precondition(outputHeight > 0 && outputWidth > 0,
                     "window \(kernelHeight)×\(kernelWidth) does not fit input \(height)×\(width)")
    }

    /// Elements of one input image (C·H·W).
    public var inputSize: Int { channels * height * width }
    /// Pixels of one output plane (P·Q).
    public var outputPlane: Int { outputHeight * outputWidth }
    /// Rows of the im2col matrix (C·R·S).
    public var patchSize: Int { channels * kernelHeight * kernelWidth }

    /// The output columns q whose input column q·stride − padLeft + s lies inside the image.
    @inline(__always)
    public func validColumns(kernelColumn s: Int) -> Range<Int> {
        let first = s >= padLeft ? 0 : (padLeft - s + strideWidth - 1) / strideWidth
        let last = width - 1 + padLeft - s
        let end = last < 0 ? 0 : min(outputWidth, last / strideWidth + 1)
        return first < end ? first..<end : 0..<0
    }
}

/// Unfolds images `images` of `x` [N, C, H, W] into `col` [C·R·S, n·P·Q], where
/// n = images.count and column j·P·Q + p holds the window of output pixel p of image j.
public func im2col(_ x: UnsafePointer<Float>, images: Range<Int>, geometry g: ConvGeometry,
                   into col: UnsafeMutablePointer<Float>) {
    let columns = images.count * g.outputPlane
    parallelFor(g.patchSize, minimumPerThread: 4) { rows in
        for row in rows {
            let c = row / (g.kernelHeight * g.kernelWidth)
            let r = (row / g.kernelWidth) % g.kernelHeight
            let s = row % g.kernelWidth
            let valid = g.validColumns(kernelColumn: s)
            let qLow = valid.isEmpty ? g.outputWidth : valid.lowerBound
            let qHigh = valid.isEmpty ? g.outputWidth : valid.upperBound
            var out = col + row * columns
            for n in images {
                let plane = x + (n * g.channels + c) * g.height * g.width
                for p in 0..<g.outputHeight {
                    let h = p * g.strideHeight - g.padTop + r
                    if h < 0 || h >= g.height || valid.isEmpty {
                        out.update(repeating: 0, count: g.outputWidth)
                    } else {
                        let line = plane + h * g.width - g.padLeft + s
                        for q in 0..<qLow { out[q] = 0 }
                        if g.strideWidth == 1 {
                            (out + qLow).update(from: line + qLow, count: qHigh - qLow)
                        } else {
                            for q in qLow..<qHigh { out[q] = line[q * g.strideWidth] }
                        }
                        for q in qHigh..<g.outputWidth { out[q] = 0 }
                    }
                    out += g.outputWidth
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds every entry of `col` [C·R·S, n·P·Q] back onto the
/// input position it was read from, into `dx` [N, C, H, W] (which the caller zeroes).
public func col2im(_ col: UnsafePointer<Float>, images: Range<Int>, geometry g: ConvGeometry,
                   into dx: UnsafeMutablePointer<Float>) {
    let columns = images.count * g.outputPlane
    let window = g.kernelHeight * g.kernelWidth
    // Each channel owns its rows of col and its planes of dx, so channels run in parallel.
    parallelFor(g.channels) { channels in
        for c in channels {
            for rs in 0..<window {
                let row = c * window + rs
                let r = rs / g.kernelWidth, s = rs % g.kernelWidth
                let valid = g.validColumns(kernelColumn: s)
                var source = col + row * columns
                for n in images {
                    let plane = dx + (n * g.channels + c) * g.height * g.width
                    for p in 0..<g.outputHeight {
                        let h = p * g.strideHeight - g.padTop + r
                        if h >= 0 && h < g.height {
                            let line = plane + h * g.width - g.padLeft + s
                            if g.strideWidth == 1 {
                                for q in valid { line[q] += source[q] }
                            } else {
                                for q in valid { line[q * g.strideWidth] += source[q] }
                            }
                        }
                        source += g.outputWidth
                    }
                }
            }
        }
    }
}

/// Copies a GEMM result `product` [K, n·P·Q] into `y` [N, K, P, Q] for images
/// `images`, adding `bias[k]` to channel k.
public func scatterChannels(_ product: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                            images: Range<Int>, channels: Int, plane: Int,
                            into y: UnsafeMutablePointer<Float>) {
    let columns = images.count * plane
    parallelFor(channels) { ks in
        for k in ks {
            let b = bias?[k] ?? 0
            for (j, n) in images.enumerated() {
                let source = product + k * columns + j * plane
                let target = y + (n * channels + k) * plane
                for i in 0..<plane { target[i] = source[i] + b }
            }
        }
    }
}

/// Copies `dy` [N, K, P, Q] for images `images` into the GEMM layout `gathered`
/// [K, n·P·Q] and adds each channel's sum to `biasGradient[k]` when given.
public func gatherChannels(_ dy: UnsafePointer<Float>, images: Range<Int>, channels: Int, plane: Int,
                           into gathered: UnsafeMutablePointer<Float>,
                           biasGradient: UnsafeMutablePointer<Float>?) {
    let columns = images.count * plane
    parallelFor(channels) { ks in
        for k in ks {
            var sum: Float = 0
            for (j, n) in images.enumerated() {
                let source = dy + (n * channels + k) * plane
                let target = gathered + k * columns + j * plane
                for i in 0..<plane {
                    target[i] = source[i]
                    sum += source[i]
                }
            }
            biasGradient?[k] += sum
        }
    }
}
