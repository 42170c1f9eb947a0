import NN
import Tensor
import TestSupport
import XCTest

/// Finite-difference checks of batch norm, average pooling and residual blocks.
///
/// As in GradientCheckTests, L(x, θ) = Σ f(x; θ)·r for a fixed random r, and the analytic
/// gradients are compared with central differences (L(v+h) − L(v−h)) / 2h, L summed in
/// Double. Here L is evaluated in the training phase, so batch norm uses the batch
/// statistics whose gradient is being checked (its running statistics change on every
/// evaluation but do not enter a training-phase output).
final class NormalizationGradientTests: XCTestCase {
    func random(_ shape: [Int], seed: UInt64, scale: Float = 1, offset: Float = 0) -> Tensor {
        var g = SeededGenerator(seed: seed)
        var t = Initializer.uniform(shape: shape, limit: scale, using: &g)
        for i in 0..<t.count { t.scalars[i] += offset }
        return t
    }

    /// Checks dL/dx and every parameter gradient of `layer` at `x` with step `h` (L evaluated in training).
    func check(_ layer: any Layer, input x: Tensor, h: Float, tolerance: Float,
               file: StaticString = #filePath, line: UInt = #line) {
        GradientCheck.check(layer, input: x, h: h, tolerance: tolerance, phase: .training, file: file, line: line)
    }

    /// A batch norm with random scales and shifts, so that their gradients are not trivially placed.
    func batchNorm(_ channels: Int, seed: UInt64) -> BatchNorm2D {
        let bn = BatchNorm2D(channels: channels)
        bn.weight.value = random([channels], seed: seed, scale: 0.5, offset: 1)
        bn.bias.value = random([channels], seed: seed + 1)
        return bn
    }

    func conv(_ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, padding: Padding, seed: UInt64) -> Conv2D {
        var g = SeededGenerator(seed: seed)
        return Conv2D(inputChannels: cin, outputChannels: cout, kernelSize: k, stride: stride,
                      padding: padding, useBias: false, generator: &g)
    }

    func testBatchNormTraining() {
        // Channels with a mean away from 0 and a spread away from 1.
        check(batchNorm(2, seed: 1), input: random([3, 2, 3, 3], seed: 2, scale: 3, offset: 1.5),
              h: 1e-2, tolerance: 5e-3)
    }

    func testBatchNormTrainingOnOnePixelPlanes() {
        check(batchNorm(3, seed: 3), input: random([5, 3, 1, 1], seed: 4, scale: 2, offset: -1),
              h: 1e-2, tolerance: 5e-3)
    }

    func testBatchNormInputGradientSumsToZeroPerChannel() {
        // Shifting a whole channel of x does not change y, so Σ dx over a channel is 0.
        let bn = batchNorm(4, seed: 5)
        _ = bn.forward(random([6, 4, 5, 5], seed: 6, scale: 2, offset: 3), phase: .training)
        let dx = bn.backward(random([6, 4, 5, 5], seed: 7), needsInputGradient: true)
        for c in 0..<4 {
            var sum = 0.0
            for n in 0..<6 { for i in 0..<25 { sum += Double(dx.scalars[(n * 4 + c) * 25 + i]) } }
            XCTAssertEqual(sum, 0, accuracy: 1e-4, "channel \(c)")
        }
    }

    /// Batch norm y, dx, dγ, dβ computed plainly in Double from the same Float inputs.
    func referenceBatchNorm(x: Tensor, dy: Tensor, weight: Tensor, bias: Tensor, epsilon: Double)
        -> (y: [Double], dx: [Double], dweight: [Double], dbias: [Double]) {
        let (batch, channels, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let count = Double(batch * plane)
        var y = [Double](repeating: 0, count: x.count), dx = y
        var dweight = [Double](repeating: 0, count: channels), dbias = dweight
        for c in 0..<channels {
            let indices = (0..<batch).flatMap { n -> Range<Int> in
                let start = (n * channels + c) * plane
                return start..<(start + plane)
            }
            let values = indices.map { Double(x.scalars[$0]) }
            let mean = values.reduce(0, +) / count
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / count
            let s = 1 / (variance + epsilon).squareRoot()
            let gamma = Double(weight.scalars[c])
            for i in indices {
                let xHat = (Double(x.scalars[i]) - mean) * s
                y[i] = xHat * gamma + Double(bias.scalars[c])
                dbias[c] += Double(dy.scalars[i])
                dweight[c] += Double(dy.scalars[i]) * xHat
            }
            for i in indices {
                let xHat = (Double(x.scalars[i]) - mean) * s
                dx[i] = gamma * s * (Double(dy.scalars[i]) - dbias[c] / count - xHat * dweight[c] / count)
            }
        }
        return (y, dx, dweight, dbias)
    }

    func assertClose(_ a: Tensor, _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let scale = max(1, b.map(abs).max() ?? 0)
        let worst = zip(a.scalars, b).map { abs(Double($0) - $1) / (abs($1) + scale) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-5, what, file: file, line: line)
    }

    /// Shapes large enough that the kernels split the channels over threads, with planes of
    /// 16×16 (whole vectors), 7×7 (a tail) and 1×1, and channel means far from 0.
    func testBatchNormMatchesDoubleReferenceOnLargeShapes() {
        for shape in [[8, 64, 16, 16], [32, 96, 7, 7], [256, 256, 1, 1]] {
            let channels = shape[1]
            let bn = batchNorm(channels, seed: 20)
            let x = random(shape, seed: 21, scale: 2, offset: 100)
            let dy = random(shape, seed: 22)
            let expected = referenceBatchNorm(x: x, dy: dy, weight: bn.weight.value, bias: bn.bias.value, epsilon: 1e-5)
            assertClose(bn.forward(x, phase: .training), expected.y, "y \(shape)")
            assertClose(bn.backward(dy, needsInputGradient: true), expected.dx, "dx \(shape)")
            assertClose(bn.weight.gradient, expected.dweight, "dweight \(shape)")
            assertClose(bn.bias.gradient, expected.dbias, "dbias \(shape)")
        }
    }

    func testGlobalAvgPoolMatchesDoubleReferenceOnLargeShapes() {
        for shape in [[64, 64, 7, 7], [32, 128, 2, 2]] {
            let x = random(shape, seed: 23)
            let plane = shape[2] * shape[3]
            let expected = (0..<(shape[0] * shape[1])).map { i in
                x.scalars[(i * plane)..<((i + 1) * plane)].reduce(0.0) { $0 + Double($1) } / Double(plane)
            }
            assertClose(GlobalAvgPool2D().forward(x, phase: .inference), expected, "y \(shape)")
        }
    }

    func testAvgPool() { check(AvgPool2D(size: 2), input: random([2, 3, 6, 7], seed: 8), h: 1e-2, tolerance: 2e-3) }
    func testAvgPoolOverlapping() {
        check(AvgPool2D(size: 3, stride: 2), input: random([1, 2, 7, 7], seed: 9), h: 1e-2, tolerance: 2e-3)
    }
    func testGlobalAvgPool() { check(GlobalAvgPool2D(), input: random([2, 3, 4, 5], seed: 10), h: 1e-2, tolerance: 2e-3) }

    /// conv3×3–BN–ReLU–conv3×3–BN from `cin` to `cout` channels, the first conv with `stride`.
    func basicBody(_ cin: Int, _ cout: Int, stride: Int) -> Sequential {
        Sequential([
            ("conv1", conv(cin, cout, 3, stride: stride, padding: .explicit(1), seed: 11)),
            ("bn1", batchNorm(cout, seed: 12)),
            ("relu", ReLU()),
            ("conv2", conv(cout, cout, 3, padding: .explicit(1), seed: 13)),
            ("bn2", batchNorm(cout, seed: 14)),
        ])
    }

    func testResidualWithIdentityShortcut() {
        let block = Residual(body: basicBody(2, 2, stride: 1))
        // ReLUs inside: a small step is less likely to cross a kink.
        check(block, input: random([2, 2, 4, 4], seed: 15), h: 1e-3, tolerance: 1e-2)
    }

    func testResidualWithProjectionShortcut() {
        let shortcut = Sequential([
            ("0", conv(2, 3, 1, stride: 2, padding: .valid, seed: 16)),
            ("1", batchNorm(3, seed: 17)),
        ])
        let block = Residual(body: basicBody(2, 3, stride: 2), shortcut: shortcut)
        XCTAssertEqual(block.outputShape(for: [2, 2, 5, 5]), [2, 3, 3, 3])
        check(block, input: random([2, 2, 5, 5], seed: 18), h: 1e-3, tolerance: 1e-2)
    }
}
