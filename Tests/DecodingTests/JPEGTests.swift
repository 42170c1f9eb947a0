@testable import Decoding
import Foundation
import Imaging
import XCTest

final class JPEGTests: XCTestCase {
    /// A photo-like 400×300 picture: smooth gradients with a few solid blocks.
    private func picture(width: Int = 400, height: Int = 300) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0 ..< height {
            for x in 0 ..< width { image[x, y] = RGB(UInt8(x * 255 / width), UInt8(y * 255 / height), 128) }
        }
        image.fillRect(x: 40, y: 40, width: 120, height: 80, color: RGB(200, 30, 30))
        image.fillRect(x: 240, y: 160, width: 120, height: 100, color: RGB(20, 20, 160))
        return image
    }

    /// The mean absolute difference per sample of two pictures of one size.
    private func meanDifference(_ a: RGBImage, _ b: RGBImage) -> Double {
        Double(zip(a.pixels, b.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(a.pixels.count)
    }

    /// `image` shrunk by an integer `factor`, each output pixel the mean of a factor × factor block.
    private func areaAveraged(_ image: RGBImage, by factor: Int) -> RGBImage {
        var out = RGBImage(width: image.width / factor, height: image.height / factor)
        for y in 0 ..< out.height {
            for x in 0 ..< out.width {
                var sum = [0, 0, 0]
                for dy in 0 ..< factor {
                    for dx in 0 ..< factor {
                        let p = image[x * factor + dx, y * factor + dy]
                        sum[0] += Int(p.r); sum[1] += Int(p.g); sum[2] += Int(p.b)
                    }
                }
                let n = factor * factor
                out[x, y] = RGB(UInt8(sum[0] / n), UInt8(sum[1] / n), UInt8(sum[2] / n))
            }
        }
        return out
    }

    func testEncodeDecodeRoundTrip() throws {
        let image = picture()
        let data = try JPEGEncoder.encode(image, quality: 90)
        XCTAssertEqual(ImageFormat.sniff(data), .jpeg)
        let decoded = try ImageDecoder.decode(data)
        XCTAssertEqual([decoded.width, decoded.height], [400, 300])
        XCTAssertLessThan(meanDifference(image, decoded), 3)
        XCTAssertLessThan(try JPEGEncoder.encode(image, quality: 20).count, data.count)
        assertDecodingError("quality") { try JPEGEncoder.encode(image, quality: 0) }
        assertDecodingError("quality") { try JPEGEncoder.encode(image, quality: 101) }
    }

    func testCutInTheScanIsTruncated() throws {
        let data = try JPEGEncoder.encode(picture(), quality: 90)
        assertDecodingError("truncated JPEG") { try ImageDecoder.decode(data.prefix(data.count * 2 / 3)) }
        XCTAssertEqual(try ImageDecoder.size(of: data.prefix(data.count / 2)).width, 400)  // the header is intact
    }

    func testReducedScaleDecoding() throws {
        let data = try JPEGEncoder.encode(picture(), quality: 90)
        let full = try ImageDecoder.decode(data)
        // 1/4 is the smallest n/8 keeping 300 at ≥ 50 (1/8 would give 38).
        let quarter = try ImageDecoder.decode(data, minimumSide: 50)
        XCTAssertEqual([quarter.width, quarter.height], [400 * 2 / 8, 300 * 2 / 8])
        XCTAssertLessThan(meanDifference(areaAveraged(full, by: 4), quarter), 4)
        let sizes: [(Int?, [Int])] = [(nil, [400, 300]), (0, [400, 300]), (1, [50, 38]), (38, [50, 38]), (39, [100, 75]),
                                      (200, [300, 225]), (300, [400, 300]), (5000, [400, 300])]
        for (side, expected) in sizes {
            let image = try ImageDecoder.decode(data, minimumSide: side)
            XCTAssertEqual([image.width, image.height], expected, "minimumSide \(String(describing: side))")
        }
        // Other formats ignore it.
        let png = try ImageDecoder.decode(imageFixtureData("rgb.png"), minimumSide: 2)
        XCTAssertEqual([png.width, png.height], [32, 24])
    }

    func testScaleChoice() {
        XCTAssertTrue(JPEGReader.scale(width: 400, height: 300, minimumSide: 50) == (1, 4))
        XCTAssertTrue(JPEGReader.scale(width: 4000, height: 3000, minimumSide: 224) == (1, 8))
        XCTAssertTrue(JPEGReader.scale(width: 10, height: 10, minimumSide: 224) == (1, 1))
        XCTAssertEqual(JPEGReader.scaled(300, 1, 8), 38)
    }

    func testCMYKConversion() {
        // Adobe files store 255 − ink: (255, 255, 255, 255) is no ink at all.
        XCTAssertEqual(JPEGReader.rgb(fromCMYK: [255, 255, 255, 255, 0, 255, 255, 255], inverted: true), [255, 255, 255, 0, 255, 255])
        XCTAssertEqual(JPEGReader.rgb(fromCMYK: [0, 0, 0, 0, 0, 0, 0, 255], inverted: false), [255, 255, 255, 0, 0, 0])
    }
}
