// Batch-normalisation kernels over NCHW tensors. Size letters: N batch, C channels,
// HW pixels per plane, M = N·HW values per channel. Channel c is N runs of HW contiguous
// floats, run n starting at (n·C + c)·HW.
//
// Each channel is handled start to finish by one thread (statistics, then the elementwise
// pass), so its values are still in cache for the second and third reads. Sums use a
// two-pass scheme (the mean first, then squares of x − mean) with 16 Float lanes per run,
// and the runs are added in Double.

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
        for c in range {
            var total = 0.0
            for n in 0..<batch { total += sumOfValues(x + (n * channels + c) * plane, plane) }
            let m = Float(total / count)
            var squares = 0.0
            for n in 0..<batch { squares += sumOfSquares(x + (n * channels + c) * plane, plane, around: m) }
            let v = Float(squares / count)
            mean[c] = m
            variance[c] = v
            let scale = weight[c] / (v + epsilon).squareRoot()
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                normalize(x + offset, plane, mean: m, scale: scale, shift: bias[c], into: y + offset)
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
    parallelFor(channels, minimumPerThread: channelsPerThread(batch: batch, plane: plane)) { range in
        for c in range {
            let scale = weight[c] / (variance[c] + epsilon).squareRoot()
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                normalize(x + offset, plane, mean: mean[c], scale: scale, shift: bias[c], into: y + offset)
            }
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
        for c in range {
            let m = mean[c]
            let s = 1 / (variance[c] + epsilon).squareRoot()
            var sumDy = 0.0, sumDyCentered = 0.0  // Σ dy and Σ dy·(x − mean)
            for n in 0..<batch {
                let offset = (n * channels + c) * plane
                sumDy += sumOfValues(gradient + offset, plane)
                sumDyCentered += sumOfProducts(gradient + offset, x + offset, plane, around: m)
            }
            biasGradient[c] += Float(sumDy)
            weightGradient[c] += Float(sumDyCentered * Double(s))
            guard inputGradient else { continue }
            // dx = a·dy + b·(x − mean) + d, the formula above with x̂ expanded.
            let a = weight[c] * s
            let b = Float(-Double(a) * Double(s) * Double(s) * sumDyCentered / count)
            let d = Float(-Double(a) * sumDy / count)
            for n in 0..<batch {
                let dy = gradient + (n * channels + c) * plane
                let input = x + (n * channels + c) * plane
                for i in 0..<plane { dy[i] = a * dy[i] + b * (input[i] - m) + d }
            }
        }
    }
}

/// Enough channels per thread that each thread gets at least ~32 K values (below that,
/// waking a second thread costs more than it saves).
private func channelsPerThread(batch: Int, plane: Int) -> Int {
    max(1, (1 << 15) / max(1, batch * plane))
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

/// The lanes of `v` added in Double.
@inline(__always)
private func laneSum(_ v: Lanes) -> Double {
    var sum = 0.0
    for i in 0..<Lanes.scalarCount { sum += Double(v[i]) }
    return sum
}

/// Σ x[i] over `count` contiguous values: 16 Float partial sums, added in Double.
@inline(__always)
func sumOfValues(_ x: UnsafePointer<Float>, _ count: Int) -> Double {
    let vectorEnd = count - count % Lanes.scalarCount
    var acc = Lanes()
    for i in stride(from: 0, to: vectorEnd, by: Lanes.scalarCount) { acc += lanes(x + i) }
    var result = laneSum(acc)
    for i in vectorEnd..<count { result += Double(x[i]) }
    return result
}

/// Σ (x[i] − center)² over `count` contiguous values.
@inline(__always)
private func sumOfSquares(_ x: UnsafePointer<Float>, _ count: Int, around center: Float) -> Double {
    let vectorEnd = count - count % Lanes.scalarCount
    let c = Lanes(repeating: center)
    var acc = Lanes()
    for i in stride(from: 0, to: vectorEnd, by: Lanes.scalarCount) {
        let d = lanes(x + i) - c
        acc += d * d
    }
    var result = laneSum(acc)
    for i in vectorEnd..<count {
        let d = Double(x[i] - center)
        result += d * d
    }
    return result
}

/// Σ a[i]·(x[i] − center) over `count` contiguous values.
@inline(__always)
private func sumOfProducts(_ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int,
                           around center: Float) -> Double {
    let vectorEnd = count - count % Lanes.scalarCount
    let c = Lanes(repeating: center)
    var acc = Lanes()
    for i in stride(from: 0, to: vectorEnd, by: Lanes.scalarCount) { acc += lanes(a + i) * (lanes(x + i) - c) }
    var result = laneSum(acc)
    for i in vectorEnd..<count { result += Double(a[i]) * Double(x[i] - center) }
    return result
}
