import Kernels
import NN
import Tensor
import TestSupport
import XCTest

/// oneDNN and the portable im2col path agree, including cases the PyTorch fixtures do not cover.
final class ConvBackendTests: XCTestCase {
    func run(_ backend: ConvolutionBackend, useBias: Bool, stride: Int, padding: Padding, input: [Int])
        -> (Tensor, Tensor, Tensor) {
        let saved = ConvolutionBackend.current
        ConvolutionBackend.current = backend
        defer { ConvolutionBackend.current = saved }
        var g = SeededGenerator(seed: 21)
        let conv = Conv2D(inputChannels: input[1], outputChannels: 5, kernelSize: 3, stride: stride,
                          padding: padding, useBias: useBias, generator: &g)
        let x = Initializer.uniform(shape: input, limit: 1, using: &g)
        let y = conv.forward(x, phase: .training)
        let dy = Initializer.uniform(shape: y.shape, limit: 1, using: &g)
        let dx = conv.backward(dy, needsInputGradient: true)
        return (y, dx, conv.weight.gradient)
    }

    func testBackendsAgreeWithoutBiasAndWithAsymmetricPadding() throws {
        try XCTSkipUnless(ConvolutionBackend.isOneDNNAvailable, "built without oneDNN")
        for (useBias, stride, padding, input) in [(false, 1, Padding.same, [2, 3, 7, 7]),
                                                  (false, 2, .same, [3, 4, 8, 6]),
                                                  (true, 2, .valid, [1, 2, 9, 9])] {
            let a = run(.im2col, useBias: useBias, stride: stride, padding: padding, input: input)
            let b = run(.oneDNN, useBias: useBias, stride: stride, padding: padding, input: input)
            XCTAssertLessThan(TestSupport.maxDifference(a.0, b.0), 1e-5, "y \(input)")
            XCTAssertLessThan(TestSupport.maxDifference(a.1, b.1), 1e-5, "dx \(input)")
            XCTAssertLessThan(TestSupport.maxDifference(a.2, b.2), 1e-4, "dw \(input)")
        }
    }
}
