import Dispatch
import Foundation
import Kernels
import NN
import Tensor
import TestSupport
import XCTest

/// Inference writes no state into layers: passes from many threads at once give the same outputs
/// as one at a time, and a training step's caches survive inference run in between.
final class ConcurrentInferenceTests: XCTestCase {
    /// Every layer kind with state: convolution, batch norm, ReLU, max and average pooling, a residual
    /// block with a projection, dropout, flatten, dense.
    static func model() -> Sequential {
        var g = SeededGenerator(seed: 7)
        func conv(_ i: Int, _ o: Int, stride: Int = 1) -> Conv2D {
            Conv2D(inputChannels: i, outputChannels: o, kernelSize: 3, stride: stride, padding: .explicit(1), useBias: false, generator: &g)
        }
        let block = Residual(body: Sequential([("conv1", conv(4, 8, stride: 2)), ("bn1", BatchNorm2D(channels: 8)), ("relu", ReLU()),
                                               ("conv2", conv(8, 8)), ("bn2", BatchNorm2D(channels: 8))]),
                             shortcut: Sequential([("0", Conv2D(inputChannels: 4, outputChannels: 8, kernelSize: 1, stride: 2,
                                                                useBias: false, generator: &g)), ("1", BatchNorm2D(channels: 8))]))
        return Sequential([
            ("stem", Conv2D(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: .same, generator: &g)),
            ("relu", ReLU()), ("pool", MaxPool2D(size: 2)), ("block", block), ("avg", AvgPool2D(size: 3)),
            ("flatten", Flatten()), ("drop", Dropout(rate: 0.5, seed: 3)),
            ("fc", Dense(inputFeatures: 8, outputFeatures: 5, generator: &g)),
        ])
    }

    static func inputs() -> [Tensor] {
        var g = SeededGenerator(seed: 11)
        return [1, 3, 2, 5, 1, 4, 7, 2].map { Initializer.uniform(shape: [$0, 1, 12, 12], limit: 1, using: &g) }
    }

    func testConcurrentPassesMatchSerialOnes() {
        for backend in [ConvolutionBackend.im2col] + (ConvolutionBackend.isOneDNNAvailable ? [.oneDNN] : []) {
            let saved = ConvolutionBackend.current
            ConvolutionBackend.current = backend
            defer { ConvolutionBackend.current = saved }
            let model = Self.model(), inputs = Self.inputs()
            _ = model.forward(inputs[1], phase: .training)  // give the layers training caches
            let serial = inputs.map { model.forward($0, phase: .inference) }
            let results = LockedValue([Int: Tensor]())
            DispatchQueue.concurrentPerform(iterations: 64) { i in
                let y = model.forward(inputs[i % inputs.count], phase: .inference)
                results.withLock { $0[i] = y }
            }
            let concurrent = results.withLock { $0 }
            for i in 0..<64 {
                XCTAssertEqual(concurrent[i]?.shape, serial[i % inputs.count].shape, "\(backend)")
                XCTAssertEqual(concurrent[i]?.scalars, serial[i % inputs.count].scalars, "\(backend): pass \(i) differs")
            }
        }
    }

    func testInferenceBetweenForwardAndBackwardChangesNothing() {
        for backend in [ConvolutionBackend.im2col] + (ConvolutionBackend.isOneDNNAvailable ? [.oneDNN] : []) {
            let saved = ConvolutionBackend.current
            ConvolutionBackend.current = backend
            defer { ConvolutionBackend.current = saved }
            let inputs = Self.inputs()
            func step(inferringBetween: Bool) -> (Tensor, [Tensor]) {
                let model = Self.model()
                let y = model.forward(inputs[3], phase: .training)
                if inferringBetween { for x in inputs { _ = model.forward(x, phase: .inference) } }
                let dx = model.backward(Tensor(shape: y.shape, repeating: 0.1), needsInputGradient: true)
                return (dx, model.parameters.map(\.parameter.gradient))
            }
            let plain = step(inferringBetween: false), interleaved = step(inferringBetween: true)
            XCTAssertEqual(plain.0.scalars, interleaved.0.scalars, "\(backend): input gradient changed by inference")
            XCTAssertEqual(plain.1.map(\.scalars), interleaved.1.map(\.scalars), "\(backend): parameter gradients changed by inference")
        }
    }
}
