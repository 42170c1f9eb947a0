import Decoding
import Foundation
import TestSupport
import XCTest

final class RobustnessTests: XCTestCase {
    /// Decodes `data`, which must either work or throw a DecodingError.
    private func decodeOrThrow(_ data: Data, _ what: String, minimumSide: Int? = nil) {
        do {
            let image = try ImageDecoder.decode(data, minimumSide: minimumSide)
            XCTAssertEqual(image.pixels.count, image.width * image.height * 3, what)
        } catch is DecodingError {
        } catch {
            XCTFail("\(what): \(error) is not a DecodingError")
        }
    }

    func testTruncationsAndCorruptionsOfEveryGoodFixture() throws {
        var generator = SplitMix64(seed: 2024)
        let start = Date()
        for (name, _, _) in FixtureTests.good {
            let bytes = try [UInt8](imageFixtureData(name))
            for k in 0 ..< 64 {
                let length = bytes.count * k / 64
                decodeOrThrow(Data(bytes.prefix(length)), "\(name) cut at \(length)")
                _ = try? ImageDecoder.size(of: Data(bytes.prefix(length)))
            }
            for _ in 0 ..< 200 {
                var corrupt = bytes
                let at = Int.random(in: 0 ..< corrupt.count, using: &generator)
                corrupt[at] = UInt8.random(in: 0 ... 255, using: &generator)
                decodeOrThrow(Data(corrupt), "\(name) with byte \(at) changed", minimumSide: at % 2 == 0 ? 8 : nil)
                _ = try? ImageDecoder.size(of: Data(corrupt))
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
    }

    func testRandomBytesAfterEachMagicNumber() {
        var generator = SplitMix64(seed: 99)
        let magics: [[UInt8]] = [
            [0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
            Array("RIFF\u{40}\0\0\0WEBPVP8 ".utf8), Array("RIFF\u{40}\0\0\0WEBPVP8L".utf8),
            Array("RIFF\u{40}\0\0\0WEBPVP8X".utf8),
        ]
        for magic in magics {
            for _ in 0 ..< 300 {
                let junk = (0 ..< Int.random(in: 0 ... 200, using: &generator)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
                decodeOrThrow(Data(magic + junk), "junk after \(magic)")
                _ = try? ImageDecoder.size(of: Data(magic + junk))
            }
        }
    }
}
