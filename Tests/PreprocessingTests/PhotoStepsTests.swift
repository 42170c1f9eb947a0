import Imaging
@testable import Preprocessing
import XCTest

final class AreaResizeTests: XCTestCase {
    func testHalvingAveragesEachTwoByTwoBlockExactly() {
        var image = RGBImage(width: 4, height: 4, fill: .black)
        for y in 0 ..< 4 {
            for x in 0 ..< 4 { image[x, y] = RGB(UInt8(10 * (4 * y + x)), UInt8(4 * y + x), 200) }
        }
        let small = AreaResize.resize(image, width: 2, height: 2)
        // Block (0, 0) holds 0, 1, 4, 5 (×10 in red): mean 2.5 → 25 red, 2.5 → 3 (rounded half up) green.
        XCTAssertEqual(small[0, 0], RGB(25, 3, 200))
        XCTAssertEqual(small[1, 0], RGB(45, 5, 200))  // 2, 3, 6, 7
        XCTAssertEqual(small[0, 1], RGB(105, 11, 200))  // 8, 9, 12, 13
        XCTAssertEqual(small[1, 1], RGB(125, 13, 200))
    }

    func testNonIntegerRatioWeightsPartialPixels() {
        // 3 → 2: output 0 covers source [0, 1.5): 0 fully, 1 half; output 1 covers [1.5, 3).
        let gray = GrayImage(width: 3, height: 1, pixels: [0, 90, 180])
        let small = AreaResize.resize(gray, width: 2, height: 1)
        XCTAssertEqual(small.pixels, [30, 150])  // (0 + 45) / 1.5, (45 + 180) / 1.5
    }

    func testFitKeepsTheAspectRatio() {
        let image = AreaResize.fit(RGBImage(width: 400, height: 533), longestEdge: 128)
        XCTAssertEqual(image.width, 96)
        XCTAssertEqual(image.height, 128)
    }
}

final class PhotoStepsTests: XCTestCase {
    func testBackgroundIgnoresSaltNoiseAndAGarmentOnTheBorder() {
        let colour = RGB(200, 180, 160)
        var image = RGBImage(width: 40, height: 40, fill: colour)
        // 10% of the pixels (pseudo-randomly) white or black salt; a dark garment touching the bottom edge.
        var state: UInt32 = 7
        for i in 0 ..< 1600 {
            state = state &* 1_664_525 &+ 1_013_904_223
            if state >> 24 < 26 { image[i % 40, i / 40] = state & 0x100_0000 == 0 ? .white : .black }
        }
        image.fillRect(x: 10, y: 20, width: 20, height: 20, color: RGB(30, 30, 30))
        let model = PhotoSteps.background(of: image, border: 0.05)
        XCTAssertEqual(model.colour.x, 200, accuracy: 0.01)
        XCTAssertEqual(model.colour.y, 180, accuracy: 0.01)
        XCTAssertEqual(model.colour.z, 160, accuracy: 0.01)
        XCTAssertEqual(model.spread, 0, accuracy: 0.01)
    }

    func testBackgroundFollowsALightingGradient() {
        // Brightness falls from 220 at the left to 140 at the right.
        var image = RGBImage(width: 50, height: 30, fill: .black)
        for y in 0 ..< 30 {
            for x in 0 ..< 50 {
                let v = UInt8((220 - 80 * relative(x, 50) - 40).rounded())
                image[x, y] = RGB(v, v, v)
            }
        }
        let model = PhotoSteps.background(of: image)
        XCTAssertEqual(model.colour.x, 180, accuracy: 1)
        XCTAssertEqual(model.gradientX.x, -80, accuracy: 2)
        XCTAssertEqual(model.gradientY.x, 0, accuracy: 1)
        XCTAssertLessThan(model.spread, 2)
    }

    func testThresholdIsTheLargerOfTheFloorAndTheScaledSpread() {
        let quiet = Background(colour: SIMD3(255, 255, 255), spread: 3)
        XCTAssertEqual(PhotoSteps.threshold(quiet, minimum: 0.05, factor: 2), 0.05 * 255 * Float(3).squareRoot(),
                       accuracy: 1e-3)
        let busy = Background(colour: SIMD3(255, 255, 255), spread: 30)
        XCTAssertEqual(PhotoSteps.threshold(busy, minimum: 0.05, factor: 2), 60)
    }

    func testMaskKeepsTheGarmentAndItsBackgroundColouredInterior() {
        var image = RGBImage(width: 20, height: 20, fill: .white)
        image.fillRect(x: 5, y: 4, width: 8, height: 10, color: .black)
        image[8, 8] = .white  // a white button inside the garment
        let white = Background(colour: SIMD3(255, 255, 255))
        let mask = PhotoSteps.foregroundMask(image, background: white, threshold: 22, radius: 0)
        for y in 0 ..< 20 {
            for x in 0 ..< 20 {
                let inside = (5 ..< 13).contains(x) && (4 ..< 14).contains(y)
                XCTAssertEqual(mask[x, y], inside ? 255 : 0, "(\(x), \(y))")
            }
        }
    }

    func testOpeningStopsTheFillAtAThinGap() {
        // A hollow square frame 3 pixels thick with a 1-pixel gap in its top side.
        var image = RGBImage(width: 30, height: 30, fill: .white)
        image.fillRect(x: 5, y: 5, width: 20, height: 20, color: .black)
        image.fillRect(x: 8, y: 8, width: 14, height: 14, color: .white)
        image.fillRect(x: 15, y: 5, width: 1, height: 3, color: .white)
        let white = Background(colour: SIMD3(255, 255, 255))
        let leaky = PhotoSteps.foregroundMask(image, background: white, threshold: 22, radius: 0)
        XCTAssertEqual(leaky[15, 15], 0)
        let opened = PhotoSteps.foregroundMask(image, background: white, threshold: 22, radius: 2)
        XCTAssertEqual(opened[15, 15], 255)
        XCTAssertEqual(opened[2, 2], 0)
        XCTAssertEqual(opened[5, 5], 255)
    }

    func testSquareFilterErodesAndDilates() {
        var values = [UInt8](repeating: 0, count: 7 * 7)
        for y in 1 ..< 6 { for x in 1 ..< 6 { values[y * 7 + x] = 1 } }
        let eroded = PhotoSteps.squareFilter(values, width: 7, height: 7, radius: 1, keepMinimum: true)
        XCTAssertEqual(eroded.reduce(0) { $0 + Int($1) }, 9)  // the inner 3 × 3
        XCTAssertEqual(eroded[3 * 7 + 3], 1)
        let dilated = PhotoSteps.squareFilter(eroded, width: 7, height: 7, radius: 1, keepMinimum: false)
        XCTAssertEqual(dilated, values)
        // Outside counts as 1 for erosion: a full image stays full.
        let full = [UInt8](repeating: 1, count: 12)
        XCTAssertEqual(PhotoSteps.squareFilter(full, width: 4, height: 3, radius: 2, keepMinimum: true), full)
    }

    func testCleanedDropsSpecksAndKeepsLargeParts() {
        var mask = GrayImage(width: 30, height: 10)
        for y in 0 ..< 10 { for x in 0 ..< 10 { mask[x, y] = 255 } }      // 100 pixels
        for y in 0 ..< 4 { for x in 15 ..< 18 { mask[x, y] = 255 } }      // 12 pixels ≥ 10%
        mask[25, 5] = 255                                                  // a speck
        let cleaned = PhotoSteps.cleaned(mask, keep: 0.1)
        XCTAssertEqual(cleaned[5, 5], 255)
        XCTAssertEqual(cleaned[16, 2], 255)
        XCTAssertEqual(cleaned[25, 5], 0)
        XCTAssertEqual(PhotoSteps.cleaned(GrayImage(width: 3, height: 3), keep: 0.1), GrayImage(width: 3, height: 3))
    }

    func testCentreMaskBoundingBoxAndCrop() {
        let mask = PhotoSteps.centreMask(width: 10, height: 20, fraction: 0.8)
        XCTAssertEqual(PhotoSteps.boundingBox(mask), PixelBox(x: 1, y: 2, width: 8, height: 16))
        XCTAssertEqual(PhotoSteps.coverage(mask), 0.64, accuracy: 1e-6)
        XCTAssertNil(PhotoSteps.boundingBox(GrayImage(width: 4, height: 4)))
        var image = RGBImage(width: 10, height: 20, fill: .white)
        image[1, 2] = .black
        let cropped = PhotoSteps.crop(image, to: PixelBox(x: 1, y: 2, width: 8, height: 16))
        XCTAssertEqual(cropped.width, 8)
        XCTAssertEqual(cropped[0, 0], .black)
        XCTAssertEqual(cropped[1, 0], .white)
        XCTAssertEqual(PhotoSteps.crop(mask, to: PixelBox(x: 0, y: 1, width: 3, height: 2)).pixels, [0, 0, 0, 0, 255, 255])
    }

    func testSoftenedSpreadsAPixelByTheBinomialKernel() {
        var mask = GrayImage(width: 3, height: 3)
        mask[1, 1] = 255
        // 255 · [1 2 1]ᵀ[1 2 1] / 16, rounded: corners 15.9, sides 31.9, centre 63.75.
        XCTAssertEqual(PhotoSteps.softened(mask).pixels, [16, 32, 16, 32, 64, 32, 16, 32, 16])
        let full = GrayImage(width: 4, height: 2, fill: 255)
        XCTAssertEqual(PhotoSteps.softened(full), full)
    }

    func testSmoothedBlursEachChannelAlone() {
        var image = RGBImage(width: 3, height: 3, fill: RGB(100, 0, 50))
        image[1, 1] = RGB(100, 160, 50)
        let smooth = PhotoSteps.smoothed(image)
        XCTAssertEqual(smooth[1, 1], RGB(100, 40, 50))  // 160 · 4 / 16
        XCTAssertEqual(smooth[0, 1], RGB(100, 20, 50))
        XCTAssertEqual(smooth[0, 0], RGB(100, 10, 50))
    }

    /// A `side` × `side` square of `garment` in the middle of a 3·`side` image of `ground`, with its mask.
    private func square(_ garment: RGB, on ground: RGB, side: Int = 6) -> (RGBImage, GrayImage) {
        var image = RGBImage(width: 3 * side, height: 3 * side, fill: ground)
        image.fillRect(x: side, y: side, width: side, height: side, color: garment)
        var mask = GrayImage(width: 3 * side, height: 3 * side)
        for y in side ..< 2 * side { for x in side ..< 2 * side { mask[x, y] = 255 } }
        return (image, mask)
    }

    func testIntensityIsBrightOnBlackForBothPolarities() {
        for (garment, ground) in [(RGB(20, 20, 20), RGB.white), (RGB(230, 230, 230), RGB(50, 50, 50))] {
            let (image, mask) = square(garment, on: ground)
            let background = PhotoSteps.background(of: image)
            let out = PhotoSteps.intensity(image, mask: mask, alpha: mask, background: background)
            XCTAssertEqual(out[8, 8], 255, "\(garment) on \(ground)")
            XCTAssertEqual(out[2, 2], 0, "\(garment) on \(ground)")
        }
    }

    func testIntensityStretchesAFaintGarment() {
        // A garment barely darker than the white background, half 250 and half 240 gray: negated to
        // 5 and 15, stretched to the range's ends.
        var (image, mask) = square(RGB(250, 250, 250), on: .white)
        image.fillRect(x: 6, y: 9, width: 6, height: 3, color: RGB(240, 240, 240))
        let out = PhotoSteps.intensity(image, mask: mask, alpha: mask, background: PhotoSteps.background(of: image),
                                       range: 64 ... 255)
        XCTAssertEqual(out[8, 7], 64)
        XCTAssertEqual(out[8, 10], 255)
        XCTAssertEqual(out[0, 0], 0)
    }

    func testCentredPlacesTheResizedImage() {
        let out = PhotoSteps.centred(GrayImage(width: 10, height: 5, fill: 200), size: 28)
        for y in 0 ..< 28 {
            for x in 0 ..< 28 { XCTAssertEqual(out[x, y], (7 ..< 21).contains(y) ? 200 : 0, "(\(x), \(y))") }
        }
        // 3 × 9 → 9 × 28 (9.33 rounded): left offset ⌊19 / 2⌋ = 9, the extra column on the right.
        let tall = PhotoSteps.centred(GrayImage(width: 3, height: 9, fill: 100), size: 28)
        XCTAssertEqual(PhotoSteps.boundingBox(GrayImage(width: 28, height: 28, pixels: tall.pixels.map { $0 > 0 ? 255 : 0 })),
                       PixelBox(x: 9, y: 0, width: 9, height: 28))
    }
}

final class OrderStatisticTests: XCTestCase {
    func testSelectionGivesTheSortedValueAtEveryRank() {
        var random = SystemRandomNumberGenerator()
        for count in [1, 2, 3, 7, 50, 513] {
            for distinct in [1, 3, 1000] {
                let values = (0..<count).map { _ in Float(Int.random(in: 0..<distinct, using: &random)) * 0.5 }
                let sorted = values.sorted()
                for k in 0..<count { XCTAssertEqual(PhotoSteps.orderStatistic(values, k), sorted[k], "rank \(k) of \(values)") }
            }
        }
    }
}
