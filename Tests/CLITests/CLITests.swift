import Foundation
import TestSupport
import XCTest

/// Runs the real `fashion` executable and checks its output, files and exit status.
final class CLITests: XCTestCase, RunsFashion {
    func testSummaryShowsTheSeedModelLikeKeras() throws {
        let result = try run(["summary", "--model", "seed-cnn"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("Total params: 3,274,634"), result.stdout)
        XCTAssertTrue(result.stdout.contains("(None, 64, 7, 7)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("fc_1 (Dense)"), result.stdout)
    }

    func testBenchReportsStepTimesPerLayerAsJSON() throws {
        let result = try run(["bench", "--steps", "2", "--batch-size", "8", "--skip-inference", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let report = try XCTUnwrap(json["report"] as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(report["stepMilliseconds"] as? Double), 0)
        let layers = try XCTUnwrap(report["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.compactMap { $0["name"] as? String }.prefix(2), ["conv_1", "relu_1"])
        let conv2 = try XCTUnwrap(layers.first { $0["name"] as? String == "conv_2" })
        XCTAssertGreaterThan(try XCTUnwrap(conv2["forwardGFLOPS"] as? Double), 0)
        // 4.11 TFLOP per epoch for seed-cnn: 2·(forward + backward) multiply-adds of its products.
        XCTAssertEqual(try XCTUnwrap(report["epochTFLOP"] as? Double), 4.11, accuracy: 0.01)
    }

    func testModelsListsTheZooWithSizes() throws {
        let result = try run(["models"])
        XCTAssertEqual(result.status, 0, result.stderr)
        for expected in ["seed-cnn", "3,274,634", "27.8", "seed-resnet50", "25,560,770", "resnet20", "272,186", "vgg-bn"] {
            XCTAssertTrue(result.stdout.contains(expected), "\(expected) missing from:\n\(result.stdout)")
        }
    }

    func testBadInputGivesOneLineErrors() throws {
        try expectUsageError(["train", "--recipe", "fastest"], mentioning: "unknown recipe 'fastest' (known: seed, fast, best, photo, shop, shop-tune)")
        try expectUsageError(["train", "--augment", "flip,twirl"], mentioning: "--augment: unknown item 'twirl'")
        try expectUsageError(["train", "--augment", "crop"], mentioning: "--augment: 'crop' needs a number")
        try expectUsageError(["train", "--augment", "="], mentioning: "--augment: unknown item ''")
        try expectUsageError(["train", "--augment", "flip=3"], mentioning: "--augment: 'flip=3': flip takes no value")
        try expectUsageError(["train", "--augment", "crop=1e30"], mentioning: "crop padding must be a whole number")
        try expectUsageError(["index", "build", "--bogus"], mentioning: "(see 'fashion index build --help')")
        try expectUsageError(["nonsense"], mentioning: "(see 'fashion --help')")
        let help = try run(["train", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--augment"), help.stdout)
        try expectUsageError(["train", "--optimizer", "rmsprop"], mentioning: "unknown optimizer 'rmsprop'")
        try expectUsageError(["train", "--schedule", "linear"], mentioning: "linear")
        try expectUsageError(["train", "--model", "alexnet"], mentioning: "unknown model 'alexnet'")
        try expectUsageError(["summary", "--model", "vgg99"], mentioning: "unknown model 'vgg99'")
        try expectUsageError(["train", "--epochs", "0"], mentioning: "--epochs must be between 1 and 100000")
        // Found by trying values at the edges: these crashed, printed a wrapped count or exhausted memory.
        try expectUsageError(["train", "--threads", "100000"], mentioning: "--threads must be between 1 and 256")
        try expectUsageError(["train", "--epochs", "1000000000000"], mentioning: "--epochs must be between 1 and 100000")
        try expectUsageError(["bench", "--batch-size", "100000000"], mentioning: "--batch-size must be between 1 and 8192")
        try expectFailure(["train", "--model", "seed-resnet50", "--batch-size", "1", "--validation", "100", "--limit", "8", "--out",
                           TestSupport.temporaryDirectory().appendingPathComponent("r50").path],
                          mentioning: "seed-resnet50 has batch norm, which needs batches of at least 2 images")
        // A lone last image is left out of the epoch instead (3 images, batches of 2: one step).
        let lone = try run(["train", "--model", "seed-resnet50", "--batch-size", "2", "--validation", "100", "--limit", "3", "--epochs", "1",
                            "--out", TestSupport.temporaryDirectory().appendingPathComponent("r50-lone").path])
        XCTAssertEqual(lone.status, 0, lone.stderr)
        try expectUsageError(["train", "--batch-size", "-3"], mentioning: "--batch-size")
        try expectUsageError(["train", "--frobnicate"], mentioning: "Unknown option '--frobnicate'")
        try expectUsageError(["train", "--validation", "60000"], mentioning: "--validation must be from 0 to 59999 images")
        try expectUsageError(["train", "--validation", "0", "--patience", "3"], mentioning: "--patience needs validation images")
        try expectFailure(["evaluate", "--weights", "/nonexistent/model.safetensors"], mentioning: "file not found")
        try expectUsageError(["evaluate", "--weights", "/nonexistent/model.safetensors", "--tta-shift"], mentioning: "--tta-shift needs --tta")
        let directory = try TestSupport.temporaryDirectory()
        let garbage = directory.appendingPathComponent("garbage.safetensors")
        try Data("not a checkpoint at all".utf8).write(to: garbage)
        try expectFailure(["evaluate", "--weights", garbage.path], mentioning: "header length")
        try expectFailure(["train", "--data", directory.path, "--out", directory.appendingPathComponent("run").path],
                          mentioning: "dataset-fashion-mnist")
        try expectUsageError(["evaluate", "--weights", garbage.path, "--split", "holdout"], mentioning: "holdout")
    }

    /// --validation 0 trains on all training images; the weights then refuse to be scored on the validation split.
    func testTrainingOnAllImages() throws {
        let run = try TestSupport.temporaryDirectory().appendingPathComponent("all")
        let train = try self.run(["train", "--validation", "0", "--epochs", "1", "--limit", "128", "--out", run.path])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("on 128 images, no validation;"), train.stdout)
        XCTAssertTrue(train.stdout.contains("no validation; weights of epoch 1 in"), train.stdout)
        let weights = run.appendingPathComponent("model.safetensors").path
        try expectFailure(["evaluate", "--weights", weights, "--split", "val"], mentioning: "was trained without a validation split")
        XCTAssertEqual(try self.run(["evaluate", "--weights", weights]).status, 0)
    }

    func testTrainEvaluatePredictAndResumeOnATinyRun() throws {
        let run = try TestSupport.temporaryDirectory().appendingPathComponent("run")
        // The stand-in's 600 images are too few for the default 10,000 held out.
        try expectFailure(["train", "--epochs", "1", "--out", run.path], mentioning: "600 are too few to hold out 10000 for validation")
        let train = try self.run(["train", "--epochs", "1", "--validation", "150", "--limit", "256", "--val-limit", "128", "--out", run.path])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("epoch   1/1"), train.stdout)
        for file in ["model.safetensors", "last.safetensors", "history.csv", "config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), file)
        }

        let weights = run.appendingPathComponent("model.safetensors").path
        let evaluation = try self.run(["evaluate", "--weights", weights, "--json"])
        XCTAssertEqual(evaluation.status, 0, evaluation.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        XCTAssertNotNil(json["accuracy"] as? Double)
        XCTAssertNotNil(json["loss"] as? Double)
        let classes = try XCTUnwrap(json["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.count, 10)
        XCTAssertEqual(classes.first?["name"] as? String, "T-shirt/top")
        XCTAssertNotNil(classes.first?["f1"] as? Double)
        let confusion = try XCTUnwrap(json["confusion"] as? [[Int]])
        XCTAssertEqual(confusion.flatMap { $0 }.reduce(0, +), TinyFashionMNIST.testCount, "every test image counted once")

        // --split val scores the 150 images this run held out (all of them, not only --val-limit's 128).
        let text = try self.run(["evaluate", "--weights", weights, "--split", "val", "--json"])
        let validation = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(validation["confusion"] as? [[Int]]).flatMap { $0 }.reduce(0, +), 150, text.stderr)

        let predictions = try self.run(["predict", "--weights", weights, "--limit", "5"])
        let lines = predictions.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "index,label,predicted,confidence")
        XCTAssertEqual(lines.count, 6)
        XCTAssertTrue(lines[1].hasPrefix("0,Ankle boot,"), "the first test image is an ankle boot: \(lines[1])")
        let viewed = try self.run(["predict", "--weights", weights, "--limit", "5", "--tta", "--tta-shift"])
        let viewedLines = viewed.stdout.split(separator: "\n")
        XCTAssertEqual(viewedLines.count, 6, viewed.stderr)
        XCTAssertTrue(viewedLines[1].hasPrefix("0,Ankle boot,"), "\(viewedLines[1])")
        XCTAssertNotEqual(viewedLines, lines, "ten views average to other confidences")

        try expectFailure(["train", "--epochs", "1", "--limit", "256", "--out", run.path], mentioning: "--resume")
        let resumed = try self.run(["train", "--resume", "--epochs", "2", "--out", run.path])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming"), resumed.stdout)
        let history = try String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").map { $0.prefix(2) }, ["ep", "1,", "2,"])

        // Pictures of the run: the HTML report, a prediction grid and one image as PNGs.
        let report = try self.run(["report", "--run", run.path])
        XCTAssertEqual(report.status, 0, report.stderr)
        let page = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(page.hasPrefix("<!DOCTYPE html>") && page.contains("id=\"confusion\""))
        let grid = run.appendingPathComponent("grid.png")
        let gridRun = try self.run(["grid", "--weights", weights, "--count", "5", "--columns", "5", "--out", grid.path])
        XCTAssertEqual(gridRun.status, 0, gridRun.stderr)
        XCTAssertTrue(gridRun.stdout.contains("of 5 test images predicted right"), gridRun.stdout)
        let shown = run.appendingPathComponent("image.png")
        let show = try self.run(["show", "--index", "0", "--scale", "3", "--out", shown.path])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("label Ankle boot"), show.stdout)
        for (file, size) in [(grid, nil), (shown, (84, 84))] {
            let bytes = [UInt8](try Data(contentsOf: file))
            XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], file.lastPathComponent)
            if let size {
                XCTAssertEqual(bytes[16 ..< 24].map { $0 }, [0, 0, 0, UInt8(size.0), 0, 0, 0, UInt8(size.1)])
            }
        }
        try expectFailure(["show", "--index", "300", "--out", shown.path], mentioning: "--index 300 is out of range")
        try expectUsageError(["grid", "--weights", weights, "--count", "0"], mentioning: "--count must be between 1 and 1000")
        try expectFailure(["report", "--run", run.appendingPathComponent("nope").path], mentioning: "no such run directory")
    }
}
