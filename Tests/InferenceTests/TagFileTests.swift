@testable import Inference
import Foundation
import XCTest

/// Tag lines are written in both formats and read back for resuming; a line cut by a kill is dropped,
/// and a file that is not a tag file is refused rather than appended to.
final class TagFileTests: XCTestCase {
    func record(_ path: String, abstained: Bool = false) -> TagRecord {
        let top = [RankedClass(label: "Dress", index: 3, probability: 0.75), RankedClass(label: "Coat", index: 4, probability: 0.125)]
        return TagRecord(path: path, sha256: String(repeating: "ab", count: 32),
                         classification: Classification(label: "Dress", index: 3, probability: 0.75, topK: top,
                                                        abstained: abstained, reason: abstained ? "too unsure" : nil))
    }

    func testJSONLinesRoundTripWithTheDocumentedKeys() throws {
        let line = TagFile.line(record("a/b.jpg", abstained: true), format: .jsonl)
        XCTAssertTrue(line.hasSuffix("}\n"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["path", "sha256", "label", "index", "probability", "top_k", "abstained", "reason"])
        XCTAssertEqual(object["path"] as? String, "a/b.jpg")
        XCTAssertEqual((object["top_k"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual(try JSONDecoder().decode(TagRecord.self, from: Data(line.utf8)), record("a/b.jpg", abstained: true))
    }

    func testResumeSkipsCompleteLinesAndDropsACutOne() throws {
        for format in TagFile.Format.allCases {
            var text = format == .csv ? TagFile.csvHeader + "\n" : ""
            text += TagFile.line(record("one.jpg"), format: format) + TagFile.line(record("dir,with \"quotes\"/two.png"), format: format)
            let complete = text.utf8.count
            let cut = String(TagFile.line(record("three.jpg"), format: format).dropLast(7))
            let state = try TagFile.resumeState(of: Data((text + cut).utf8), format: format, file: "tags")
            XCTAssertEqual(state.paths, ["one.jpg", "dir,with \"quotes\"/two.png"], "\(format)")
            XCTAssertEqual(state.completeLength, complete, "\(format)")
        }
        XCTAssertTrue(try TagFile.resumeState(of: Data(), format: .csv, file: "tags").isEmpty)
    }

    func testAnotherFileIsRefused() {
        for (text, format) in [("hello\n", TagFile.Format.jsonl), ("{\"path\": 3}\n", .jsonl), ("a,b\n", .csv),
                               (TagFile.csvHeader + "\n\"unterminated\n", .csv)] {
            XCTAssertThrowsError(try TagFile.resumeState(of: Data(text.utf8), format: format, file: "tags")) { error in
                XCTAssertTrue("\(error)".contains("tags:"), "\(error)")
            }
        }
    }

    func testCSVFieldsAreQuotedOnlyWhenNeeded() {
        XCTAssertEqual(TagFile.csvField("plain.jpg"), "plain.jpg")
        XCTAssertEqual(TagFile.csvField("a,b"), "\"a,b\"")
        XCTAssertEqual(TagFile.csvField("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(TagFile.firstCSVField("\"a,\"\"b\"\"\",rest"), "a,\"b\"")
        XCTAssertNil(TagFile.firstCSVField("no-comma"))
    }
}
