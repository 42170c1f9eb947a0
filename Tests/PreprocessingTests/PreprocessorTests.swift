import Foundation
import Imaging
import Preprocessing
import XCTest

final class PreprocessorTests: XCTestCase {
    /// Whether (x, y) lies on a T-shirt-like shape in a 120 × 150 picture: body, sleeves, a neck
    /// notch; or at `scale` times that size.
    private func onShirt(_ x: Int, _ y: Int, scale: Int = 1) -> Bool {
        let x = x / scale, y = y / scale
        let body = (35 ..< 85).contains(x) && (40 ..< 135).contains(y)
        let sleeves = (15 ..< 105).contains(x) && (40 ..< 70).contains(y)
        let neck = (52 ..< 68).contains(x) && (40 ..< 48).contains(y)
        return (body || sleeves) && !neck
    }

    /// The shirt in `garment` on a background given per pixel, `scale` × 120 by `scale` × 150.
    private func shirtPhoto(_ garment: RGB, scale: Int = 1, ground: (Int, Int) -> RGB) -> RGBImage {
        var photo = RGBImage(width: 120 * scale, height: 150 * scale)
        for y in 0 ..< 150 * scale {
            for x in 0 ..< 120 * scale { photo[x, y] = onShirt(x, y, scale: scale) ? garment : ground(x, y) }
        }
        return photo
    }

    /// The ideal model input: the shirt's silhouette, white on black, its bounding box fitted to 28.
    private func idealShirt() -> GrayImage {
        var silhouette = GrayImage(width: 90, height: 95)
        for y in 0 ..< 95 {
            for x in 0 ..< 90 where onShirt(x + 15, y + 40) { silhouette[x, y] = 255 }
        }
        return PhotoSteps.centred(silhouette, size: 28)
    }

    private func meanAbsoluteDifference(_ a: GrayImage, _ b: GrayImage) -> Double {
        zip(a.pixels, b.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(a.pixels.count)
    }

    private func correlation(_ a: GrayImage, _ b: GrayImage) -> Double {
        let x = a.pixels.map(Double.init), y = b.pixels.map(Double.init)
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0 ..< x.count {
            sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Asserts the photo's model input is within `difference` mean absolute difference of the
    /// ideal and correlates with it above `correlation`.
    private func assertCloseToIdeal(_ photo: RGBImage, _ what: String, difference: Double = 10, correlation minimum: Double = 0.97,
                                    file: StaticString = #filePath, line: UInt = #line) {
        let out = Preprocessor()(photo).gray
        let ideal = idealShirt()
        XCTAssertEqual(out.width, 28, file: file, line: line)
        XCTAssertLessThan(meanAbsoluteDifference(out, ideal), difference, what, file: file, line: line)
        XCTAssertGreaterThan(correlation(out, ideal), minimum, what, file: file, line: line)
    }

    func testDarkShirtOnWhite() {
        assertCloseToIdeal(shirtPhoto(RGB(40, 50, 90)) { _, _ in .white }, "dark on white")
    }

    func testLightShirtOnDarkGray() {
        assertCloseToIdeal(shirtPhoto(RGB(225, 220, 210)) { _, _ in RGB(60, 60, 60) }, "light on dark")
    }

    func testShirtOnANoisyTexturedFloor() {
        // A phone-sized photo (480 × 600, reduced 4× to the working size) of a floor with wood-like
        // grain (stripes 6 pixels wide, ±12), ±40 pseudo-random noise per pixel, and light falling
        // off towards the bottom.
        var state: UInt32 = 12345
        let photo = shirtPhoto(RGB(40, 60, 140), scale: 4) { x, y in
            state = state &* 1_664_525 &+ 1_013_904_223
            let noise = Int(state >> 24) % 81 - 40
            let stripe = (x / 6) % 2 == 0 ? 12 : -12
            let light = -y / 20
            func channel(_ base: Int) -> UInt8 { UInt8(max(0, min(255, base + noise + stripe + light))) }
            return RGB(channel(200), channel(175), channel(140))
        }
        // (Measured 15.8 and 0.915: mixed pixels along the outline, which differ from both garment
        // and floor, join the mask and widen its box a little, and the noise shows in the edge.)
        assertCloseToIdeal(photo, "textured floor", difference: 20, correlation: 0.9)
    }

    func testNeverTrapsOnTinyOrPlainImages() {
        var checker = RGBImage(width: 3, height: 2, fill: .white)
        checker[1, 0] = .black
        let images = [RGBImage(width: 1, height: 1), RGBImage(width: 1, height: 7, fill: .black),
                      RGBImage(width: 9, height: 1), RGBImage(width: 2, height: 2, fill: RGB(1, 2, 3)),
                      checker, RGBImage(width: 300, height: 5)]
        for method in PreprocessingMethod.allCases {
            for size in [1, 28] {
                for image in images {
                    let out = Preprocessor(method: method, size: size)(image)
                    XCTAssertEqual(out.width, size)
                    XCTAssertEqual(out.height, size)
                }
            }
        }
    }

    func testOddParametersDoNotTrap() {
        var odd = Preprocessor(size: 0)
        odd.workingSize = 0
        odd.borderFraction = 2
        odd.spreadPercentile = -1
        odd.openingRadius = -3
        odd.fallbackFraction = 5
        let photo = RGBImage(width: 6, height: 4, fill: RGB(9, 9, 9))
        XCTAssertEqual(odd(photo).width, 1)
        odd.method = .paper
        XCTAssertEqual(odd(photo).width, 1)
    }

    func testStepsEndWithTheFinalImage() {
        let photo = shirtPhoto(RGB(40, 50, 90)) { _, _ in .white }
        for method in PreprocessingMethod.allCases {
            let preprocessor = Preprocessor(method: method)
            let steps = preprocessor.steps(photo)
            XCTAssertEqual(steps.first?.image, photo)
            XCTAssertEqual(steps.last?.image, preprocessor(photo).picture)
            XCTAssertEqual(steps.count, [.paper: 7, .photo: 5, .letterbox: 3][method])
        }
    }

    func testPlainPhotoFallsBackToTheCentre() {
        let steps = Preprocessor().steps(RGBImage(width: 40, height: 40, fill: RGB(90, 90, 90)))
        XCTAssertEqual(steps[1].name, "mask (fallback)")
    }

    func testDecodeMinimumSide() {
        XCTAssertEqual(Preprocessor().decodeMinimumSide, 128)
        XCTAssertEqual(Preprocessor(method: .paper).decodeMinimumSide, 112)
    }

    func testCodableRoundTrip() throws {
        var preprocessor = Preprocessor(method: .paper, size: 32)
        preprocessor.spreadFactor = 2.5
        let data = try JSONEncoder().encode(preprocessor)
        XCTAssertEqual(try JSONDecoder().decode(Preprocessor.self, from: data), preprocessor)
    }

    func testMissingParametersTakeTheirDefaults() throws {
        let saved = try JSONDecoder().decode(Preprocessor.self, from: Data(#"{"method": "paper", "spreadFactor": 2}"#.utf8))
        var expected = Preprocessor(method: .paper)
        expected.spreadFactor = 2
        XCTAssertEqual(saved, expected)
        XCTAssertThrowsError(try JSONDecoder().decode(Preprocessor.self, from: Data(#"{"method": "magic"}"#.utf8)))
    }

    func testStepsSheetLayout() {
        let a = PreprocessingStep(name: "a", image: RGBImage(width: 10, height: 20, fill: RGB(255, 0, 0)))
        let b = PreprocessingStep(name: "b", image: RGBImage(width: 2, height: 2, fill: RGB(0, 0, 255)))
        let sheet = stepsSheet([[a, b], [b]], cellHeight: 40)
        // Row: gap 6, a scaled to 20 × 40, gap, b to 40 × 40, gap; rows 11 label + 40 + 6 gap each.
        XCTAssertEqual(sheet.width, 6 + 20 + 6 + 40 + 6)
        XCTAssertEqual(sheet.height, 6 + 2 * (11 + 40 + 6))
        XCTAssertEqual(sheet[6 + 10, 6 + 11 + 20], RGB(255, 0, 0))
        XCTAssertEqual(sheet[6 + 20 + 6 + 39, 6 + 11 + 39], RGB(0, 0, 255))
        XCTAssertEqual(sheet[6 + 5, 6 + 57 + 11 + 5], RGB(0, 0, 255))
        XCTAssertEqual(sheet[6 + 40 + 3, 6 + 57 + 11 + 5], .white)
    }
}

final class LetterboxTests: XCTestCase {
    func testLetterboxKeepsColourAndAspectOnTheBorderColour() {
        // A 40 × 20 green floor with a red square in the middle.
        var photo = RGBImage(width: 40, height: 20, fill: RGB(20, 160, 30))
        photo.fillRect(x: 15, y: 5, width: 10, height: 10, color: RGB(220, 10, 10))
        let input = Preprocessor(method: .letterbox, size: 20, channels: 3)(photo)
        XCTAssertEqual([input.channels, input.width, input.height], [3, 20, 20])
        let plane = 400
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { (0 ..< 3).map { input.pixels[$0 * plane + y * 20 + x] } }
        XCTAssertEqual(pixel(10, 10), [220, 10, 10], "the red square stays red, in the centre")
        XCTAssertEqual(pixel(0, 0), [20, 160, 30], "padding above the 20 × 10 photo has the floor's colour")
        XCTAssertEqual(pixel(0, 19), [20, 160, 30])
        XCTAssertEqual(pixel(6, 10), [20, 160, 30], "the square is 5 pixels wide at half scale, so aspect is kept")
        XCTAssertEqual(pixel(8, 10), [220, 10, 10])
        let gray = Preprocessor(method: .letterbox, size: 20, channels: 1)(photo)
        XCTAssertEqual(gray.channels, 1)
        let luma: Float = 0.299 * 220 + 0.587 * 10 + 0.114 * 10
        XCTAssertEqual(gray.pixels[10 * 20 + 10], UInt8(luma.rounded()))
        XCTAssertEqual(ModelInput(Preprocessor(method: .photo, size: 8)(photo).picture, channels: 1).pixels.count, 64)
        XCTAssertEqual(Preprocessor(method: .photo, size: 8, channels: 3)(photo).channels, 3, "gray pipelines repeat their plane")
    }
}
