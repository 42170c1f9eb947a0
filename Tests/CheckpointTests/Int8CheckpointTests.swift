import Checkpoint
import Data
import Foundation
import Models
import NN
import Tensor
import TestSupport
import XCTest

/// int8 checkpoints (`fashion quantize`): I8 weights with their scales survive a save and a load
/// unchanged and give the same outputs; files with missing, misshapen or meaningless scales are refused.
final class Int8CheckpointTests: XCTestCase {
    /// A vgg-bn quantized on `images`, and the file it was saved to.
    private func quantized() throws -> (model: Sequential, images: Tensor, url: URL, reports: [Int8Quantization.LayerReport]) {
        let model = Models.vggBN(seed: 3, widths: [32, 64, 128], hidden: 256, dropout: 0.3)
        var g = SeededGenerator(seed: 4)
        var images = Initializer.uniform(shape: [6, 1, 28, 28], limit: 1, using: &g)
        images.scalars = images.scalars.map(abs)
        let reports = Int8Quantization.quantize(model, calibration: [images])
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("int8.safetensors")
        try ModelCheckpoint.save(model, architecture: "vgg-bn", classNames: FashionMNIST.classNames, to: url)
        return (model, images, url, reports)
    }

    func testInt8FileRoundTrip() throws {
        let (model, images, url, reports) = try quantized()
        let int8Names = reports.filter { $0.keptFP32 == nil }.map(\.name)
        XCTAssertEqual(reports.map(\.name), ["features.0", "features.3", "features.7", "features.10", "features.14", "features.17",
                                             "classifier.0", "classifier.3"])
        XCTAssertEqual(reports.filter { $0.keptFP32 != nil }.map(\.name), ["features.0"], "the one-channel convolution stays fp32")
        XCTAssertGreaterThanOrEqual(reports[0].inputMinimum, 0)

        let file = try SafeTensors.read(url)
        XCTAssertEqual(file.raw["features.3.weight"]?.dtype, "I8")
        XCTAssertEqual(file.tensors["features.3.weight_scale"]?.shape, [32])
        XCTAssertEqual(file.tensors["features.3.input_scale"]?.shape, [1])
        XCTAssertNotNil(file.tensors["features.0.weight"], "fp32 layers keep F32 weights")
        XCTAssertNil(file.tensors["features.3.weight"])

        let loaded = try ModelCheckpoint.load(url, defaultClassNames: FashionMNIST.classNames)
        XCTAssertEqual(loaded.int8Layers, int8Names)
        let before = Dictionary(uniqueKeysWithValues: Int8Quantization.layers(model).map { ($0.name, $0.layer.int8) })
        for (name, layer) in Int8Quantization.layers(loaded.model) {
            XCTAssertEqual(layer.int8, before[name] ?? nil, name)
            if let int8 = layer.int8 { XCTAssertEqual(layer.weight.value.scalars, int8.dequantized, "\(name): fp32 weights are the dequantized ones") }
        }
        XCTAssertEqual(loaded.model(images).scalars, model(images).scalars, "the loaded file computes what was saved")

        // The same model without its int8 forms: fp32 weights, a file four times the size.
        for (_, layer) in Int8Quantization.layers(model) { layer.int8 = nil }
        let fp32URL = url.deletingLastPathComponent().appendingPathComponent("fp32.safetensors")
        try ModelCheckpoint.save(model, architecture: "vgg-bn", classNames: FashionMNIST.classNames, to: fp32URL)
        XCTAssertEqual(try ModelCheckpoint.load(fp32URL, defaultClassNames: FashionMNIST.classNames).int8Layers, [])
        let size = { (u: URL) in try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: u.path)[.size] as? Int) }
        XCTAssertLessThan(Double(try size(url)), 0.3 * Double(try size(fp32URL)))
    }

    func testBadInt8FilesAreRefused() throws {
        let (_, _, url, _) = try quantized()
        let good = try SafeTensors.read(url)
        func expectRefusal(_ change: (inout SafeTensors) -> Void, _ text: String, line: UInt = #line) {
            var file = good
            change(&file)
            XCTAssertThrowsError(try ModelCheckpoint.load(file, file: "bad.safetensors", defaultClassNames: FashionMNIST.classNames),
                                 line: line) { error in
                XCTAssertTrue("\(error)".contains(text), "'\(error)' should mention '\(text)'", line: line)
                XCTAssertTrue("\(error)".hasPrefix("bad.safetensors: "), line: line)
            }
        }
        let raw = good.raw["features.3.weight"]!
        expectRefusal({ $0.tensors["features.3.weight_scale"] = nil }, "needs 'features.3.weight_scale' and 'features.3.input_scale'")
        expectRefusal({ $0.tensors["features.3.input_scale"] = nil }, "needs")
        expectRefusal({ $0.tensors["features.3.weight_scale"] = Tensor(shape: [31], scalars: Array(repeating: 1, count: 31)) }, "must be [32]")
        expectRefusal({ $0.tensors["features.3.input_scale"] = Tensor(shape: [1], scalars: [0]) }, "not a positive number")
        expectRefusal({ $0.tensors["features.3.input_scale"] = Tensor(shape: [1], scalars: [.nan]) }, "not a positive number")
        expectRefusal({ $0.tensors["features.3.weight_scale"]!.scalars[5] = -1 }, "not a positive number")
        expectRefusal({ $0.raw["features.3.bias"] = RawTensor(int8: Array(repeating: 1, count: 32), shape: [32]) },
                      "checkpoints hold F32 tensors and I8 weights only")
        expectRefusal({ $0.raw["features.3.weight"] = RawTensor(bytes: raw.bytes, shape: raw.shape) }, "has dtype U8")
        expectRefusal({ $0.raw["features.3.weight"] = RawTensor(int8: Array(repeating: 1, count: 32 * 32 * 9), shape: [32, 32, 3, 3, 1]) },
                      "does not fit vgg-bn")
        expectRefusal({ $0.raw["features.3.weight"] = RawTensor(int8: [], shape: [0]) }, "no output channels")
        // Scales for a layer that has F32 weights are tensors the model does not have.
        expectRefusal({ $0.tensors["features.0.input_scale"] = Tensor(shape: [1], scalars: [1]) }, "unexpected tensors features.0.input_scale")
        expectRefusal({ $0.tensors[ModelCheckpoint.optimizerPrefix + "features.3.bias.m"] = Tensor(shape: [32], scalars: Array(repeating: 0, count: 32)) },
                      "an int8 file holds no optimizer state")
    }

    func testLayersThatCannotTakeInt8StayFP32() {
        var g = SeededGenerator(seed: 5)
        let first = Dense(inputFeatures: 4, outputFeatures: 8, generator: &g), second = Dense(inputFeatures: 8, outputFeatures: 3, generator: &g)
        let model = Sequential([("first", first), ("relu", ReLU()), ("second", second)])
        func kept(_ x: [Float]) -> [String?] {
            Int8Quantization.quantize(model, calibration: [Tensor(shape: [2, 4], scalars: x)]).map(\.keptFP32)
        }
        XCTAssertEqual(kept([0.1, 0.2, 0.3, 0.4, 1, 0, 0.5, 0.25]), [nil, nil])
        XCTAssertNotNil(first.int8)
        XCTAssertEqual(kept([0.1, -0.2, 0.3, 0.4, 1, 0, 0.5, 0.25])[0], "negative inputs (down to -0.2)")
        XCTAssertNil(first.int8, "quantizing again starts from fp32")
        XCTAssertEqual(kept(Array(repeating: 0, count: 8))[0], "no positive input in the calibration images")
        XCTAssertEqual(kept([.infinity, 0.2, 0.3, 0.4, 1, 0, 0.5, 0.25])[0], "infinite inputs")
        second.weight.value.scalars[3] = .nan
        XCTAssertEqual(kept([0.1, 0.2, 0.3, 0.4, 1, 0, 0.5, 0.25]), [nil, "weights that are not finite numbers"])
        XCTAssertNil(second.int8)
    }
}
