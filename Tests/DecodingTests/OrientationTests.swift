@testable import Decoding
import Imaging
import TestSupport
import XCTest

final class OrientationTests: XCTestCase {
    /// A 2×3 picture whose pixels are labelled a…f in reading order (a b / c d / e f).
    private let stored: RGBImage = {
        var image = RGBImage(width: 2, height: 3)
        for (i, label) in "abcdef".enumerated() { image[i % 2, i / 2] = RGB(label.asciiValue!, 0, 0) }
        return image
    }()

    /// The labels of `image`, rows separated by "/".
    private func labels(_ image: RGBImage) -> String {
        (0 ..< image.height).map { y in
            String((0 ..< image.width).map { Character(Unicode.Scalar(image[$0, y].r)) })
        }.joined(separator: "/")
    }

    /// The EXIF definitions say where the stored 0th row and 0th column appear when shown upright:
    /// 1 top/left, 2 top/right, 3 bottom/right, 4 bottom/left, 5 left/top, 6 right/top,
    /// 7 right/bottom, 8 left/bottom. Written out for a b / c d / e f:
    func testAllEightOrientationsOnA2x3Picture() {
        let upright = [
            1: "ab/cd/ef", 2: "ba/dc/fe", 3: "fe/dc/ba", 4: "ef/cd/ab",
            5: "ace/bdf", 6: "eca/fdb", 7: "fdb/eca", 8: "bdf/ace",
        ]
        for (orientation, expected) in upright {
            XCTAssertEqual(labels(Orientation.apply(orientation, to: stored)), expected, "orientation \(orientation)")
        }
        XCTAssertEqual(Orientation.apply(0, to: stored), stored)
        XCTAssertEqual(Orientation.apply(9, to: stored), stored)
    }

    /// TIFF data holding IFD0 with one SHORT entry: tag, type, count 1, value.
    private func tiff(bigEndian: Bool, tag: UInt16 = 0x0112, type: UInt16 = 3, value: UInt16) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) -> [UInt8] { bigEndian ? u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) : u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) }
        let header: [UInt8] = bigEndian ? Array("MM".utf8) : Array("II".utf8)
        return header + u16(42) + u32(8) + u16(2) + u16(0x010F) + u16(2) + u32(1) + u32(0)
            + u16(tag) + u16(type) + u32(1) + u16(value) + u16(0) + u32(0)
    }

    func testEXIFOrientationTag() {
        for value in UInt16(1) ... 8 {
            XCTAssertEqual(Orientation.fromTIFF(tiff(bigEndian: true, value: value)), Int(value))
            XCTAssertEqual(Orientation.fromTIFF(tiff(bigEndian: false, value: value)), Int(value))
            XCTAssertEqual(Orientation.fromTIFF(Array("Exif\0\0".utf8) + tiff(bigEndian: false, value: value)), Int(value))
        }
        XCTAssertEqual(Orientation.fromTIFF(tiff(bigEndian: true, value: 9)), 1)
        XCTAssertEqual(Orientation.fromTIFF(tiff(bigEndian: true, value: 0)), 1)
        XCTAssertEqual(Orientation.fromTIFF(tiff(bigEndian: true, type: 7, value: 6)), 1)
        XCTAssertEqual(Orientation.fromTIFF(tiff(bigEndian: true, tag: 0x0113, value: 6)), 1)
    }

    func testJunkEXIFMeansUpright() {
        var generator = SplitMix64(seed: 13)
        let good = tiff(bigEndian: false, value: 6)
        XCTAssertEqual(Orientation.fromTIFF([]), 1)
        for length in 0 ..< good.count where length < 30 {  // cut before the value
            XCTAssertEqual(Orientation.fromTIFF(Array(good.prefix(length))), 1, "cut at \(length)")
        }
        var hugeOffset = good
        hugeOffset[4 ... 7] = [0xFF, 0xFF, 0xFF, 0xFF]
        XCTAssertEqual(Orientation.fromTIFF(hugeOffset), 1)
        for _ in 0 ..< 2000 {
            var junk = good
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &generator) {
                junk[Int.random(in: 0 ..< junk.count, using: &generator)] = UInt8.random(in: 0 ... 255, using: &generator)
            }
            XCTAssertTrue((1 ... 8).contains(Orientation.fromTIFF(junk)))
            let noise = (0 ..< Int.random(in: 0 ... 40, using: &generator)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            XCTAssertTrue((1 ... 8).contains(Orientation.fromTIFF(Array("MM\0*".utf8) + noise)))
        }
    }

    func testOrientationFoundInEachContainer() throws {
        XCTAssertEqual(Orientation.of(try [UInt8](imageFixtureData("orientation6.jpg")), format: .jpeg), 6)
        XCTAssertEqual(Orientation.of(try [UInt8](imageFixtureData("orientation8.jpg")), format: .jpeg), 8)
        XCTAssertEqual(Orientation.of(try [UInt8](imageFixtureData("orientation6.png")), format: .png), 6)
        XCTAssertEqual(Orientation.of(try [UInt8](imageFixtureData("orientation6.webp")), format: .webp), 6)
        XCTAssertEqual(Orientation.of(try [UInt8](imageFixtureData("quadrants.jpg")), format: .jpeg), 1)
        XCTAssertEqual(Orientation.of(Array("\u{FF}\u{D8}".utf8), format: .jpeg), 1)
    }
}
