import NN
import Tensor
import TestSupport
import XCTest

/// Finite-difference checks of every layer's backward pass and of the loss (TestSupport's
/// `GradientCheck`). Inputs are random, so ReLU and max-pool kinks are rarely hit;
/// a kink within h of an element would show up as one large difference.
final class GradientCheckTests: XCTestCase {
    var h: Float = 1e-2

    func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Initializer.uniform(shape: shape, limit: scale, using: &g)
    }

    /// Distinct values 0.1 apart in random order, so a step of h never changes which element is the max.
    func separated(_ shape: [Int], seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        var values = (0..<shape.elementCount).map { Float($0) * 0.1 - 1 }
        values.shuffle(using: &g)
        return Tensor(shape: shape, scalars: values)
    }

    /// Checks dL/dx and every parameter gradient of `layer` at `x` (L evaluated in inference).
    func check(_ layer: any Layer, input x: Tensor, tolerance: Float = 2e-2,
               file: StaticString = #filePath, line: UInt = #line) {
        GradientCheck.check(layer, input: x, h: h, tolerance: tolerance, phase: .inference, file: file, line: line)
    }

    func conv(_ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, padding: Padding) -> Conv2D {
        var g = SeededGenerator(seed: 3)
        let c = Conv2D(inputChannels: cin, outputChannels: cout, kernelSize: k, stride: stride, padding: padding, generator: &g)
        c.bias!.value = random([cout], seed: 4, scale: 0.5)
        return c
    }

    func testConv2DSame5x5() { check(conv(2, 3, 5, padding: .same), input: random([2, 2, 6, 6], seed: 1)) }
    func testConv2DValid3x3() { check(conv(3, 2, 3, padding: .valid), input: random([1, 3, 5, 5], seed: 2)) }
    func testConv2DStride2Padded() { check(conv(2, 2, 3, stride: 2, padding: .explicit(1)), input: random([2, 2, 7, 7], seed: 5)) }
    func testConv2DSameStride2EvenInput() { check(conv(1, 2, 3, stride: 2, padding: .same), input: random([1, 1, 6, 6], seed: 6)) }
    func testConv2D1x1() { check(conv(4, 3, 1, padding: .valid), input: random([2, 4, 3, 3], seed: 7)) }

    func testDense() {
        var g = SeededGenerator(seed: 8)
        let dense = Dense(inputFeatures: 7, outputFeatures: 4, generator: &g)
        dense.bias.value = random([4], seed: 9)
        check(dense, input: random([3, 7], seed: 10))
    }

    func testMaxPool() { check(MaxPool2D(size: 2), input: separated([2, 3, 6, 6], seed: 11)) }
    func testMaxPoolOverlapping() { check(MaxPool2D(size: 3, stride: 2), input: separated([1, 2, 7, 7], seed: 12)) }
    func testMaxPoolPadded() { check(MaxPool2D(size: 3, stride: 2, padding: 1), input: separated([2, 2, 6, 6], seed: 16)) }

    /// ResNet's stem pool (3×3, stride 2, padding 1): padded cells never win, even over negative inputs.
    func testMaxPoolPaddingIsIgnored() {
        let x = Tensor(shape: [1, 1, 2, 2], scalars: [-4, -3, -2, -1])
        let y = MaxPool2D(size: 3, stride: 2, padding: 1).forward(x, phase: .inference)
        XCTAssertEqual(y.shape, [1, 1, 1, 1])
        XCTAssertEqual(y.scalars, [-1])
        XCTAssertEqual(MaxPool2D(size: 3, stride: 2, padding: 1).outputShape(for: [8, 64, 14, 14]), [8, 64, 7, 7])
    }

    func testReLU() { check(ReLU(), input: random([4, 9], seed: 13)) }
    func testFlatten() { check(Flatten(), input: random([2, 3, 2, 2], seed: 14)) }

    func testSequentialSmallCNN() {
        var g = SeededGenerator(seed: 15)
        let model = Sequential([
            ("conv", Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: .same, generator: &g)),
            ("relu", ReLU()),
            ("pool", MaxPool2D(size: 2)),
            ("flatten", Flatten()),
            ("fc", Dense(inputFeatures: 8, outputFeatures: 3, generator: &g)),
        ])
        h = 1e-3  // ReLU and max-pool inside: a smaller step is less likely to cross a kink
        check(model, input: random([2, 1, 4, 4], seed: 16))
    }

    func testSoftmaxCrossEntropyGradient() {
        let logits = random([3, 5], seed: 17, scale: 3)
        let labels = [4, 0, 2]
        let analytic = softmaxCrossEntropy(logits: logits, labels: labels).gradient
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let estimate = (softmaxCrossEntropy(logits: plus, labels: labels).loss
                - softmaxCrossEntropy(logits: minus, labels: labels).loss) / (2 * h)
            XCTAssertEqual(analytic.scalars[i], estimate, accuracy: 1e-3, "dlogits[\(i)]")
        }
    }

    func testDropoutScalesSurvivorsAndRoutesGradientThroughThem() {
        let dropout = Dropout(rate: 0.5, seed: 1)
        let x = Tensor(shape: [4, 1000], repeating: 2)
        let y = dropout.forward(x, phase: .training)
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { $0 == 4 }, "survivors are scaled by 1/(1−rate)")
        XCTAssertEqual(Double(kept.count) / Double(x.count), 0.5, accuracy: 0.03)
        let dy = Tensor(shape: x.shape, repeating: 1)
        let dx = dropout.backward(dy, needsInputGradient: true)
        // y = x·mask, so dx = dy·mask = dy·y/x.
        XCTAssertEqual(dx.scalars, y.scalars.map { $0 / 2 })
        XCTAssertEqual(dropout.forward(x, phase: .inference), x, "identity at inference")
    }
}
