import Kernels
import NN
import Tensor
import TestSupport
import XCTest

/// Batch norm, average pooling and residual blocks against PyTorch
/// (fixtures from scripts/make_fixtures_norm.py).
final class NormalizationTorchTests: XCTestCase {
    var fixture = TorchFixture.empty

    override func setUpWithError() throws { fixture = try TorchFixture("torch_norm.safetensors") }

    func t(_ name: String) -> Tensor { fixture[name] }

    /// |a − b| ≤ 1e-4·(|b| + s) elementwise, where s = max(1, the largest |b|) sets the absolute
    /// floor: 1e-4 relative, with elements near zero judged on the tensor's scale.
    func assertClose(_ a: Tensor, _ name: String, _ context: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
        let b = t(name)
        let scale = max(1, b.scalars.map(abs).max() ?? 0)
        XCTAssertTrue(TestSupport.allClose(a, b, atol: 1e-4 * scale, rtol: 1e-4),
                      "\(name)\(context): max difference \(TestSupport.maxDifference(a, b)) (scale \(scale))",
                      file: file, line: line)
    }

    // MARK: Batch norm

    func checkBatchNormTraining(_ name: String, momentum: Float, epsilon: Float) {
        let bn = BatchNorm2D(channels: t("\(name).weight").count, momentum: momentum, epsilon: epsilon)
        bn.weight.value = t("\(name).weight")
        bn.bias.value = t("\(name).bias")
        assertClose(bn.forward(t("\(name).x"), phase: .training), "\(name).y")
        assertClose(bn.backward(t("\(name).dy"), needsInputGradient: true), "\(name).dx")
        assertClose(bn.weight.gradient, "\(name).dweight")
        assertClose(bn.bias.gradient, "\(name).dbias")
        // A second backward pass (without the input gradient) adds as much again.
        _ = bn.backward(t("\(name).dy"), needsInputGradient: false)
        func halved(_ g: Tensor) -> Tensor { Tensor(shape: g.shape, scalars: g.scalars.map { $0 / 2 }) }
        assertClose(halved(bn.weight.gradient), "\(name).dweight", " (accumulated twice, halved)")
        assertClose(halved(bn.bias.gradient), "\(name).dbias", " (accumulated twice, halved)")
        // Running statistics after a second training pass on another batch.
        _ = bn.forward(t("\(name).x2"), phase: .training)
        assertClose(bn.runningMean.value, "\(name).running_mean")
        assertClose(bn.runningVariance.value, "\(name).running_var")
    }

    func testBatchNormTraining() { checkBatchNormTraining("bn", momentum: 0.1, epsilon: 1e-5) }
    func testBatchNormTrainingOnePixelPlanes() { checkBatchNormTraining("bn1x1", momentum: 0.2, epsilon: 1e-3) }

    func testBatchNormInference() {
        let bn = BatchNorm2D(channels: 3, epsilon: 1e-2)
        for (name, parameter) in bn.parameters + bn.buffers { parameter.value = t("bn_eval.\(name)") }
        assertClose(bn.forward(t("bn_eval.x"), phase: .inference), "bn_eval.y")
        assertClose(bn.runningMean.value, "bn_eval.running_mean", " (unchanged by inference)")
    }

    // MARK: Average pooling

    func checkPool(_ name: String, _ pool: any Layer) {
        assertClose(pool.forward(t("\(name).x"), phase: .training), "\(name).y")
        assertClose(pool.backward(t("\(name).dy"), needsInputGradient: true), "\(name).dx")
    }

    func testAvgPool() { checkPool("avgpool", AvgPool2D(size: 2)) }
    func testAvgPoolOverlapping() { checkPool("avgpool3s2", AvgPool2D(size: 3, stride: 2)) }
    func testGlobalAvgPool() { checkPool("gap", GlobalAvgPool2D()) }

    // MARK: Residual blocks

    /// torchvision's BasicBlock: conv3×3–BN–ReLU–conv3×3–BN plus the input (or a strided
    /// conv1×1 + BN projection of it), then ReLU, with torchvision's layer names.
    static func basicBlock(_ inputChannels: Int, _ outputChannels: Int, stride: Int) -> Residual {
        var g = SeededGenerator(seed: 0)
        func conv(_ cin: Int, _ cout: Int, _ k: Int, _ stride: Int, _ padding: Padding) -> Conv2D {
            Conv2D(inputChannels: cin, outputChannels: cout, kernelSize: k, stride: stride, padding: padding,
                   useBias: false, generator: &g)
        }
        let body = Sequential([
            ("conv1", conv(inputChannels, outputChannels, 3, stride, .explicit(1))),
            ("bn1", BatchNorm2D(channels: outputChannels)),
            ("relu", ReLU()),
            ("conv2", conv(outputChannels, outputChannels, 3, 1, .explicit(1))),
            ("bn2", BatchNorm2D(channels: outputChannels)),
        ])
        guard stride != 1 || inputChannels != outputChannels else { return Residual(body: body) }
        let shortcut = Sequential([
            ("0", conv(inputChannels, outputChannels, 1, stride, .valid)),
            ("1", BatchNorm2D(channels: outputChannels)),
        ])
        return Residual(body: body, shortcut: shortcut)
    }

    /// Loads the fixture's state dict into `block` by name (the names must match exactly),
    /// then checks eval-mode output, one training pass and the running statistics after it.
    func checkBlock(_ name: String, _ block: Residual, backend: ConvolutionBackend) {
        let context = " (\(backend))"
        let prefix = "\(name).state."
        let stateNames = Set(fixture.tensors.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
        let slots = block.parameters + block.buffers
        guard Set(slots.map(\.name)) == stateNames else {
            return XCTFail("names \(slots.map(\.name).sorted()) differ from PyTorch's \(stateNames.sorted())")
        }
        for (key, parameter) in slots { parameter.value = t(prefix + key) }

        assertClose(block.forward(t("\(name).x"), phase: .inference), "\(name).eval_y", context)
        assertClose(block.forward(t("\(name).x"), phase: .training), "\(name).y", context)
        assertClose(block.backward(t("\(name).dy"), needsInputGradient: true), "\(name).dx", context)
        for (key, parameter) in block.parameters { assertClose(parameter.gradient, "\(name).grad.\(key)", context) }
        for (key, buffer) in block.buffers { assertClose(buffer.value, "\(name).after.\(key)", context) }
    }

    /// Every block case runs on each available convolution backend.
    func checkBlock(_ name: String, inputChannels: Int, outputChannels: Int, stride: Int) {
        let saved = ConvolutionBackend.current
        defer { ConvolutionBackend.current = saved }
        for backend in [ConvolutionBackend.im2col] + (ConvolutionBackend.isOneDNNAvailable ? [.oneDNN] : []) {
            ConvolutionBackend.current = backend
            checkBlock(name, Self.basicBlock(inputChannels, outputChannels, stride: stride), backend: backend)
        }
    }

    func testBasicBlockWithIdentityShortcut() { checkBlock("basic", inputChannels: 8, outputChannels: 8, stride: 1) }
    func testBasicBlockWithProjectionShortcut() {
        checkBlock("projection", inputChannels: 8, outputChannels: 16, stride: 2)
    }

    func testBlocksInsideSequentialGetTorchvisionNames() {
        let model = Sequential([
            ("layer1", Sequential([("0", Self.basicBlock(4, 4, stride: 1))])),
            ("layer2", Sequential([("0", Self.basicBlock(4, 8, stride: 2))])),
        ])
        let names = Set((model.parameters + model.buffers).map(\.name))
        for name in ["layer1.0.conv1.weight", "layer1.0.bn2.running_var", "layer2.0.downsample.0.weight",
                     "layer2.0.downsample.1.weight", "layer2.0.downsample.1.running_mean"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertFalse(names.contains { $0.hasPrefix("layer1.0.downsample") }, "identity shortcut has no parameters")
        XCTAssertEqual(model.outputShape(for: [2, 4, 28, 28]), [2, 8, 14, 14])
        XCTAssertEqual(Self.basicBlock(4, 8, stride: 2).typeName, "Residual")
    }
}
