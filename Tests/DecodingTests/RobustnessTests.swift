import Decoding
import Foundation
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
        var generator = SeededGenerator(state: 2024)
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
}
