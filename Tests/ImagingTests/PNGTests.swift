import Foundation
@testable import Imaging
import TestSupport
import XCTest

final class PNGTests: XCTestCase {
    /// A small picture with every byte value pattern different per channel.
    private func sample() -> RGBImage {
        var image = RGBImage(width: 13, height: 6)
        for y in 0 ..< 6 {
            for x in 0 ..< 13 { image[x, y] = RGB(UInt8(x * 19 % 256), UInt8(y * 41 % 256), UInt8((x + y) * 7)) }
        }
        return image
    }

    func testRoundTrip() throws {
        let image = sample()
        XCTAssertEqual(try PNG.decode(PNG.encode(image)), image)
    }

    func testEncodedLayout() throws {
        let bytes = [UInt8](PNG.encode(sample()))
        XCTAssertEqual(Array(bytes[0 ..< 8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(String(decoding: bytes[12 ..< 16], as: UTF8.self), "IHDR")
        XCTAssertEqual(PNG.readBigEndian(bytes, 16), 13)  // width
        XCTAssertEqual(PNG.readBigEndian(bytes, 20), 6)   // height
        XCTAssertEqual(Array(bytes[24 ..< 29]), [8, 2, 0, 0, 0])
        XCTAssertEqual(String(decoding: bytes[bytes.count - 8 ..< bytes.count - 4], as: UTF8.self), "IEND")
        // The CRC of IEND's type alone is a known constant.
        XCTAssertEqual(PNG.readBigEndian(bytes, bytes.count - 4), 0xAE42_6082)
    }

    /// Files written by scripts/make_png_fixtures.py: one row per filter type, an ancillary chunk.
    func testReadsEveryFilterAndColourType() throws {
        for (name, channels) in [("filters_rgb.png", 3), ("filters_gray.png", 1), ("filters_rgba.png", 4)] {
            let data = try Data(contentsOf: TestSupport.fixtures.appendingPathComponent(name))
            let image = try PNG.decode(data)
            XCTAssertEqual(image.width, 7, name)
            XCTAssertEqual(image.height, 5, name)
            for y in 0 ..< 5 {
                for x in 0 ..< 7 {
                    func v(_ c: Int) -> UInt8 { UInt8((37 * x + 91 * y + 53 * (channels == 1 ? 0 : c)) % 256) }
                    XCTAssertEqual(image[x, y], RGB(v(0), v(1), v(2)), "\(name) pixel (\(x), \(y))")
                }
            }
        }
    }

    func testRejectsBadFiles() throws {
        let good = [UInt8](PNG.encode(sample()))
        func error(_ bytes: [UInt8]) -> String? {
            do { _ = try PNG.decode(Data(bytes)); return nil } catch { return "\(error)" }
        }
        XCTAssertEqual(error(Array("GIF89a".utf8)), "not a PNG file (bad signature)")
        XCTAssertEqual(error(Array(good[0 ..< 8])), "truncated at byte 8")
        XCTAssertNotNil(error(Array(good[0 ..< good.count - 1])))

        var badCRC = good
        badCRC[29] ^= 0xFF  // last byte of IHDR's CRC
        XCTAssertEqual(error(badCRC), "chunk IHDR has a bad CRC")

        var sixteenBit = good
        sixteenBit[24] = 16
        let crc = PNG.crc(Array(sixteenBit[12 ..< 29]))
        sixteenBit.replaceSubrange(29 ..< 33, with: PNG.bigEndian(crc))
        XCTAssertEqual(error(sixteenBit), "only 8-bit, non-interlaced PNGs are supported")

        // A header that promises more rows than the pixel data holds.
        var taller = good
        taller[23] = 7
        taller.replaceSubrange(29 ..< 33, with: PNG.bigEndian(PNG.crc(Array(taller[12 ..< 29]))))
        XCTAssertEqual(error(taller), "pixel data does not match the 280-byte size in IHDR")
    }

    func testDrawGrayUpscalesWithNearestNeighbour() {
        var image = RGBImage(width: 8, height: 4, fill: .black)
        image.drawGray([0, 255], width: 2, height: 1, x: 1, y: 1, scale: 3)
        XCTAssertEqual(image[0, 0], .black)
        XCTAssertEqual(image[1, 1], .black)
        XCTAssertEqual(image[3, 3], .black)
        XCTAssertEqual(image[4, 1], .white)
        XCTAssertEqual(image[6, 3], .white)
        XCTAssertEqual(image[7, 3], .black)
        var inverted = RGBImage(width: 2, height: 1)
        inverted.drawGray([0, 255], width: 2, height: 1, x: 0, y: 0, scale: 1, inverted: true)
        XCTAssertEqual(inverted[0, 0], .white)
        XCTAssertEqual(inverted[1, 0], .black)
    }
}

final class RGBImageTests: XCTestCase {
    func testRectanglesAreClippedToTheImage() {
        var image = RGBImage(width: 4, height: 3)
        image.fillRect(x: -10, y: -10, width: 5, height: 5, color: .black)  // wholly outside: nothing
        image.fillRect(x: 9, y: 0, width: 2, height: 2, color: .black)
        XCTAssertEqual(image, RGBImage(width: 4, height: 3))
        image.fillRect(x: 2, y: -1, width: 10, height: 2, color: .black)   // partly outside
        XCTAssertEqual(image[2, 0], .black)
        XCTAssertEqual(image[3, 0], .black)
        XCTAssertEqual(image[1, 0], .white)
        XCTAssertEqual(image[2, 1], .white)
        image.strokeRect(x: -1, y: -1, width: 3, height: 3, thickness: 1, color: .wrong)
        XCTAssertEqual(image[1, 1], .wrong)
        XCTAssertEqual(image[0, 0], .white)
    }

    func testDrawingAnImageIsClipped() {
        var canvas = RGBImage(width: 3, height: 3)
        let black = RGBImage(width: 2, height: 2, fill: .black)
        canvas.draw(black, x: 2, y: -1)
        XCTAssertEqual(canvas[2, 0], .black)
        XCTAssertEqual(canvas[2, 1], .white)
        XCTAssertEqual(canvas[1, 0], .white)
        canvas.draw(black, x: 5, y: 5)  // wholly outside: nothing
        canvas.draw(black, x: -2, y: 0)
        XCTAssertEqual(canvas[0, 0], .white)
    }
}
