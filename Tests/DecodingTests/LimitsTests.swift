@testable import Decoding
import XCTest

final class LimitsTests: XCTestCase {
    func testDeclaredSizesAreCheckedWithoutOverflow() {
        let limits = DecodingLimits.default
        XCTAssertNoThrow(try limits.checkImage(width: 8000, height: 5000))
        assertDecodingError("8001×5000 = 40 MP, over the 40 MP limit") { try limits.checkImage(width: 8001, height: 5000) }
        assertDecodingError("too many pixels", "limit") { try limits.checkImage(width: Int.max, height: 2) }
        assertDecodingError("no pixels (0×10)") { try limits.checkImage(width: 0, height: 10) }
        assertDecodingError("no pixels (-3×-3)") { try limits.checkImage(width: -3, height: -3) }
    }

    func testFileSizes() {
        let limits = DecodingLimits(maxFileBytes: 2048)
        XCTAssertNoThrow(try limits.checkFile(bytes: 2048))
        assertDecodingError("file is 2049 bytes, over the 2048 bytes limit") { try limits.checkFile(bytes: 2049) }
        assertDecodingError("file is 3 KB, over the 2 KB limit") { try limits.checkFile(bytes: 3072) }
        assertDecodingError("empty file") { try limits.checkFile(bytes: 0) }
    }

    func testReadableAmounts() {
        XCTAssertEqual(DecodingLimits.pixels(900_000_000), "900 MP")
        XCTAssertEqual(DecodingLimits.pixels(2_500_000), "2.5 MP")
        XCTAssertEqual(DecodingLimits.pixels(768), "768 pixels")
        XCTAssertEqual(DecodingLimits.bytes(64 << 20), "64 MB")
        XCTAssertEqual(DecodingLimits.bytes(1536), "1.5 KB")
        XCTAssertEqual(DecodingLimits.bytes(300), "300 bytes")
    }
}
