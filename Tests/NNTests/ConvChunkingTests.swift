import Kernels
@testable import NN
import Tensor
import TestSupport
import XCTest

/// A batch split into several im2col chunks gives the same results as one chunk.
final class ConvChunkingTests: XCTestCase {
    func testChunkedBatchMatchesSingleChunk() {
        let saved = ConvolutionBackend.current
        ConvolutionBackend.current = .im2col  // chunking belongs to the portable path
        defer { ConvolutionBackend.current = saved }
        func run(limit: Int) -> (Tensor, Tensor, Tensor, Tensor) {
            var g = SeededGenerator(seed: 1)
            let conv = Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: 3, padding: .same, generator: &g)
            conv.workspaceLimit = limit
            let x = Initializer.uniform(shape: [5, 3, 6, 6], limit: 1, using: &g)
            let y = conv.forward(x, phase: .training)
            let dy = Initializer.uniform(shape: y.shape, limit: 1, using: &g)
            let dx = conv.backward(dy, needsInputGradient: true)
            return (y, dx, conv.weight.gradient, conv.bias!.gradient)
        }
        let whole = run(limit: 1 << 24)
        let chunked = run(limit: 27 * 36 * 2)  // two images per chunk: chunks of 2, 2, 1
        XCTAssertLessThan(TestSupport.maxDifference(whole.0, chunked.0), 1e-5)
        XCTAssertLessThan(TestSupport.maxDifference(whole.1, chunked.1), 1e-5)
        XCTAssertLessThan(TestSupport.maxDifference(whole.2, chunked.2), 1e-4)
        XCTAssertLessThan(TestSupport.maxDifference(whole.3, chunked.3), 1e-4)
    }
}
