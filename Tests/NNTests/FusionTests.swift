import NN
import Tensor
import XCTest

/// Layers that `Sequential` runs fused give exactly what running them one by one gives.
final class FusionTests: XCTestCase {
    /// Inputs with negative maxima, ties at zero and between positives, so every case of the
    /// rectified pool (positive winner, no positive value, a tie) occurs.
    private func input(_ shape: [Int], seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        var x = Initializer.uniform(shape: shape, limit: 1, using: &g)
        for i in stride(from: 0, to: x.count, by: 7) { x.scalars[i] = 0 }
        for i in stride(from: 3, to: x.count, by: 11) { x.scalars[i] = 0.5 }
        for i in stride(from: 0, to: x.count, by: 16) { x.scalars[i] = -abs(x.scalars[i]) - 0.1 }
        return x
    }

    /// A ReLU followed by a max-pool (fused) against the same layers chained by hand.
    func testReLUThenMaxPoolMatchesTheLayersOneByOne() {
        for pool in [(size: 2, stride: 2, padding: 0), (size: 3, stride: 2, padding: 1), (size: 2, stride: 1, padding: 0)] {
            let make = { MaxPool2D(size: pool.size, stride: pool.stride, padding: pool.padding) }
            let fused = Sequential([("relu", ReLU()), ("pool", make())])
            XCTAssertEqual(fused.fusedLayerNames, ["relu"])
            let relu = ReLU(), separate = make()
            let x = input([3, 4, 9, 10], seed: UInt64(pool.size * 10 + pool.stride))
            for phase in [Phase.inference, .training] {
                let y = fused.forward(x, phase: phase)
                let expected = separate.forward(relu.forward(x, phase: phase), phase: phase)
                XCTAssertEqual(y.shape, expected.shape)
                XCTAssertEqual(y.scalars, expected.scalars, "pool \(pool), \(phase)")
            }
            let dy = input(fused.outputShape(for: x.shape), seed: 5)
            let dx = fused.backward(dy, needsInputGradient: true)
            let expected = relu.backward(separate.backward(dy, needsInputGradient: true), needsInputGradient: true)
            XCTAssertEqual(dx.scalars, expected.scalars, "pool \(pool)")
            XCTAssertGreaterThan(dx.scalars.filter { $0 != 0 }.count, 0)
        }
    }

    #if canImport(CDNNL)
    /// An int8 convolution, its ReLU and a 2×2 max-pool run as one step (the kernel's NHWC output
    /// pooled straight into NCHW) give what the three give one by one; other pools are not fused.
    func testInt8ConvolutionReLUAndPoolMatchTheLayersOneByOne() {
        checkConvolutionReLUAndPool(int8: true)
    }

    /// The same for fp32: the pool reads the kernel's channel-blocked output (nChw8c or nChw16c,
    /// channels padded to the block) and writes NCHW.
    func testFP32ConvolutionReLUAndPoolMatchTheLayersOneByOne() {
        checkConvolutionReLUAndPool(int8: false)
    }

    private func checkConvolutionReLUAndPool(int8: Bool) {
        var g = SeededGenerator(seed: 12)
        for (height, width, pool, channels) in [(10, 12, MaxPool2D(size: 2), 12), (9, 11, MaxPool2D(size: 2), 1),
                                                (8, 8, MaxPool2D(size: 2), 32), (10, 12, MaxPool2D(size: 3, stride: 2, padding: 1), 3)] {
            let conv = Conv2D(inputChannels: channels, outputChannels: 12, kernelSize: 3, padding: .same, generator: &g)
            conv.bias!.value = Initializer.uniform(shape: [12], limit: 0.2, using: &g)
            var x = Initializer.uniform(shape: [4, channels, height, width], limit: 1, using: &g)
            x.scalars = x.scalars.map(abs)
            if int8 { conv.int8 = Int8Weights(quantizing: conv.weight.value, inputMaximum: 1) }
            let chain = Sequential([("conv", conv), ("relu", ReLU()), ("pool", pool)])
            let y = chain(x)
            let expected = pool.forward(ReLU().forward(conv.forward(x, phase: .inference), phase: .inference), phase: .inference)
            XCTAssertEqual(y.shape, expected.shape)
            XCTAssertEqual(y.scalars, expected.scalars, "\(height)×\(width), pool \(pool.size)/\(pool.stride)")
            XCTAssertGreaterThan(y.scalars.filter { $0 > 0 }.count, y.count / 4)
            XCTAssertGreaterThan(y.scalars.filter { $0 == 0 }.count, 0, "some windows have no positive value")
        }
    }
    #endif

    /// Only a ReLU directly before a max-pool is fused, inside nested chains too.
    func testOnlyAdjacentPairsAreFused() {
        let chain = Sequential([("pool_a", MaxPool2D(size: 2)), ("relu_a", ReLU()), ("flat", Flatten()),
                                ("relu_b", ReLU())])
        XCTAssertEqual(chain.fusedLayerNames, [])
        let twice = Sequential([("r1", ReLU()), ("p1", MaxPool2D(size: 2)), ("r2", ReLU()), ("p2", MaxPool2D(size: 2))])
        XCTAssertEqual(twice.fusedLayerNames, ["r1", "r2"])
        let x = input([2, 3, 8, 8], seed: 9)
        let plain = [ReLU(), MaxPool2D(size: 2), ReLU(), MaxPool2D(size: 2)] as [any Layer]
        let expected = plain.reduce(x) { $1.forward($0, phase: .inference) }
        XCTAssertEqual(twice(x).scalars, expected.scalars)
    }
}
