import Checkpoint
import Foundation
import Models
import TestSupport
import XCTest

/// classify, tag, preprocess, calibrate and evaluate --images run on the decoder fixtures with a small
/// untrained model: every good photo gets a line, every bad one a one-line reason, and nothing crashes.
final class PhotoCommandTests: XCTestCase, RunsFashion {
    let images = TestSupport.fixtures.appendingPathComponent("images")
    let good = ["quadrants.jpg", "gray.jpg", "cmyk.jpg", "orientation6.jpg", "rgb.png", "rgba.png", "palette.png",
                "gray16.png", "lossy.webp", "lossless.webp", "alpha.webp"]
    let bad = ["corrupt.jpg": "corrupt JPEG", "truncated.jpg": "truncated JPEG", "truncated.png": "truncated PNG",
               "truncated.webp": "truncated WebP", "empty.jpg": "empty file", "notes.jpg": "not an image",
               "image.gif": "GIF", "image.bmp": "BMP", "image.tiff": "TIFF", "image.heic": "HEIC",
               "bomb.png": "limit", "bomb.jpg": "limit", "bomb.webp": "limit"]

    func testClassifyPrintsALinePerPhotoAndAnErrorPerBadOne() throws {
        let weights = try weights(in: try TestSupport.temporaryDirectory())
        let paths = good.map { images.appendingPathComponent($0).path }
        let result = try run(["classify", "--weights", weights, "--top", "3"] + paths)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, good.count, result.stdout)
        XCTAssertTrue(lines.allSatisfy { $0.contains("(") }, "top-3 shows two more classes")

        let json = try run(["classify", "--weights", weights, "--json", "--min-confidence", "0.99", paths[0]])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["abstained"] as? Bool, true, "an untrained model is never 99% sure")
        XCTAssertTrue((object["reason"] as? String)?.contains("below the minimum confidence 0.990") == true)

        let mixed = try run(["classify", "--weights", weights, paths[0], images.appendingPathComponent("image.gif").path])
        XCTAssertEqual(mixed.status, 1)
        XCTAssertEqual(mixed.stdout.split(separator: "\n").count, 1, "the good photo is still classified")
        XCTAssertTrue(mixed.stderr.hasPrefix("Error: ") && mixed.stderr.contains("GIF files are not supported"), mixed.stderr)
        try expectUsageError(["classify", "--weights", weights, "--top", "0", paths[0]], mentioning: "--top must be at least 1")
        try expectFailure(["classify", "--weights", "/nonexistent.safetensors", paths[0]], mentioning: "file not found")
        let short = try TestSupport.temporaryDirectory().appendingPathComponent("short.safetensors")
        try ModelCheckpoint.save(Models.seedCNN(seed: 2), architecture: "seed-cnn", classNames: ["a", "b", "c"], to: short)
        try expectFailure(["classify", "--weights", short.path, paths[0]], mentioning: "names 3 classes but its model has 10 outputs")
        for command in [["predict", "--limit", "2"], ["evaluate"], ["grid", "--out", short.path + ".png"], ["embed", "--split", "test", "--limit", "2", "--out", short.path + ".csv"]] {
            try expectFailure(command + ["--weights", short.path], mentioning: "names 3 classes but its model has 10 outputs")
        }
    }

    func testTagTagsGoodFilesReportsBadOnesAndResumes() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try weights(in: directory)
        let folder = directory.appendingPathComponent("photos/nested")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in good + bad.keys {
            try FileManager.default.copyItem(at: images.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try Data("a licence".utf8).write(to: directory.appendingPathComponent("photos/LICENSE"))
        let out = directory.appendingPathComponent("tags.jsonl").path
        let missing = directory.appendingPathComponent("missing.jpg").path
        let arguments = ["tag", directory.appendingPathComponent("photos").path, missing, "--weights", weights, "--out", out, "--top", "2"]
        let first = try run(arguments)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("tagged \(good.count) photos"), first.stdout)
        XCTAssertTrue(first.stdout.contains("\(bad.count + 1) failed"), first.stdout)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, good.count)
        for line in lines {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["path", "sha256", "label", "index", "probability", "top_k", "abstained"] { XCTAssertNotNil(object[key], key) }
            XCTAssertEqual((object["sha256"] as? String)?.count, 64)
            XCTAssertEqual((object["top_k"] as? [Any])?.count, 2)
        }
        let errors = try String(contentsOfFile: out + ".errors.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(errors.count, bad.count + 1)
        for (name, reason) in bad {
            let line = try XCTUnwrap(errors.first { $0.contains("/\(name)\"") }, name)
            XCTAssertTrue(line.contains(reason), "\(name): \(line)")
        }
        XCTAssertTrue(errors.contains { $0.contains("missing.jpg") && $0.contains("no such file") })

        // A kill mid-line: the cut line is dropped and its photo tagged again; the others are skipped.
        var text = try String(contentsOfFile: out, encoding: .utf8)
        text.removeLast(20)
        try text.write(toFile: out, atomically: true, encoding: .utf8)
        let second = try run(arguments)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("tagged 1 photos") && second.stdout.contains("\(good.count - 1) already done"), second.stdout)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count, good.count)

        let csv = directory.appendingPathComponent("tags.csv").path
        XCTAssertEqual(try run(["tag", folder.path, "--weights", weights, "--out", csv, "--format", "csv"]).status, 0)
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "path,sha256,label,index,probability,abstained,reason,top_k")
        XCTAssertEqual(rows.count, good.count + 1)

        try expectFailure(["tag", folder.path, "--weights", weights, "--out", directory.appendingPathComponent("no/such/dir/t.jsonl").path],
                              mentioning: "does not exist")
        try expectFailure(["tag", folder.path, "--weights", directory.appendingPathComponent("tags.jsonl").path, "--out", out],
                              mentioning: "tags.jsonl")
        try expectFailure(["tag", folder.path, "--weights", weights, "--out", weights], mentioning: "not a line of a jsonl tag file")
    }

    func testEvaluateAndCalibrateOnAFolderOfLabelledPhotos() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try weights(in: directory)
        let root = directory.appendingPathComponent("labelled")
        for (folder, names) in [("Dress", ["quadrants.jpg", "rgb.png", "lossy.webp"]), ("shoes", ["gray.jpg", "palette.png", "cmyk.jpg"]),
                                ("hat", ["rgba.png"])] {
            let url = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for name in names { try FileManager.default.copyItem(at: images.appendingPathComponent(name), to: url.appendingPathComponent(name)) }
        }
        let map = directory.appendingPathComponent("map.csv")
        try "shoes,Sandal;Sneaker;Ankle boot\n".write(to: map, atomically: true, encoding: .utf8)
        let result = try run(["evaluate", "--weights", weights, "--images", root.path, "--class-map", map.path, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("left out: hat"), result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["images"] as? Int, 6)
        let folders = try XCTUnwrap(object["folders"] as? [[String: Any]])
        XCTAssertEqual(folders.map { $0["name"] as? String }, ["Dress", "shoes"])
        XCTAssertEqual(folders[1]["accepted"] as? [String], ["Sandal", "Sneaker", "Ankle boot"])
        let confusion = try XCTUnwrap(object["confusion"] as? [[Int]])
        XCTAssertEqual(confusion.map { $0.reduce(0, +) }, [3, 3])
        let abstention = try XCTUnwrap(object["abstention"] as? [[String: Any]])
        XCTAssertEqual(abstention.map { $0["min_confidence"] as? Double }, [0.3, 0.5, 0.7, 0.9])
        let coverage = abstention.compactMap { $0["coverage"] as? Double }
        XCTAssertEqual(coverage, coverage.sorted(by: >), "a higher threshold never tags more")

        let calibrated = directory.appendingPathComponent("calibrated.safetensors").path
        let calibrate = try run(["calibrate", "--weights", weights, "--images", root.path, "--class-map", map.path, "--out", calibrated])
        XCTAssertEqual(calibrate.status, 0, calibrate.stderr)
        XCTAssertTrue(calibrate.stdout.contains("temperature"), calibrate.stdout)
        let file = try SafeTensors.read(URL(fileURLWithPath: calibrated))
        XCTAssertNotNil(file.metadata["temperature"].flatMap(Float.init))
        XCTAssertNotNil(file.metadata["calibration"])
        XCTAssertEqual(try run(["classify", "--weights", calibrated, images.appendingPathComponent("rgb.png").path]).status, 0)

        try expectFailure(["evaluate", "--weights", weights, "--images", directory.appendingPathComponent("nope").path], mentioning: "no such folder")
        try "shoes,Boots\n".write(to: map, atomically: true, encoding: .utf8)
        try expectFailure(["evaluate", "--weights", weights, "--images", root.path, "--class-map", map.path], mentioning: "'Boots'")
        try expectUsageError(["calibrate", "--weights", weights], mentioning: "--split val or --images")
        try expectUsageError(["evaluate", "--weights", weights, "--subset", "val"], mentioning: "need --images")
    }

    func testPreprocessDrawsTheSteps() throws {
        let directory = try TestSupport.temporaryDirectory()
        let out = directory.appendingPathComponent("steps.png").path
        let result = try run(["preprocess", images.appendingPathComponent("quadrants.jpg").path,
                                  images.appendingPathComponent("rgb.png").path, "--method", "both", "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("4 rows"), result.stdout)
        XCTAssertEqual(Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))).prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        try expectFailure(["preprocess", images.appendingPathComponent("image.gif").path, "--out", out], mentioning: "GIF")
        try expectUsageError(["preprocess", images.appendingPathComponent("rgb.png").path, "--method", "magic"], mentioning: "--method")
    }
}
