import Checkpoint
import Foundation
import Models
import TestSupport
import XCTest

/// A shop's own photos through the real program: training on a generated image folder (cached the
/// second time), fine-tuning, and the shop model used by classify, evaluate and similar.
final class ShopCommandTests: XCTestCase, RunsFashion {
    func testTrainOnAPhotoFolderFineTuneAndUseTheModelEverywhere() throws {
        let root = try TestSupport.temporaryDirectory()
        let shop = try ShopPhotos.make(in: root.appendingPathComponent("shop"), perClass: 12).path
        try Data("not a photo".utf8).write(to: URL(fileURLWithPath: shop).appendingPathComponent("skirt/README"))
        let cache = root.appendingPathComponent("cache").path
        let run = root.appendingPathComponent("run").path
        let common = ["--images", shop, "--model", "resnet20", "--input-size", "16", "--channels", "3", "--batch-size", "12",
                      "--lr", "0.003", "--validation", "0.25", "--cache", cache, "--quiet"]
        let train = try self.run(["train"] + common + ["--epochs", "3", "--balance", "weighted", "--out", run])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("photos: 36 in 3 classes from \(shop), decoded in"), train.stdout)
        XCTAssertTrue(train.stdout.contains("skipped 1 unreadable files"), train.stdout)
        XCTAssertTrue(train.stdout.contains("hat 12, shorts 12, skirt 12"), train.stdout)
        XCTAssertTrue(train.stdout.contains("resnet20 for 3×16×16, 3 classes on 27 images, validating on 9"), train.stdout)
        XCTAssertTrue(train.stdout.contains("balance: weighted"), train.stdout)
        XCTAssertTrue(train.stdout.contains("validation photos (9), best weights"), train.stdout)
        XCTAssertTrue(try String(contentsOfFile: run + "/skipped.txt", encoding: .utf8).hasPrefix("skirt/README: "))
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/validation.txt"))
        let weights = run + "/model.safetensors"
        let saved = try ModelCheckpoint.load(URL(fileURLWithPath: weights), defaultClassNames: [])
        XCTAssertEqual(saved.classNames, ["hat", "shorts", "skirt"])
        XCTAssertEqual(saved.geometry, Models.Geometry(channels: 3, size: 16, classes: 3))

        // The shop model classifies a photo with its own classes and evaluates a folder by name.
        let photo = shop + "/hat/hat-003.png"
        let classify = try self.run(["classify", "--weights", weights, "--top", "3", photo])
        XCTAssertEqual(classify.status, 0, classify.stderr)
        for name in ["hat", "shorts", "skirt"] { XCTAssertTrue(classify.stdout.contains(name), classify.stdout) }
        let evaluate = try self.run(["evaluate", "--weights", weights, "--images", shop])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        XCTAssertTrue(evaluate.stdout.contains("accuracy"), evaluate.stdout)

        let validation = try self.run(["evaluate", "--weights", weights, "--split", "val", "--tta", "--cache", cache])
        XCTAssertEqual(validation.status, 0, validation.stderr)
        XCTAssertTrue(validation.stdout.contains("support") && validation.stdout.contains("skirt"), validation.stdout)
        try expectFailure(["evaluate", "--weights", weights], mentioning: "not Fashion-MNIST's")
        let report = try self.run(["report", "--run", run, "--cache", cache])
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(report.stdout.contains("validation accuracy"), report.stdout)
        let page = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        XCTAssertTrue(page.contains("resnet20 on shop") && page.contains("9 validation photos") && page.contains("skirt"))
        let grid = try self.run(["grid", "--weights", weights, "--images", shop, "--count", "4", "--out", root.appendingPathComponent("grid.png").path])
        XCTAssertEqual(grid.status, 0, grid.stderr)
        XCTAssertTrue(grid.stdout.contains("of 4 photos in \(shop) predicted right"), grid.stdout)

        // Fine-tuning from it with the stem frozen, the second time from the cache.
        let tuned = root.appendingPathComponent("tuned").path
        let fine = try self.run(["train"] + common + ["--epochs", "1", "--from", weights, "--freeze", "conv1,bn1",
                                                      "--from-lr-scale", "0.5", "--out", tuned])
        XCTAssertEqual(fine.status, 0, fine.stderr)
        XCTAssertTrue(fine.stdout.contains("from the cache"), fine.stdout)
        XCTAssertTrue(fine.stdout.contains("fine-tuning from \(weights): loaded"), fine.stdout)
        XCTAssertTrue(fine.stdout.contains("frozen: conv1, bn1"), fine.stdout)

        // Similar items with the shop model's embeddings.
        let index = root.appendingPathComponent("shop.index").path
        let build = try self.run(["index", "build", "--weights", weights, "--out", index, shop + "/hat", shop + "/skirt"])
        XCTAssertEqual(build.status, 0, build.stderr)
        let similar = try self.run(["similar", "--index", index, "--k", "3", "--json", photo])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        XCTAssertTrue(similar.stdout.contains("hat-003"), similar.stdout)

        // Bad input: one line each.
        let one = root.appendingPathComponent("one")
        try FileManager.default.createDirectory(at: one.appendingPathComponent("hat"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: photo, toPath: one.appendingPathComponent("hat/a.png").path)
        try expectFailure(["train", "--images", one.path, "--out", root.appendingPathComponent("r1").path], mentioning: "only one class folder ('hat')")
        try expectFailure(["train", "--images", shop, "--channels", "3", "--out", root.appendingPathComponent("r2").path],
                          mentioning: "seed-cnn flattens its features, so it takes only 1 × 28 × 28 inputs")
        try expectFailure(["train"] + common + ["--model", "vgg-bn-gap", "--from", weights, "--out", root.appendingPathComponent("r3").path],
                          mentioning: "none of the layers of the --from weights (resnet20")
        try expectFailure(["train"] + common + ["--from", weights, "--freeze", "layer9", "--out", root.appendingPathComponent("r4").path],
                          mentioning: "--freeze 'layer9' names no layer")
        try expectUsageError(["train", "--input-size", "32"], mentioning: "--input-size, --channels, --preprocessing and --balance need --images")
        try expectUsageError(["train", "--freeze", "conv1"], mentioning: "--freeze and --from-lr-scale apply to layers loaded with --from")
        try expectFailure(["train"] + common + ["--validation", "2.5", "--out", root.appendingPathComponent("r5").path],
                          mentioning: "must be a whole number")
        try expectFailure(["train", "--images", root.appendingPathComponent("nowhere").path], mentioning: "no such folder")
        try expectFailure(["train", "--recipe", "shop-tune", "--images", shop, "--from", root.appendingPathComponent("none.safetensors").path,
                           "--out", root.appendingPathComponent("r6").path], mentioning: "none.safetensors: no such file (train those weights first")
    }
}
