import Checkpoint
import Foundation
import Models
import TestSupport
import XCTest

/// `fashion quantize`: the int8 file it writes, the commands that take it (evaluate, classify, tag)
/// and the ones that refuse it (train --from, quantize again), and its own refusals.
final class QuantizeCommandTests: XCTestCase, RunsFashion {
    func testQuantizedWeightsEvaluateClassifyAndTag() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try self.weights(in: directory)
        let int8 = directory.appendingPathComponent("int8.safetensors").path
        let result = try run(["quantize", "--weights", weights, "--calibrate", "200", "--out", int8])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, result.stdout)
        XCTAssertTrue(lines[0].hasPrefix("conv_1") && lines[0].contains("fp32") && lines[0].contains("one input channel"), lines[0])
        for (line, name) in zip(lines[1...3], ["conv_2", "fc_1", "fc_2"]) {
            XCTAssertTrue(line.hasPrefix(name) && line.contains("int8"), line)
        }
        XCTAssertTrue(lines[4].hasPrefix("calibrated on 200 Fashion-MNIST training images; int8 and fp32 agree on "), lines[4])

        let loaded = try ModelCheckpoint.load(URL(fileURLWithPath: int8), defaultClassNames: [])
        XCTAssertEqual(loaded.int8Layers, ["conv_2", "fc_1", "fc_2"])
        let record = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(try XCTUnwrap(loaded.metadata[ModelCheckpoint.Key.quantization]).utf8)) as? [String: String])
        XCTAssertEqual(record["calibration"], "200 Fashion-MNIST training images")
        XCTAssertEqual(record["source"], weights)

        // evaluate: the same accuracy within a near-tie or two of an untrained model, and says it runs int8.
        var accuracies: [Double] = []
        for file in [weights, int8] {
            let evaluated = try run(["evaluate", "--weights", file, "--json"])
            XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
            accuracies.append(try XCTUnwrap(json["accuracy"] as? Double))
        }
        XCTAssertEqual(accuracies[1], accuracies[0], accuracy: 0.03)
        let text = try run(["evaluate", "--weights", int8])
        XCTAssertTrue(text.stdout.hasPrefix("seed-cnn (int8: conv_2, fc_1, fc_2) on 300 test images"), text.stdout)

        // classify and tag take the file like any other.
        let photos = TestSupport.fixtures.appendingPathComponent("images")
        let classified = try run(["classify", "--weights", int8, photos.appendingPathComponent("rgb.png").path,
                                  photos.appendingPathComponent("lossy.webp").path])
        XCTAssertEqual(classified.status, 0, classified.stderr)
        XCTAssertEqual(classified.stdout.split(separator: "\n").count, 2, classified.stdout)
        let folder = try ShopPhotos.make(in: directory.appendingPathComponent("photos"), perClass: 2)
        let tags = directory.appendingPathComponent("tags.csv").path
        let tagged = try run(["tag", folder.path, "--weights", int8, "--out", tags, "--format", "csv"])
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        XCTAssertEqual(try String(contentsOfFile: tags, encoding: .utf8).split(separator: "\n").count, 1 + 6)

        // Not for training, nor for quantizing again.
        try expectFailure(["train", "--from", int8, "--epochs", "1", "--validation", "100", "--out", directory.appendingPathComponent("run").path],
                          mentioning: "int8 weights (fashion quantize) are for inference")
        try expectFailure(["quantize", "--weights", int8, "--out", directory.appendingPathComponent("again.safetensors").path],
                          mentioning: "is already int8")
    }

    func testQuantizeRefusalsAndCalibrationPhotos() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try self.weights(in: directory)
        let out = directory.appendingPathComponent("out.safetensors").path
        try expectUsageError(["quantize", "--weights", weights], mentioning: "--out")
        try expectUsageError(["quantize", "--weights", weights, "--out", weights], mentioning: "--out must not be --weights")
        try expectUsageError(["quantize", "--weights", weights, "--out", out, "--calibrate", "0"], mentioning: "--calibrate")
        try expectUsageError(["quantize", "--weights", weights, "--out", out, "--calibrate", "many"], mentioning: "--calibrate")
        try expectFailure(["quantize", "--weights", directory.appendingPathComponent("none.safetensors").path, "--out", out],
                          mentioning: "none.safetensors")
        // A folder that cannot be made (a file is in the way): one line naming it, not Foundation's error dump.
        try expectFailure(["quantize", "--weights", weights, "--calibrate", "100", "--out", weights + "/int8.safetensors"], mentioning: "\(weights): ")
        XCTAssertFalse(try run(["quantize", "--weights", weights, "--calibrate", "100", "--out", weights + "/int8.safetensors"]).stderr.contains("Domain="))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written by a refused run")

        // A model of a shop's own classes calibrates on photos, and says so when there are fewer than asked.
        let shop = directory.appendingPathComponent("shop.safetensors")
        try ModelCheckpoint.save(Models.seedCNN(seed: 3, classes: ShopPhotos.classes.count), architecture: "seed-cnn",
                                 classNames: ShopPhotos.classes, to: shop)
        try expectFailure(["quantize", "--weights", shop.path, "--out", out], mentioning: "give calibration photos with --images")
        let folder = try ShopPhotos.make(in: directory.appendingPathComponent("photos"), perClass: 3)
        let result = try run(["quantize", "--weights", shop.path, "--out", out, "--images", folder.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("note: only 9 calibration images"), result.stderr)
        XCTAssertTrue(result.stdout.contains("calibrated on 9 photos in \(folder.path)"), result.stdout)
        XCTAssertEqual(try ModelCheckpoint.load(URL(fileURLWithPath: out), defaultClassNames: []).int8Layers, ["conv_2", "fc_1", "fc_2"])
    }
}
