// Average-pooling kernels over NCHW planes. Size letters as in Convolution.swift.

/// Average-pools `x` [N, C, H, W] into `y` [N, C, P, Q]: each output is the mean of its
/// R×S window (no padding, so every window holds R·S inputs).
public func averagePoolForward(_ x: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                               into y: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width
    let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
    parallelFor(batch * g.channels, minimumPerThread: 8) { planes in
        for plane in planes {
            let input = x + plane * inPlane
            let output = y + plane * g.outputPlane
            for p in 0..<g.outputHeight {
                for q in 0..<g.outputWidth {
                    let corner = input + p * g.strideHeight * g.width + q * g.strideWidth
                    var sum: Float = 0
                    for r in 0..<g.kernelHeight {
                        for s in 0..<g.kernelWidth { sum += corner[r * g.width + s] }
                    }
                    output[p * g.outputWidth + q] = sum * scale
                }
            }
        }
    }
}

/// Spreads each output gradient `dy` [N, C, P, Q] evenly over its window, writing `dx`
/// [N, C, H, W] (zeroed here first; overlapping windows add up).
public func averagePoolBackward(_ dy: UnsafePointer<Float>, batch: Int, geometry g: ConvGeometry,
                                into dx: UnsafeMutablePointer<Float>) {
    let inPlane = g.height * g.width
    let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
    parallelFor(batch * g.channels, minimumPerThread: 8) { planes in
        for plane in planes {
            let target = dx + plane * inPlane
            target.update(repeating: 0, count: inPlane)
            let gradient = dy + plane * g.outputPlane
            for p in 0..<g.outputHeight {
                for q in 0..<g.outputWidth {
                    let share = gradient[p * g.outputWidth + q] * scale
                    let corner = target + p * g.strideHeight * g.width + q * g.strideWidth
                    for r in 0..<g.kernelHeight {
                        for s in 0..<g.kernelWidth { corner[r * g.width + s] += share }
                    }
                }
            }
        }
    }
}

/// The mean of each plane: `x` [planes, HW] → `y` [planes] (planes = N·C).
public func globalAveragePoolForward(_ x: UnsafePointer<Float>, planes: Int, plane: Int,
                                     into y: UnsafeMutablePointer<Float>) {
    parallelFor(planes, minimumPerThread: max(1, (1 << 15) / max(1, plane))) { range in
        for i in range { y[i] = Float(sumOfValues(x + i * plane, plane) / Double(plane)) }
    }
}

/// Spreads `dy` [planes] evenly over each plane: dx [planes, HW] = dy / HW.
public func globalAveragePoolBackward(_ dy: UnsafePointer<Float>, planes: Int, plane: Int,
                                      into dx: UnsafeMutablePointer<Float>) {
    parallelFor(planes, minimumPerThread: max(1, (1 << 15) / max(1, plane))) { range in
        for i in range {
            (dx + i * plane).update(repeating: dy[i] / Float(plane), count: plane)
        }
    }
}
