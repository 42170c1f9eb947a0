import Kernels
import NN
import Tensor
import TestSupport
import XCTest

/// Forward outputs and gradients against PyTorch (fixtures from scripts/make_fixtures.py).
final class TorchAgreementTests: XCTestCase {
    var fixture = TorchFixture.empty

    override func setUpWithError() throws { fixture = try TorchFixture("torch_layers.safetensors") }

    func t(_ name: String) -> Tensor { fixture[name] }

    func assertClose(_ a: Tensor, _ name: String, _ backend: ConvolutionBackend? = nil, atol: Float = 1e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        let b = t(name)
        XCTAssertTrue(TestSupport.allClose(a, b, atol: atol),
                      "\(name)\(backend.map { " (\($0))" } ?? ""): max difference \(TestSupport.maxDifference(a, b))",
                      file: file, line: line)
    }

    /// Every convolution case runs on each available backend (im2col + BLAS, and oneDNN when built with it).
    func checkConv(_ name: String, stride: Int, padding: Padding) {
        let saved = ConvolutionBackend.current
        defer { ConvolutionBackend.current = saved }
        for backend in [ConvolutionBackend.im2col] + (ConvolutionBackend.isOneDNNAvailable ? [.oneDNN] : []) {
            ConvolutionBackend.current = backend
            checkConv(name, stride: stride, padding: padding, backend: backend)
        }
    }

    func checkConv(_ name: String, stride: Int, padding: Padding, backend: ConvolutionBackend) {
        let w = t("\(name).w")
        var g = SeededGenerator(seed: 0)
        let conv = Conv2D(inputChannels: w.shape[1], outputChannels: w.shape[0], kernelSize: w.shape[2],
                          stride: stride, padding: padding, generator: &g)
        conv.weight.value = w
        conv.bias!.value = t("\(name).b")
        let y = conv.forward(t("\(name).x"), phase: .training)
        assertClose(y, "\(name).y", backend)
        let dx = conv.backward(t("\(name).dy"), needsInputGradient: true)
        assertClose(dx, "\(name).dx", backend)
        assertClose(conv.weight.gradient, "\(name).dw", backend, atol: 1e-4)
        assertClose(conv.bias!.gradient, "\(name).db", backend, atol: 1e-4)
    }

    func testConvSame() { checkConv("conv_same", stride: 1, padding: .same) }
    func testConvStride2() { checkConv("conv_stride2", stride: 2, padding: .explicit(1)) }
    func testConvValid() { checkConv("conv_valid", stride: 1, padding: .valid) }
    func testConv1x1Stride2() { checkConv("conv_1x1s2", stride: 2, padding: .valid) }

    func checkPool(_ name: String) {
        let pool = MaxPool2D(size: 2)
        assertClose(pool.forward(t("\(name).x"), phase: .training), "\(name).y")
        assertClose(pool.backward(t("\(name).dy"), needsInputGradient: true), "\(name).dx")
    }

    func testMaxPool() { checkPool("maxpool") }
    func testMaxPoolOddSize() { checkPool("maxpool_odd") }

    func testDense() {
        let w = t("dense.w")
        var g = SeededGenerator(seed: 0)
        let dense = Dense(inputFeatures: w.shape[1], outputFeatures: w.shape[0], generator: &g)
        dense.weight.value = w
        dense.bias.value = t("dense.b")
        assertClose(dense.forward(t("dense.x"), phase: .training), "dense.y")
        assertClose(dense.backward(t("dense.dy"), needsInputGradient: true), "dense.dx")
        assertClose(dense.weight.gradient, "dense.dw")
        assertClose(dense.bias.gradient, "dense.db")
    }

    func testReLU() {
        let relu = ReLU()
        assertClose(relu.forward(t("relu.x"), phase: .training), "relu.y")
        assertClose(relu.backward(t("relu.dy"), needsInputGradient: true), "relu.dx")
    }

    func testSoftmaxCrossEntropy() {
        let labels = t("xent.labels").scalars.map { Int($0) }
        let result = softmaxCrossEntropy(logits: t("xent.logits"), labels: labels)
        XCTAssertEqual(result.loss, t("xent.loss").scalars[0], accuracy: 1e-5)
        assertClose(result.gradient, "xent.dlogits", atol: 1e-6)
    }

    func checkOptimizer(_ prefix: String, _ optimizer: inout some Optimizer) {
        let p = Parameter(t("\(prefix).p0"))
        p.gradient = t("\(prefix).g1")
        optimizer.update([("p", p)])
        assertClose(p.value, "\(prefix).p1", atol: 1e-6)
        p.gradient = t("\(prefix).g2")
        optimizer.update([("p", p)])
        assertClose(p.value, "\(prefix).p2", atol: 1e-6)
    }

    func testAdam() {
        var adam = Adam(learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7)
        checkOptimizer("adam", &adam)
    }

    func testSGDWithMomentum() {
        var sgd = SGD(learningRate: 0.1, momentum: 0.9)
        checkOptimizer("sgd", &sgd)
    }

    func testPlainSGD() {
        var sgd = SGD(learningRate: 0.1)
        checkOptimizer("sgd_plain", &sgd)
    }
}
