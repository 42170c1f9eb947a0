@testable import Data
import Foundation
import Tensor
import XCTest

/// The photo-like changes: each does what it says on known images, draws its randomness from the seed
/// alone, keeps pixels in [0, 1], and the settings are validated and saved.
final class PhotoAugmentationTests: XCTestCase {
    typealias Choice = PhotoAugmentation.Choice

    /// A 28×28 plane: a bright 10×14 rectangle at (9, 7) on black.
    let garment: [Float] = (0..<784).map { i in (9..<19).contains(i % 28) && (7..<21).contains(i / 28) ? 0.8 : 0 }

    func changed(_ plane: [Float], _ choice: Choice) -> [Float] {
        var image = plane
        PhotoAugmentation.change(&image, height: 28, width: 28, choice: choice)
        return image
    }

    func testDefaultsChangeNothingAndPresetIsValid() {
        XCTAssertTrue(PhotoAugmentation().isIdentity)
        XCTAssertNil(PhotoAugmentation.preset.problem)
        XCTAssertFalse(PhotoAugmentation.preset.isIdentity)
        var images = Tensor(shape: [1, 1, 28, 28], scalars: garment)
        var g = SeededGenerator(seed: 3), untouched = g
        PhotoAugmentation().apply(to: &images, using: &g)
        XCTAssertEqual(images.scalars, garment)
        XCTAssertEqual(g.next(), untouched.next(), "no random numbers drawn when nothing changes")
    }

    func testFullWindowCropIsTheIdentityAndHalfWindowZoomsIn() {
        XCTAssertEqual(changed(garment, Choice(crop: (0, 0, 28, 28))), garment)
        // The left half stretched to full width: column x reads column (x + 0.5) / 2 − 0.5.
        let left = changed(garment, Choice(crop: (0, 0, 14, 28)))
        XCTAssertEqual(left[14 * 28 + 27], garment[14 * 28 + 13], accuracy: 1e-6)  // reads x = 13.25
        XCTAssertEqual(left[14 * 28 + 10], 0, accuracy: 1e-6)                     // reads x = 4.75: background
        XCTAssertEqual(left[14 * 28 + 20], 0.8, accuracy: 1e-6)                   // reads x = 9.75: garment
    }

    /// Colour jitter: brightness × b and contrast × c about the mean, then saturation × s about
    /// each pixel's luma; factors of 1 change nothing; every image of a batch gets its own factors.
    func testColourJitterScalesBrightnessContrastAndSaturation() {
        // One 2-pixel RGB image: planes R = [0.6, 0.2], G = [0.4, 0.4], B = [0.2, 0.6].
        let pixels: [Float] = [0.6, 0.2, 0.4, 0.4, 0.2, 0.6]
        func jittered(_ factors: SIMD3<Float>) -> [Float] {
            var image = pixels
            image.withUnsafeMutableBufferPointer { PhotoAugmentation.colourJitter($0, channels: 3, factors: factors) }
            return image
        }
        XCTAssertEqual(jittered(SIMD3(1, 1, 1)), pixels)
        for (a, b) in zip(jittered(SIMD3(0.5, 1, 1)), pixels.map { $0 * 0.5 }) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        for (a, b) in zip(jittered(SIMD3(1, 0, 1)), Array(repeating: Float(0.4), count: 6)) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let gray = jittered(SIMD3(1, 1, 0))  // no saturation: every plane holds the pixel's luma
        XCTAssertEqual(gray[0], 0.299 * 0.6 + 0.587 * 0.4 + 0.114 * 0.2, accuracy: 1e-6)
        XCTAssertEqual(gray[0], gray[2], accuracy: 1e-6)
        XCTAssertEqual(gray[1], gray[5], accuracy: 1e-6)
        var images = Tensor(shape: [2, 3, 1, 2], scalars: pixels + pixels)
        var g = SeededGenerator(seed: 5)
        PhotoAugmentation(colourJitter: 0.4).apply(to: &images, using: &g)
        XCTAssertNotEqual(Array(images.scalars[0 ..< 6]), Array(images.scalars[6 ..< 12]), "each image its own factors")
        XCTAssertTrue(images.scalars.allSatisfy { (0...1).contains($0) })
        XCTAssertNotNil(PhotoAugmentation(colourJitter: 1).problem)
        XCTAssertEqual(PhotoAugmentation(colourJitter: 0.2).summary, "photo (jitter 0.2)")
    }

    func testToneKeepsBlackAndFollowsGainTimesGamma() {
        let out = changed(garment, Choice(tone: (gain: 1.2, gamma: 2)))
        for (a, b) in zip(garment, out) { XCTAssertEqual(b, a == 0 ? 0 : min(1, 1.2 * a * a), accuracy: 1e-6) }
    }

    func testBlurKeepsAConstantAndSharpeningOvershootsAnEdge() {
        let constant = [Float](repeating: 0.5, count: 784)
        for value in changed(constant, Choice(blur: 1)) { XCTAssertEqual(value, 0.5, accuracy: 1e-6) }
        let blurred = changed(garment, Choice(blur: 1))
        XCTAssertGreaterThan(blurred[14 * 28 + 8], 0, "light spreads past the edge")
        XCTAssertLessThan(blurred[14 * 28 + 9], 0.8)
        let sharpened = changed(garment.map { $0 * 0.5 }, Choice(blur: -1))
        XCTAssertGreaterThan(sharpened[14 * 28 + 9], 0.4, "unsharp masking brightens the bright side of an edge")
        XCTAssertEqual(sharpened[14 * 28 + 14], 0.4, accuracy: 1e-6, "and leaves flat areas alone")
    }

    func testClutterOnlyBrightensAndNoiseIsSeeded() {
        let cluttered = changed(garment, Choice(clutter: (seed: 7, amplitude: 0.3)))
        for (a, b) in zip(garment, cluttered) { XCTAssertGreaterThanOrEqual(b, a); XCTAssertLessThanOrEqual(b, max(a, 0.3)) }
        XCTAssertGreaterThan(cluttered.reduce(0, +), garment.reduce(0, +))
        let noisy = changed(garment, Choice(noise: (sigma: 0.05, seed: 1)))
        XCTAssertEqual(noisy, changed(garment, Choice(noise: (sigma: 0.05, seed: 1))))
        XCTAssertNotEqual(noisy, changed(garment, Choice(noise: (sigma: 0.05, seed: 2))))
        let inside = (0..<784).filter { garment[$0] > 0 }
        let sd = (inside.map { Double(noisy[$0] - 0.8) * Double(noisy[$0] - 0.8) }.reduce(0, +) / Double(inside.count)).squareRoot()
        XCTAssertEqual(sd, 0.05, accuracy: 0.01)
    }

    func testSameSeedSameBatchAndValuesStayInRange() {
        var g = SeededGenerator(seed: 9)
        let batch = Tensor(shape: [64, 1, 28, 28], scalars: (0..<64 * 784).map { _ in g.nextUnitFloat() })
        let strong = PhotoAugmentation(cropProbability: 1, toneProbability: 1, contrast: 0.9, gamma: 3,
                                       blurProbability: 1, clutterProbability: 1, clutterAmplitude: 1, noise: 0.5)
        func run(_ seed: UInt64) -> Tensor {
            var images = batch, generator = SeededGenerator(seed: seed)
            strong.apply(to: &images, using: &generator)
            return images
        }
        XCTAssertEqual(run(1).scalars, run(1).scalars)
        XCTAssertNotEqual(run(1).scalars, run(2).scalars)
        XCTAssertTrue(run(1).scalars.allSatisfy { (0...1).contains($0) })
    }

    func testValidationSummaryAndSaving() throws {
        XCTAssertNotNil(PhotoAugmentation(toneProbability: 1.5).problem)
        XCTAssertNotNil(PhotoAugmentation(noise: -0.1).problem)
        XCTAssertNotNil(PhotoAugmentation(minimumCropArea: 0).problem)
        XCTAssertThrowsError(try Augmentation(photo: PhotoAugmentation(blurProbability: 2)).validate())
        let augmentation = Augmentation(horizontalFlip: true, photo: .preset)
        XCTAssertEqual(augmentation.summary, "flip, photo (crop p=0.3, tone p=0.5, blur p=0.4, clutter p=0.3, noise 0.04)")
        let data = try JSONEncoder().encode(augmentation)
        XCTAssertEqual(try JSONDecoder().decode(Augmentation.self, from: data), augmentation)
        // Settings saved before photo augmentation existed load without it.
        let old = try JSONDecoder().decode(Augmentation.self, from: Data(#"{"horizontalFlip":true,"cropPadding":2}"#.utf8))
        XCTAssertTrue(old.photo.isIdentity)
    }
}
