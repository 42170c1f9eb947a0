import Foundation
import TestSupport
import XCTest

/// `--precision` on the commands that compute: accepted values, what bf16 reports, and that its
/// predictions stay those of fp32 on the same weights.
final class PrecisionCommandTests: XCTestCase, RunsFashion {
    func testBF16EvaluatesLikeFP32AndBenchSaysHowItRuns() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try self.weights(in: directory)
        var accuracies: [String: Double] = [:]
        for precision in ["fp32", "bf16"] {
            let result = try run(["evaluate", "--weights", weights, "--json", "--precision", precision])
            XCTAssertEqual(result.status, 0, result.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            accuracies[precision] = try XCTUnwrap(json["accuracy"] as? Double)
        }
        // An untrained model on 300 generated images: bf16 may flip the odd near-tie, no more.
        XCTAssertEqual(try XCTUnwrap(accuracies["bf16"]), try XCTUnwrap(accuracies["fp32"]), accuracy: 0.02)

        let bench = try run(["bench", "--steps", "2", "--batch-size", "8", "--skip-inference", "--json", "--precision", "bf16"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
        let report = try XCTUnwrap(json["report"] as? [String: Any])
        XCTAssertEqual(report["precision"] as? String, "bf16")
        let how = try XCTUnwrap(report["precisionImplementation"] as? String)
        XCTAssertTrue(how.contains("native") || how.contains("emulated"), how)
        XCTAssertEqual(report["fusedLayers"] as? [String], ["relu_1", "relu_2"])
    }

    func testUnknownPrecisionIsAUsageError() throws {
        try expectUsageError(["evaluate", "--weights", "x.safetensors", "--precision", "fp16"], mentioning: "fp16")
        try expectUsageError(["train", "--precision", "int8"], mentioning: "--precision")
    }
}
