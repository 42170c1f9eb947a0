import Kernels
import NN
import Tensor
import XCTest

/// bf16: operands rounded to bfloat16, sums in fp32; checked against fp32 on the same values.
final class PrecisionTests: XCTestCase {
    override func tearDown() {
        Precision.current = .fp32
        super.tearDown()
    }

    private func rounded(_ values: [Float]) -> [Float] {
        var y = values
        values.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { roundToBFloat16(x, into: $0) } }
        return y
    }

    func testRoundingToNearestEven() {
        let ulp: Float = 1.0 / 128  // bf16 keeps 7 fraction bits
        let cases: [(Float, Float)] = [
            (1, 1), (1 + ulp / 2, 1), (1 + 3 * ulp / 2, 1 + 2 * ulp), (1 + ulp / 2 + ulp / 64, 1 + ulp),
            (-1 - 3 * ulp / 2, -1 - 2 * ulp), (0, 0), (.infinity, .infinity), (-.infinity, -.infinity),
            (Float.greatestFiniteMagnitude, .infinity), (0.1, 0.10009765625),
            (Float(bitPattern: 0x0001_2345), Float(bitPattern: 0x0001_0000)), (Float(bitPattern: 0x0001_8000), Float(bitPattern: 0x0002_0000)),
        ]
        let results = rounded(cases.map(\.0))
        for ((input, expected), result) in zip(cases, results) {
            XCTAssertEqual(result, expected, "\(input)")
        }
        let nan = rounded([.nan, -.nan, Float(bitPattern: 0x7F80_0001)])
        XCTAssertTrue(nan.allSatisfy(\.isNaN))
        var g = SeededGenerator(seed: 1)
        let values = (0..<100_001).map { _ in (g.nextUnitFloat() - 0.5) * 1000 }
        let r = rounded(values)
        XCTAssertTrue(r.allSatisfy { $0.bitPattern & 0xFFFF == 0 })
        XCTAssertTrue(zip(values, r).allSatisfy { abs($0 - $1) <= abs($0) / 256 })
    }

    /// Largest difference relative to the largest magnitude of `reference`.
    private func relativeError(_ a: Tensor, _ reference: Tensor) -> Float {
        let scale = reference.scalars.map(abs).max() ?? 1
        return zip(a.scalars, reference.scalars).map { abs($0 - $1) }.max()! / max(scale, 1e-30)
    }

    private func check(_ layer: some Layer, weights: [Parameter], input: Tensor, outputGradient: Tensor, what: String) {
        // fp32 on the bf16-rounded input and weights (the first parameter; biases stay fp32): what
        // bf16 must compute, up to the order of the sums.
        let saved = weights.map(\.value)
        Precision.current = .fp32
        let exact = layer.forward(input, phase: .training)
        _ = layer.backward(outputGradient, needsInputGradient: true)
        let exactGradients = weights.map(\.gradient)
        layer.zeroGradients()
        weights[0].value = Tensor(shape: saved[0].shape, scalars: rounded(saved[0].scalars))
        let onRounded = layer.forward(Tensor(shape: input.shape, scalars: rounded(input.scalars)), phase: .inference)
        for (w, v) in zip(weights, saved) { w.value = v }

        Precision.current = .bf16
        let y = layer.forward(input, phase: .training)
        let dx = layer.backward(outputGradient, needsInputGradient: true)
        XCTAssertEqual(y.shape, exact.shape)
        XCTAssertLessThan(relativeError(y, onRounded), 1e-5, "\(what): bf16 output vs fp32 on rounded operands")
        let error = relativeError(y, exact)
        XCTAssertGreaterThan(error, 0, "\(what): bf16 changed nothing")
        XCTAssertLessThan(error, 1e-2, "\(what): bf16 output vs fp32")
        for (w, g) in zip(weights, exactGradients) {
            XCTAssertLessThan(relativeError(w.gradient, g), 3e-2, "\(what): bf16 weight gradient vs fp32")
        }
        Precision.current = .fp32
        layer.zeroGradients()
        _ = layer.forward(input, phase: .training)
        let dxExact = layer.backward(outputGradient, needsInputGradient: true)
        XCTAssertLessThan(relativeError(dx, dxExact), 3e-2, "\(what): bf16 input gradient vs fp32")
        XCTAssertTrue(y.scalars.allSatisfy(\.isFinite))
    }

    func testConvolutionOnBothBackends() {
        for backend in [ConvolutionBackend.im2col] + (ConvolutionBackend.isOneDNNAvailable ? [.oneDNN] : []) {
            let saved = ConvolutionBackend.current
            ConvolutionBackend.current = backend
            defer { ConvolutionBackend.current = saved }
            for (channels, kernel) in [(1, 5), (16, 3)] {
                var g = SeededGenerator(seed: UInt64(channels))
                let conv = Conv2D(inputChannels: channels, outputChannels: 16, kernelSize: kernel, padding: .same, generator: &g)
                conv.bias!.value = Initializer.uniform(shape: [16], limit: 0.1, using: &g)
                let x = Initializer.uniform(shape: [4, channels, 12, 12], limit: 1, using: &g)
                let dy = Initializer.uniform(shape: [4, 16, 12, 12], limit: 1, using: &g)
                check(conv, weights: [conv.weight, conv.bias!], input: x, outputGradient: dy, what: "conv \(channels)→16 on \(backend)")
            }
        }
    }

    func testDense() {
        var g = SeededGenerator(seed: 3)
        let dense = Dense(inputFeatures: 300, outputFeatures: 40, generator: &g)
        dense.bias.value = Initializer.uniform(shape: [40], limit: 0.1, using: &g)
        let x = Initializer.uniform(shape: [8, 300], limit: 1, using: &g)
        let dy = Initializer.uniform(shape: [8, 40], limit: 1, using: &g)
        check(dense, weights: [dense.weight, dense.bias], input: x, outputGradient: dy, what: "dense")
    }
}
