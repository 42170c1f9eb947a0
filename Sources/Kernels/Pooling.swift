// Max-pooling kernels over NCHW planes. Size letters as in Convolution.swift.

/// Max-pools `x` [N, C, H, W] into `y` [N, C, P, Q], recording in `argmax` the
/// flat input index (within its plane) of each maximum, for the backward pass.
///
/// With `rectify`, computes max-pool(ReLU(x)) — equal to ReLU(max-pool(x)), so one pass over the
/// smaller output instead of a ReLU pass over the input: a maximum that is not positive becomes 0
/// (NaN stays NaN) with argmax −1, which sends it no gradient (as ReLU's backward would not).
public func maxPoolForward(_ x: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry, rectify: Bool = false,
                           into y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
    let inPlane = g.height * g.width
    let isPlain2x2 = g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2
        && g.padTop == 0 && g.padLeft == 0
    parallelFor(batch * g.channels, minimumPerThread: 8) { planes in
        for plane in planes {
            let input = x + plane * inPlane
            let output = y + plane * g.outputPlane
            let index = argmax + plane * g.outputPlane
            if isPlain2x2 {
                if rectify {
                    maxPool2x2(input, width: g.width, rows: g.outputHeight, columns: g.outputWidth, rectify: true,
                               into: output, argmax: index)
                } else {
                    maxPool2x2(input, width: g.width, rows: g.outputHeight, columns: g.outputWidth, rectify: false,
                               into: output, argmax: index)
                }
                continue
            }
            for p in 0..<g.outputHeight {
                for q in 0..<g.outputWidth {
                    var best = -Float.infinity
                    var bestIndex = 0
                    for r in 0..<g.kernelHeight {
                        let h = p * g.strideHeight - g.padTop + r
                        if h < 0 || h >= g.height { continue }
                        for s in 0..<g.kernelWidth {
                            let w = q * g.strideWidth - g.padLeft + s
                            if w < 0 || w >= g.width { continue }
                            let v = input[h * g.width + w]
                            if v > best || (v.isNaN && !best.isNaN) { best = v; bestIndex = h * g.width + w }
                        }
                    }
                    let kept = !rectify || best > 0
                    output[p * g.outputWidth + q] = kept || best.isNaN ? best : 0
                    index[p * g.outputWidth + q] = kept ? Int32(bestIndex) : -1
                }
            }
        }
    }
}

/// Routes each output gradient `dy` [N, C, P, Q] to the input position that won the
/// max, writing `dx` [N, C, H, W] (zeroed here first); an argmax of −1 (a rectified window
/// without a positive value) routes nothing.
public func maxPoolBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, batch: Int,
                            geometry g: ConvGeometry, into dx: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width
    parallelFor(batch * g.channels, minimumPerThread: 8) { planes in
        for plane in planes {
            let target = dx + plane * inPlane
            target.update(repeating: 0, count: inPlane)
            let gradient = dy + plane * g.outputPlane
            let index = argmax + plane * g.outputPlane
            for i in 0..<g.outputPlane where index[i] >= 0 { target[Int(index[i])] += gradient[i] }
        }
    }
}

/// The common 2×2, stride-2 case without padding, branch-free: the first maximum wins ties.
/// `rectify` as in `maxPoolForward` (callers pass a constant, so each variant is specialised).
@inline(__always)
private func maxPool2x2(_ input: UnsafePointer<Float>, width: Int, rows: Int, columns: Int, rectify: Bool,
                        into output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
    for p in 0..<rows {
        let top = input + 2 * p * width
        let bottom = top + width
        for q in 0..<columns {
            let a = top[2 * q], b = top[2 * q + 1], c = bottom[2 * q], d = bottom[2 * q + 1]
            let base = Int32(2 * p * width + 2 * q)
            let upper = b > a ? b : a
            let upperIndex = b > a ? base + 1 : base
            let lower = d > c ? d : c
            let lowerIndex = d > c ? base + Int32(width) + 1 : base + Int32(width)
            let best = lower > upper ? lower : upper
            let bestIndex = lower > upper ? lowerIndex : upperIndex
            if rectify {
                output[p * columns + q] = best > 0 || best.isNaN ? best : 0
                argmax[p * columns + q] = best > 0 ? bestIndex : -1
            } else {
                output[p * columns + q] = best
                argmax[p * columns + q] = bestIndex
            }
        }
    }
}

/// The rectifying 2×2 max-pool (stride 2, floor size) of channel-blocked input x (oneDNN's nChw8c or
/// nChw16c: [N, K/block, H, W, block], K padded to `paddedChannels`; NHWC is one block of all K)
/// written as NCHW y [N, K, H/2, W/2]: ReLU then pool, in the same comparisons as the NCHW kernel,
/// so it gives the same numbers. A convolution's output is pooled where its kernel wrote it, without a reorder.
public func maxPool2x2RectifiedBlocked(_ x: UnsafePointer<Float>, batch: Int, channels: Int, paddedChannels: Int, block: Int,
                                       height: Int, width: Int, into y: UnsafeMutablePointer<Float>) {
    let rows = height / 2, columns = width / 2, plane = rows * columns, blocks = paddedChannels / block
    parallelFor(batch * blocks) { items in
        for item in items {
            let (n, b) = item.quotientAndRemainder(dividingBy: blocks)
            let source = x + item * height * width * block
            let valid = min(block, channels - b * block)
            let out = y + (n * channels + b * block) * plane
            for p in 0..<rows {
                for q in 0..<columns {
                    let a = source + ((2 * p) * width + 2 * q) * block, bb = a + block
                    let c = a + width * block, d = c + block
                    let target = out + p * columns + q
                    for k in 0..<valid {
                        let upper = bb[k] > a[k] ? bb[k] : a[k]
                        let lower = d[k] > c[k] ? d[k] : c[k]
                        let best = lower > upper ? lower : upper
                        target[k * plane] = best > 0 || best.isNaN ? best : 0
                    }
                }
            }
        }
    }
}
