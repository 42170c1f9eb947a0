// Batch-normalisation kernels over NCHW tensors. Size letters: N batch, C channels,
// HW pixels per plane, M = N·HW values per channel. Channel c is N runs of HW contiguous
// floats, run n starting at (n·C + c)·HW.
//
// Each thread takes a range of channels and goes through it in blocks of channels whose
// values fill about 256 KB, so a block is still in cache for the second and third passes
// over it (statistics, then the elementwise pass). Within a block the batch is the outer
// loop, so small planes (down to 1×1) are read row by row rather than with a large stride.
// Sums use a two-pass scheme (the mean first, then squares of x − mean): within a run in
// 16 Float lanes, and the runs' sums are added in Double.

/// Batch norm in training: for each channel, the mean and biased variance of `x` over
/// (N, H, W), then y = (x − mean) / √(variance + ε) · weight + bias.
///
/// x, y: [N, C, HW]; weight, bias, mean, variance: [C] (mean and variance are written here).
public func batchNormForwardTraining(_ x: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
                                     weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float,
                                     into y: UnsafeMutablePointer<Float>,
                                     mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
    let count = Double(batch * plane)
    parallelFor(channels, minimumPerThread: channelsPerThread(batch: batch, plane: plane)) { range in
        for block in channelBlocks(range, batch: batch, plane: plane) {
            var sums = [Double](repeating: 0, count: channels)  // indexed by channel; only the block's are used
            for n in 0..<batch {
                for c in block { sums[c] += sumOfValues(x + (n * channels + c) * plane, plane) }
            }
            for c in block { mean[c] = Float(sums[c] / count); sums[c] = 0 }
            for n in 0..<batch {
                for c in block { sums[c] += sumOfSquares(x + (n * channels + c) * plane, plane, around: mean[c]) }
            }
            var scale = [Float](repeating: 0, count: channels)
            for c in block {
                variance[c] = Float(sums[c] / count)
                scale[c] = weight[c] / (variance[c] + epsilon).squareRoot()
            }
            for n in 0..<batch {
                for c in block {
                    let offset = (n * channels + c) * plane
                    normalize(x + offset, plane, mean: mean[c], scale: scale[c], shift: bias[c], into: y + offset)
                }
            }
        }
    }
}

/// Batch norm in inference: y = (x − mean) / √(variance + ε) · weight + bias with the given
/// (running) statistics. x, y: [N, C, HW]; weight, bias, mean, variance: [C].
public func batchNormForwardInference(_ x: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
                                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                      mean: UnsafePointer<Float>, variance: UnsafePointer<Float>, epsilon: Float,
                                      into y: UnsafeMutablePointer<Float>) {
    let scale = (0..<channels).map { weight[$0] / (variance[$0] + epsilon).squareRoot() }
    parallelFor(batch * channels, minimumPerThread: max(1, (1 << 15) / plane)) { runs in
        for run in runs {
            let c = run % channels
            normalize(x + run * plane, plane, mean: mean[c], scale: scale[c], shift: bias[c], into: y + run * plane)
        }
    }
}

/// The batch-norm gradient of a training forward pass that saw `x` and computed `mean` and
/// (biased) `variance`. With s = 1/√(variance + ε), x̂ = (x − mean)·s and M values per channel:
///
///     dbias += Σ dy        dweight += Σ dy·x̂
///     dx = weight·s · (dy − Σ dy / M − x̂ · Σ dy·x̂ / M)
///
/// `gradient` holds dy [N, C, HW] and, when `inputGradient` is true, is overwritten with dx.
/// weight, mean, variance, weightGradient, biasGradient: [C].
public func batchNormBackward(_ gradient: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                              batch: Int, channels: Int, plane: Int, weight: UnsafePointer<Float>,
                              mean: UnsafePointer<Float>, variance: UnsafePointer<Float>, epsilon: Float,
                              weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                              inputGradient: Bool) {
    let count = Double(batch * plane)
    parallelFor(channels, minimumPerThread: channelsPerThread(batch: batch, plane: plane)) { range in
        for block in channelBlocks(range, batch: batch, plane: plane) {
            // Σ dy and Σ dy·(x − mean) per channel (indexed by channel; only the block's are used).
            var sumDy = [Double](repeating: 0, count: channels), sumDyCentered = sumDy
            for n in 0..<batch {
                for c in block {
                    let offset = (n * channels + c) * plane
                    sumDy[c] += sumOfValues(gradient + offset, plane)
                    sumDyCentered[c] += sumOfProducts(gradient + offset, x + offset, plane, around: mean[c])
                }
            }
            // dx = a·dy + b·(x − mean) + d: the formula above with x̂ expanded.
            var a = [Float](repeating: 0, count: channels), b = a, d = a
            for c in block {
                let s = 1 / (variance[c] + epsilon).squareRoot()
                biasGradient[c] += Float(sumDy[c])
                weightGradient[c] += Float(sumDyCentered[c] * Double(s))
                a[c] = weight[c] * s
                b[c] = Float(-Double(a[c]) * Double(s) * Double(s) * sumDyCentered[c] / count)
                d[c] = Float(-Double(a[c]) * sumDy[c] / count)
            }
            guard inputGradient else { continue }
            for n in 0..<batch {
                for c in block {
                    let dy = gradient + (n * channels + c) * plane
                    let input = x + (n * channels + c) * plane
                    let (ac, bc, dc, m) = (a[c], b[c], d[c], mean[c])
                    for i in 0..<plane { dy[i] = ac * dy[i] + bc * (input[i] - m) + dc }
                }
            }
        }
    }
}

/// Enough channels per thread that each thread gets at least ~32 K values (below that,
/// waking a second thread costs more than it saves).
private func channelsPerThread(batch: Int, plane: Int) -> Int {
    max(1, (1 << 15) / max(1, batch * plane))
}

/// `range` cut into blocks of channels holding about 64 K values (256 KB) each; at least one channel per block.
private func channelBlocks(_ range: Range<Int>, batch: Int, plane: Int) -> [Range<Int>] {
    let size = max(1, (1 << 16) / max(1, batch * plane))
    return stride(from: range.lowerBound, to: range.upperBound, by: size).map { $0..<min($0 + size, range.upperBound) }
}

/// y[i] = (x[i] − mean)·scale + shift over one run.
@inline(__always)
private func normalize(_ x: UnsafePointer<Float>, _ count: Int, mean: Float, scale: Float, shift: Float,
                       into y: UnsafeMutablePointer<Float>) {
    for i in 0..<count { y[i] = (x[i] - mean) * scale + shift }
}

/// Lanes of the vector sums below (one AVX-512 register).
private typealias Lanes = SIMD16<Float>

@inline(__always)
private func lanes(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

// Each sum below runs over one run of `count` contiguous values: whole vectors in 16 Float
// partial sums (skipped for runs shorter than a vector, such as 1×1 planes), the rest in Double.

/// Σ x[i].
@inline(__always)
func sumOfValues(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
    var i = 0, result = 0.0
    if count >= Lanes.scalarCount {
        var acc = Lanes()
        while i + Lanes.scalarCount <= count { acc += lanes(x + i); i += Lanes.scalarCount }
        result = Double(acc.sum())
    }
    while i < count { result += Double(x[i]); i += 1 }
    return result
}

/// Σ (x[i] − center)².
@inline(__always)
private func sumOfSquares(_ x: UnsafePointer<Float>, _ count: Int, around center: Float) -> Double {
    var i = 0, result = 0.0
    if count >= Lanes.scalarCount {
        let c = Lanes(repeating: center)
        var acc = Lanes()
        while i + Lanes.scalarCount <= count {
            let d = lanes(x + i) - c
            acc += d * d
            i += Lanes.scalarCount
        }
        result = Double(acc.sum())
    }
    while i < count {
        let d = Double(x[i] - center)
        result += d * d
        i += 1
    }
    return result
}

/// Σ a[i]·(x[i] − center).
@inline(__always)
private func sumOfProducts(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int,
                           around center: Float) -> Double {
    var i = 0, result = 0.0
    if count >= Lanes.scalarCount {
        let c = Lanes(repeating: center)
        var acc = Lanes()
        while i + Lanes.scalarCount <= count {
            acc += lanes(a + i) * (lanes(x + i) - c)
            i += Lanes.scalarCount
        }
        result = Double(acc.sum())
    }
    while i < count {
        result += Double(a[i]) * Double(x[i] - center)
        i += 1
    }
    return result
}
