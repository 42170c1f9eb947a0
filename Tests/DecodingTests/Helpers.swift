import Decoding
import Foundation
import Imaging
import TestSupport
import XCTest

/// The URL of a file in Tests/Fixtures/images (written by scripts/make_image_fixtures.py).
func imageFixture(_ name: String) -> URL {
    TestSupport.fixtures.appendingPathComponent("images").appendingPathComponent(name)
}

/// The bytes of a fixture.
func imageFixtureData(_ name: String) throws -> Data {
    try Data(contentsOf: imageFixture(name))
}

/// The four quadrant colours of the fixtures' 32×24 picture: red, green / blue, white.
let quadrantColours = [RGB(255, 0, 0), RGB(0, 255, 0), RGB(0, 0, 255), RGB(255, 255, 255)]

/// Checks the colours at the centres of the four quadrants (top-left, top-right, bottom-left, bottom-right).
func assertQuadrants(_ image: RGBImage, _ expected: [RGB], tolerance: Int, _ name: String,
                     file: StaticString = #filePath, line: UInt = #line) {
    let w = image.width, h = image.height
    let centres = [(w / 4, h / 4), (3 * w / 4, h / 4), (w / 4, 3 * h / 4), (3 * w / 4, 3 * h / 4)]
    for ((x, y), want) in zip(centres, expected) {
        let got = image[x, y]
        let off = max(abs(Int(got.r) - Int(want.r)), abs(Int(got.g) - Int(want.g)), abs(Int(got.b) - Int(want.b)))
        XCTAssertLessThanOrEqual(off, tolerance, "\(name) at (\(x), \(y)): \(got), expected \(want)", file: file, line: line)
    }
}

/// Checks that `body` throws a DecodingError whose description contains each of `words`.
func assertDecodingError(_ words: String..., file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> Any) {
    do {
        _ = try body()
        XCTFail("expected a DecodingError mentioning \(words)", file: file, line: line)
    } catch let error as DecodingError {
        for word in words {
            XCTAssertTrue(error.description.contains(word), "“\(error)” does not mention “\(word)”", file: file, line: line)
        }
    } catch {
        XCTFail("expected a DecodingError, got \(error)", file: file, line: line)
    }
}

