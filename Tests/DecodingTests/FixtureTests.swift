import Decoding
import Foundation
import Imaging
import TestSupport
import XCTest

final class FixtureTests: XCTestCase {
    /// Good fixtures, the colours expected at their quadrant centres and the tolerance.
    static let good: [(name: String, colours: [RGB], tolerance: Int)] = {
        let gray = { (v: UInt8) in RGB(v, v, v) }
        let overWhite = [RGB(255, 127, 127), RGB(0, 0, 255), .white, gray(127)]
        return [
            ("quadrants.jpg", quadrantColours, 12),
            ("gray.jpg", [gray(76), gray(150), gray(29), gray(255)], 6),  // PIL's luma of the quadrants
            ("cmyk.jpg", quadrantColours, 12),
            ("orientation3.jpg", quadrantColours, 12),
            ("orientation6.jpg", quadrantColours, 12),
            ("orientation8.jpg", quadrantColours, 12),
            ("orientation6.png", quadrantColours, 0),
            ("orientation6.webp", quadrantColours, 0),
            ("rgb.png", quadrantColours, 0),
            ("rgba.png", overWhite, 1),
            ("palette.png", [RGB(255, 0, 0), RGB(0, 255, 0), RGB(0, 0, 255), .white], 0),  // black made transparent
            ("gray16.png", [gray(0), gray(85), gray(170), gray(255)], 1),
            ("gray_alpha.png", [gray(127), gray(200), gray(255), gray(224)], 1),
            ("lossless.webp", quadrantColours, 0),
            ("lossy.webp", quadrantColours, 24),
            ("alpha.webp", overWhite, 1),
            ("animated.webp", quadrantColours, 0),  // the first frame
        ]
    }()

    func testGoodFixturesDecodeUprightWithTheirColours() throws {
        for (name, colours, tolerance) in Self.good {
            let image = try ImageDecoder.decode(contentsOf: imageFixture(name))
            XCTAssertEqual([image.width, image.height], [32, 24], name)
            assertQuadrants(image, colours, tolerance: tolerance, name)
            XCTAssertEqual(image.pixels.count, 32 * 24 * 3, name)
        }
    }

    func testOrientedJPEGsMatchThePlainOne() throws {
        let plain = try ImageDecoder.decode(contentsOf: imageFixture("quadrants.jpg"))
        for orientation in [3, 6, 8] {
            let upright = try ImageDecoder.decode(contentsOf: imageFixture("orientation\(orientation).jpg"))
            let worst = zip(plain.pixels, upright.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 40, "orientation \(orientation)")  // lossy, but the same picture
        }
    }

    func testBadFixturesThrowTheReason() {
        let bad: [(String, [String])] = [
            ("corrupt.jpg", ["corrupt JPEG: "]),
            ("truncated.jpg", ["truncated JPEG"]),
            ("truncated.png", ["truncated PNG"]),
            ("truncated.webp", ["truncated WebP"]),
            ("empty.jpg", ["empty file"]),
            ("notes.jpg", ["not an image (unrecognised bytes)"]),
            ("image.gif", ["GIF files are not supported (use JPEG, PNG or WebP)"]),
            ("image.bmp", ["BMP"]), ("image.tiff", ["TIFF"]), ("image.heic", ["HEIC"]), ("image.avif", ["AVIF"]),
            ("bomb.jpg", ["30000×30000 = 900 MP, over the 40 MP limit"]),
            ("bomb.png", ["30000×30000", "limit"]),
            ("bomb.webp", ["30000×30000", "limit"]),
        ]
        for (name, words) in bad {
            for word in words {
                assertDecodingError(word) { try ImageDecoder.decode(contentsOf: imageFixture(name)) }
            }
        }
    }

    func testSniffing() throws {
        let expected: [String: ImageFormat?] = [
            "quadrants.jpg": .jpeg, "cmyk.jpg": .jpeg, "corrupt.jpg": .jpeg, "rgb.png": .png, "bomb.png": .png,
            "lossless.webp": .webp, "bomb.webp": .webp, "image.gif": .gif, "image.bmp": .bmp, "image.tiff": .tiff,
            "image.heic": .heic, "image.avif": .avif, "notes.jpg": nil, "empty.jpg": nil,
        ]
        for (name, format) in expected {
            XCTAssertEqual(ImageFormat.sniff(try imageFixtureData(name)), format, name)
        }
        XCTAssertEqual(ImageFormat.allCases.filter(\.isSupported), [.jpeg, .png, .webp])
    }

    func testSniffingEdgeCases() {
        XCTAssertNil(ImageFormat.sniff([UInt8]()))
        XCTAssertNil(ImageFormat.sniff([0xFF, 0xD8]))  // too short for JPEG's three bytes
        XCTAssertEqual(ImageFormat.sniff([0x4D, 0x4D, 0x00, 0x2A]), .tiff)
        XCTAssertNil(ImageFormat.sniff(Array("RIFF\0\0\0\0WAVE".utf8)))
        XCTAssertEqual(ImageFormat.sniff(Array("GIF87a".utf8)), .gif)
        func box(_ brands: String) -> [UInt8] { [0, 0, 0, UInt8(8 + brands.utf8.count)] + Array("ftyp".utf8) + Array(brands.utf8) }
        XCTAssertEqual(ImageFormat.sniff(box("heix\0\0\0\0")), .heic)
        XCTAssertEqual(ImageFormat.sniff(box("mif1\0\0\0\0heic")), .heic)
        XCTAssertEqual(ImageFormat.sniff(box("mif1\0\0\0\0avif")), .avif)
        XCTAssertEqual(ImageFormat.sniff(box("avis\0\0\0\0")), .avif)
        XCTAssertNil(ImageFormat.sniff(box("isom\0\0\0\0mp41")))  // a video
        XCTAssertNil(ImageFormat.sniff(Array("\0\0\0\u{8}ftyp".utf8)))  // no brand
    }

    func testSizeReadsHeadersOnly() throws {
        for name in ["quadrants.jpg", "orientation6.jpg", "orientation8.jpg", "rgb.png", "orientation6.png",
                     "lossless.webp", "orientation6.webp", "animated.webp"] {
            let size = try ImageDecoder.size(of: imageFixtureData(name))
            XCTAssertEqual([size.width, size.height], [32, 24], name)
        }
        let bomb = try ImageDecoder.size(of: imageFixtureData("bomb.png"))
        XCTAssertEqual([bomb.width, bomb.height], [30000, 30000])
        assertDecodingError("GIF") { try ImageDecoder.size(of: imageFixtureData("image.gif")) }
        assertDecodingError("empty file") { try ImageDecoder.size(of: Data()) }
    }

    func testLimits() throws {
        let data = try imageFixtureData("rgb.png")
        assertDecodingError("file is 107 bytes, over the 100 bytes limit") {
            try ImageDecoder.decode(data, limits: DecodingLimits(maxFileBytes: 100))
        }
        assertDecodingError("over the 100 bytes limit") {
            try ImageDecoder.decode(contentsOf: imageFixture("rgb.png"), limits: DecodingLimits(maxFileBytes: 100))
        }
        for name in ["quadrants.jpg", "rgb.png", "lossless.webp", "animated.webp"] {
            assertDecodingError("32×24 = 768 pixels, over the 767 pixels limit") {
                try ImageDecoder.decode(contentsOf: imageFixture(name), limits: DecodingLimits(maxPixels: 767))
            }
            XCTAssertNoThrow(try ImageDecoder.decode(contentsOf: imageFixture(name), limits: DecodingLimits(maxPixels: 768)))
        }
        XCTAssertEqual(DecodingLimits.default, DecodingLimits(maxFileBytes: 64 << 20, maxPixels: 40_000_000))
    }

    func testFileProblemsNameNoPath() throws {
        let directory = try TestSupport.temporaryDirectory()
        assertDecodingError("no such file") { try ImageDecoder.decode(contentsOf: directory.appendingPathComponent("missing.jpg")) }
        assertDecodingError("directory") { try ImageDecoder.decode(contentsOf: directory) }
        do {
            _ = try ImageDecoder.decode(contentsOf: directory.appendingPathComponent("missing.jpg"))
        } catch {
            XCTAssertFalse("\(error)".contains(directory.path))
        }
        let link = directory.appendingPathComponent("link.png")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: imageFixture("rgb.png"))
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: link).width, 32)
        assertDecodingError("not a regular file") { try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: "/dev/null")) }
    }

    func testUnreadableFile() throws {
        let file = try TestSupport.temporaryDirectory().appendingPathComponent("locked.png")
        try imageFixtureData("rgb.png").write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: file.path)
        try XCTSkipIf(FileManager.default.isReadableFile(atPath: file.path), "permissions do not apply (running as root)")
        assertDecodingError("cannot be read (permission denied)") { try ImageDecoder.decode(contentsOf: file) }
    }
}
