import Foundation
import Fuzzing
import XCTest

/// Every fuzz harness runs over its committed seed corpus (and simple mutations of it) without a
/// crash, so the harnesses build, reach their parsers and stay usable by scripts/fuzz.sh.
final class FuzzingTests: XCTestCase {
    static let corpora = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    func testEveryHarnessHasASeedCorpusAndRunsOverIt() throws {
        for harness in Harness.all {
            let folder = Self.corpora.appendingPathComponent(harness.name)
            let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            XCTAssertFalse(files.isEmpty, "\(harness.name): no seeds in \(folder.path)")
            for file in files {
                let bytes = [UInt8](try Data(contentsOf: file))
                harness.run(bytes)
                // Cut short, one byte flipped, and empty: parse or throw, never crash.
                harness.run(Array(bytes.prefix(bytes.count / 2)))
                if !bytes.isEmpty {
                    var flipped = bytes
                    flipped[bytes.count * 7 / 13] ^= 0xFF
                    harness.run(flipped)
                }
                harness.run([])
            }
        }
    }

    func testHarnessNamesAreUniqueAndFindable() {
        XCTAssertEqual(Set(Harness.all.map(\.name)).count, Harness.all.count)
        XCTAssertEqual(Harness.named("idx")?.name, "idx")
        XCTAssertNil(Harness.named("nope"))
    }
}
