import Imaging
import Preprocessing
import XCTest

final class PaperStepsTests: XCTestCase {
    func testTrimKeepsExactlyTheBlock() {
        var image = RGBImage(width: 10, height: 6, fill: .white)
        image.fillRect(x: 4, y: 2, width: 3, height: 2, color: .black)
        XCTAssertEqual(PaperSteps.trim(image), RGBImage(width: 3, height: 2, fill: .black))
    }

    func testTrimFuzzIsFivePercentOfTheMaximumDistance() {
        // 5% of 255·√3 is 22.08: (232, 232, 232) is 39.8 from white, (245, 245, 245) only 17.3.
        var image = RGBImage(width: 8, height: 8, fill: .white)
        image.fillRect(x: 0, y: 0, width: 8, height: 2, color: RGB(245, 245, 245))
        image.fillRect(x: 2, y: 3, width: 4, height: 3, color: RGB(232, 232, 232))
        image[0, 0] = .white
        let trimmed = PaperSteps.trim(image)
        XCTAssertEqual(trimmed.width, 4)
        XCTAssertEqual(trimmed.height, 3)
        XCTAssertEqual(trimmed[0, 0], RGB(232, 232, 232))
    }

    func testTrimOfAPlainImageKeepsIt() {
        let image = RGBImage(width: 5, height: 3, fill: RGB(10, 20, 30))
        XCTAssertEqual(PaperSteps.trim(image), image)
    }

    func testSubsampleTakesEveryOtherColumn() {
        // A 56 × 28 horizontal gradient: column x has value 4x; halving keeps columns 1, 3, 5, ...
        var image = RGBImage(width: 56, height: 28, fill: .black)
        for y in 0 ..< 28 {
            for x in 0 ..< 56 { image[x, y] = RGB(UInt8(4 * x), UInt8(y), 0) }
        }
        let small = PaperSteps.subsample(image, longestEdge: 28)
        XCTAssertEqual(small.width, 28)
        XCTAssertEqual(small.height, 14)
        for x in 0 ..< 28 { XCTAssertEqual(small[x, 0].r, UInt8(4 * (2 * x + 1))) }
        for y in 0 ..< 14 { XCTAssertEqual(small[0, y].g, UInt8(2 * y + 1)) }
    }

    func testSubsampleRoundsTheShortEdgeAndKeepsAtLeastOne() {
        XCTAssertEqual(PaperSteps.subsample(RGBImage(width: 100, height: 30), longestEdge: 28).height, 8)  // 8.4
        XCTAssertEqual(PaperSteps.subsample(RGBImage(width: 30, height: 100), longestEdge: 28).width, 8)
        XCTAssertEqual(PaperSteps.subsample(RGBImage(width: 300, height: 1), longestEdge: 28).height, 1)
        // A small image is blown up by repeating pixels.
        let grown = PaperSteps.subsample(RGBImage(width: 2, height: 1, fill: .white), longestEdge: 4)
        XCTAssertEqual(grown.width, 4)
        XCTAssertEqual(grown.height, 2)
    }

    func testSharpenLeavesAConstantImageUnchanged() {
        let image = RGBImage(width: 7, height: 5, fill: RGB(100, 150, 200))
        XCTAssertEqual(PaperSteps.sharpen(image), image)
    }

    func testSharpenOvershootsAStepEdge() {
        // Left half 100, right half 200. With σ = 1 the 1-D weights are e^-½/(1+2e^-½) = 0.2741 at
        // ±1 and 0.4519 in the middle; column 2 (last dark) blurs to 100 + 0.2741·100 = 127.41,
        // so sharpens to 200 − 127.41 = 72.59 → 73; column 3 blurs to 172.59 and sharpens to 227.41 → 227.
        var image = RGBImage(width: 6, height: 3, fill: RGB(100, 100, 100))
        image.fillRect(x: 3, y: 0, width: 3, height: 3, color: RGB(200, 200, 200))
        let sharp = PaperSteps.sharpen(image)
        let row = (0 ..< 6).map { sharp[$0, 1].r }
        XCTAssertEqual(row, [100, 100, 73, 227, 200, 200])
    }

    func testExtendCentresWithTheExtraPixelRightAndBottom() {
        let block = RGBImage(width: 3, height: 2, fill: .black)
        let extended = PaperSteps.extend(block, width: 6, height: 5, fill: .white)
        XCTAssertEqual(extended.width, 6)
        XCTAssertEqual(extended.height, 5)
        for y in 0 ..< 5 {
            for x in 0 ..< 6 {
                let inside = (1 ... 3).contains(x) && (1 ... 2).contains(y)
                XCTAssertEqual(extended[x, y], inside ? .black : .white, "(\(x), \(y))")
            }
        }
    }

    func testNegate() {
        var image = RGBImage(width: 2, height: 1, fill: .black)
        image[1, 0] = RGB(10, 128, 255)
        let negated = PaperSteps.negate(image)
        XCTAssertEqual(negated[0, 0], .white)
        XCTAssertEqual(negated[1, 0], RGB(245, 127, 0))
    }

    func testGrayscaleOfPureColours() {
        var image = RGBImage(width: 5, height: 1, fill: .black)
        image[0, 0] = RGB(255, 0, 0)
        image[1, 0] = RGB(0, 255, 0)
        image[2, 0] = RGB(0, 0, 255)
        image[3, 0] = .white
        let gray = PaperSteps.grayscale(image)
        XCTAssertEqual(gray.pixels, [76, 150, 29, 255, 0])  // 76.245, 149.685, 29.07
    }

    func testPaperPipelineOnABlockOnWhite() {
        var photo = RGBImage(width: 100, height: 60, fill: .white)
        photo.fillRect(x: 20, y: 10, width: 56, height: 28, color: .black)
        let out = Preprocessor(method: .paper)(photo)
        XCTAssertEqual(out.width, 28)
        XCTAssertEqual(out.height, 28)
        // The 28 × 14 block lands at rows 7..<21, white (negated black); the padding is black.
        XCTAssertEqual(out[14, 14], 255)
        XCTAssertEqual(out[14, 3], 0)
        XCTAssertEqual(out[14, 24], 0)
        XCTAssertEqual(out[0, 10], 255)
    }
}
