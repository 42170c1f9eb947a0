import Checkpoint
import Foundation
import Models
import TestSupport
import XCTest

/// embed, index build/add/remove/compact/info, similar and duplicates through the real executable,
/// on dataset images and the decoder's photo fixtures, with small untrained models.
final class SimilarityCommandTests: XCTestCase, RunsFashion {
    let images = TestSupport.fixtures.appendingPathComponent("images")

    /// An untrained resnet20 (seeded) saved in `directory`.
    func checkpoint(_ directory: URL, seed: UInt64) throws -> String {
        let url = directory.appendingPathComponent("resnet\(seed).safetensors")
        try ModelCheckpoint.save(Models.resNet(seed: seed, blocksPerStage: 3, width: 16), architecture: "resnet20",
                                 classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
                                 to: url)
        return url.path
    }

    func testIndexSimilarAndDuplicatesOnDatasetImagesAndPhotos() throws {
        let directory = try TestSupport.temporaryDirectory()
        let real = try checkpoint(directory, seed: 1)
        let index = directory.appendingPathComponent("test.index").path
        let build = try run(["index", "build", "--weights", real, "--split", "test", "--limit", "200", "--out", index])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertTrue(build.stdout.contains("indexed 200 images (64 values each, resnet20"), build.stdout)
        let info = try run(["index", "info", "--index", index])
        XCTAssertTrue(info.stdout.contains("items: 200 (0 freed slots)"), info.stdout)

        // Queries that are in the index are left out of their own results.
        let similar = try run(["similar", "--index", index, "--split", "test", "--limit", "3", "--k", "4", "--json"])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        let lines = similar.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        for (n, line) in lines.enumerated() {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(object["id"] as? String, "test:\(n)")
            let neighbours = try XCTUnwrap(object["neighbours"] as? [[String: Any]])
            XCTAssertEqual(neighbours.count, 4)
            XCTAssertFalse(neighbours.contains { $0["id"] as? String == "test:\(n)" }, "the query itself is excluded")
            let scores = neighbours.compactMap { $0["score"] as? Double }
            XCTAssertEqual(scores, scores.sorted(by: >))
        }
        let sameLabel = try run(["similar", "--index", index, "--split", "test", "--limit", "2", "--k", "3", "--same-label", "--json"])
        for line in sameLabel.stdout.split(separator: "\n") {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let neighbours = try XCTUnwrap(object["neighbours"] as? [[String: Any]])
            XCTAssertTrue(neighbours.allSatisfy { $0["label"] as? String == object["label"] as? String })
        }
        let png = directory.appendingPathComponent("similar.png").path
        let drawn = try run(["similar", "--index", index, "--split", "test", "--limit", "2", "--out", png])
        XCTAssertEqual(drawn.status, 0, drawn.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: png))
        let quality = try run(["similar", "--index", index, "--evaluate", "--k", "5"])
        XCTAssertEqual(quality.status, 0, quality.stderr)
        XCTAssertTrue(quality.stdout.contains("200 queries against 200 items (each item against the rest)"), quality.stdout)
        XCTAssertTrue(quality.stdout.contains("precision@5 0."), quality.stdout)

        // Photos: added by path, the same bytes under two names found as identical, removed by id.
        let photos = directory.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for name in ["rgb.png", "quadrants.jpg", "lossy.webp"] {
            try FileManager.default.copyItem(at: images.appendingPathComponent(name), to: photos.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: images.appendingPathComponent("rgb.png"), to: photos.appendingPathComponent("copy.png"))
        try FileManager.default.copyItem(at: images.appendingPathComponent("notes.jpg"), to: photos.appendingPathComponent("notes.jpg"))
        let add = try run(["index", "add", "--index", index, photos.path])
        XCTAssertEqual(add.status, 1, "one file is not an image")
        XCTAssertTrue(add.stdout.contains("added 4, replaced 0, 1 failed: 204 items"), add.stdout)
        XCTAssertTrue(add.stderr.contains("notes.jpg") && add.stderr.contains("not an image"), add.stderr)
        let duplicates = try run(["duplicates", "--index", index, "--json", "--threshold", "0.9999"])
        XCTAssertEqual(duplicates.status, 0, duplicates.stderr)
        XCTAssertTrue(duplicates.stdout.contains(#""identical":true"#) && duplicates.stdout.contains("copy.png"), duplicates.stdout)
        let copy = photos.appendingPathComponent("copy.png").relativePath
        let remove = try run(["index", "remove", "--index", index, copy])
        XCTAssertEqual(remove.status, 0, remove.stderr)
        XCTAssertTrue(remove.stdout.contains("203 items"), remove.stdout)
        try expectFailure(["index", "remove", "--index", index, copy], mentioning: "not in the index")
        let compact = try run(["index", "compact", "--index", index])
        XCTAssertTrue(compact.stdout.contains("dropped 1 freed slots: 203 items"), compact.stdout)
        let embed = try run(["embed", "--weights", real, photos.appendingPathComponent("rgb.png").path, "--out",
                             directory.appendingPathComponent("v.safetensors").path])
        XCTAssertEqual(embed.status, 0, embed.stderr)

        // A query photo that cannot be read: an Error line, the others answered, exit status 1.
        let mixed = try run(["similar", "--index", index, "--k", "2", photos.appendingPathComponent("rgb.png").path,
                             photos.appendingPathComponent("notes.jpg").path])
        XCTAssertEqual(mixed.status, 1)
        XCTAssertTrue(mixed.stdout.contains("rgb.png") && mixed.stdout.contains(" 2. "), mixed.stdout)
        XCTAssertTrue(mixed.stderr.hasPrefix("Error: ") && mixed.stderr.contains("notes.jpg"), mixed.stderr)

        // Refusals, one line each.
        try expectUsageError(["similar", "--index", index, "--split", "test", "--limit", "1", "--k", "0"], mentioning: "--k must be at least 1")
        try expectFailure(["similar", "--index", index, "--split", "test", "--limit", "1", "--k", "5000"], mentioning: "more than the 203 items")
        try expectFailure(["similar", "--index", directory.appendingPathComponent("none.index").path, "--split", "test"],
                          mentioning: "no such index file")
        try expectFailure(["similar", "--index", real, "--split", "test"], mentioning: "not a catalogue index")
        let truncated = directory.appendingPathComponent("cut.index")
        try Data(try Data(contentsOf: URL(fileURLWithPath: index)).prefix(1000)).write(to: truncated)
        try expectFailure(["index", "info", "--index", truncated.path], mentioning: "not a catalogue index")
        let other = try checkpoint(directory, seed: 2)
        try expectFailure(["similar", "--index", index, "--weights", other, "--split", "test", "--limit", "1"],
                          mentioning: "is not the weights")
        try expectFailure(["index", "add", "--index", index, "--weights", other, "--split", "train", "--limit", "1"],
                          mentioning: "is not the weights")
        let pixels = directory.appendingPathComponent("pixels.index").path
        XCTAssertEqual(try run(["index", "build", "--pixels", "--split", "train", "--limit", "50", "--out", pixels]).status, 0)
        try expectFailure(["duplicates", "--index", index, "--against", pixels], mentioning: "different embeddings")
        try expectFailure(["similar", "--index", pixels, "--split", "test", "--limit", "1", "--same-label"], mentioning: "without predicted classes")
        try expectUsageError(["index", "build", "--split", "test", "--out", pixels], mentioning: "give --weights W or --pixels")
        try expectUsageError(["index", "remove", "--index", index], mentioning: "Missing expected argument '<ids> ...'")
        let unchanged = try run(["index", "info", "--index", index])
        XCTAssertTrue(unchanged.stdout.contains("items: 203"), "refused changes leave the index as it was")
    }

    func testApproximateIndexIsBuiltUsedAndKeptUpToDate() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try checkpoint(directory, seed: 1)
        let index = directory.appendingPathComponent("a.index").path
        let build = try run(["index", "build", "--weights", weights, "--split", "train", "--limit", "300", "--approximate", "--out", index])
        XCTAssertEqual(build.status, 0, build.stderr)
        XCTAssertTrue(build.stdout.contains("approximate index (HNSW"), build.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: index + ".hnsw"))
        let approximate = try run(["similar", "--index", index, "--split", "train", "--limit", "20", "--k", "5", "--json"])
        let exact = try run(["similar", "--index", index, "--split", "train", "--limit", "20", "--k", "5", "--json", "--exact"])
        XCTAssertEqual(approximate.status, 0, approximate.stderr)
        func ids(_ text: String) throws -> [[String]] {
            try text.split(separator: "\n").map { line in
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try XCTUnwrap(object["neighbours"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            }
        }
        let hits = zip(try ids(approximate.stdout), try ids(exact.stdout)).map { Set($0).intersection($1).count }.reduce(0, +)
        XCTAssertGreaterThanOrEqual(hits, 95, "recall@5 over 20 queries")
        let add = try run(["index", "add", "--index", index, "--split", "test", "--limit", "10"])
        XCTAssertEqual(add.status, 0, add.stderr)
        XCTAssertTrue(try run(["index", "info", "--index", index]).stdout.contains("HNSW over 310 slots"))
        // A graph left behind by an older index is refused with the way out.
        let stale = directory.appendingPathComponent("b.index").path
        XCTAssertEqual(try run(["index", "build", "--weights", weights, "--split", "test", "--limit", "5", "--out", stale]).status, 0)
        try FileManager.default.copyItem(atPath: index + ".hnsw", toPath: stale + ".hnsw")
        try expectFailure(["similar", "--index", stale, "--split", "test", "--limit", "1", "--k", "2"], mentioning: "out of date")
        XCTAssertEqual(try run(["index", "compact", "--index", stale]).status, 0)
        XCTAssertEqual(try run(["similar", "--index", stale, "--split", "test", "--limit", "1", "--k", "2"]).status, 0)
    }
}
