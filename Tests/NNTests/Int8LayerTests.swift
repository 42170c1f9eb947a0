#if canImport(CDNNL)
import Kernels
import NN
import Tensor
import XCTest

/// A small model with int8 convolution and dense layers against its fp32 self.
final class Int8LayerTests: XCTestCase {
    func testInt8ModelAgreesWithFP32() {
        var g = SeededGenerator(seed: 8)
        let conv = Conv2D(inputChannels: 1, outputChannels: 8, kernelSize: 3, padding: .same, generator: &g)
        let dense = Dense(inputFeatures: 8 * 6 * 6, outputFeatures: 10, generator: &g)
        conv.bias!.value = Initializer.uniform(shape: [8], limit: 0.1, using: &g)
        let model = Sequential([("conv", conv), ("relu", ReLU()), ("pool", MaxPool2D(size: 2)), ("flat", Flatten()),
                                ("fc", dense)])
        var x = Initializer.uniform(shape: [6, 1, 12, 12], limit: 1, using: &g)
        x.scalars = x.scalars.map(abs)  // images are non-negative
        let fp32 = model(x)
        let hidden = Sequential([("conv", conv), ("relu", ReLU()), ("pool", MaxPool2D(size: 2)), ("flat", Flatten())])(x)
        conv.int8 = Int8Weights(quantizing: conv.weight.value, inputMaximum: x.scalars.max()!)
        dense.int8 = Int8Weights(quantizing: dense.weight.value, inputMaximum: hidden.scalars.max()!)
        let int8 = model(x)
        let scale = fp32.scalars.map(abs).max()!
        let error = zip(int8.scalars, fp32.scalars).map { abs($0 - $1) }.max()! / scale
        XCTAssertGreaterThan(error, 0)
        XCTAssertLessThan(error, 0.03)
        XCTAssertEqual(int8.scalars.indices.filter { $0 % 10 == 0 }.map { i in (i..<i + 10).max { int8.scalars[$0] < int8.scalars[$1] }! },
                       fp32.scalars.indices.filter { $0 % 10 == 0 }.map { i in (i..<i + 10).max { fp32.scalars[$0] < fp32.scalars[$1] }! })
    }
}
#endif
