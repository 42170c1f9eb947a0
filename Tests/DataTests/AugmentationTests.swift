@testable import Data
import Foundation
import Kernels
import Tensor
import XCTest

/// Each augmentation moves pixels exactly where it should, draws its randomness from the seed alone,
/// and the settings are validated, described and saved.
final class AugmentationTests: XCTestCase {
    /// `count` images [count, channels, height, width] of seeded values in [0.1, 1) (none zero, so any shift shows).
    func randomImages(_ count: Int, channels: Int = 1, height: Int, width: Int, seed: UInt64 = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        let n = count * channels * height * width
        return Tensor(shape: [count, channels, height, width],
                      scalars: (0..<n).map { _ in 0.1 + 0.9 * generator.nextUnitFloat() })
    }

    /// Image `i`, channel `c` of `images` as rows of pixels.
    func plane(_ images: Tensor, _ i: Int, channel c: Int = 0) -> [Float] {
        let size = images.shape[2] * images.shape[3]
        let start = (i * images.shape[1] + c) * size
        return Array(images.scalars[start ..< start + size])
    }

    /// `plane` (rows of `width`) read at (x + dx, y + dy), zero outside: the reference translation.
    func readShifted(_ plane: [Float], height: Int, width: Int, dx: Int, dy: Int) -> [Float] {
        var out = [Float](repeating: 0, count: plane.count)
        for y in 0..<height {
            for x in 0..<width where (0..<width).contains(x + dx) && (0..<height).contains(y + dy) {
                out[y * width + x] = plane[(y + dy) * width + x + dx]
            }
        }
        return out
    }

    /// `plane` (rows of `width`) mirrored left-right: the reference flip.
    func mirrored(_ plane: [Float], width: Int) -> [Float] {
        stride(from: 0, to: plane.count, by: width).flatMap { plane[$0 ..< $0 + width].reversed() }
    }

    /// `images` with the same fixed `choice` applied to every image.
    func transformed(_ images: Tensor, _ choice: ImageChoice) -> Tensor {
        var result = images
        Augmentation.transform(&result, with: Array(repeating: choice, count: images.shape[0]))
        return result
    }

    // MARK: Identity

    func testNoneIsTheIdentity() {
        XCTAssertTrue(Augmentation.none.isIdentity)
        XCTAssertEqual(Augmentation.none, Augmentation())
        let images = randomImages(10, height: 8, width: 8)
        var result = images
        var generator = SeededGenerator(seed: 3), untouched = SeededGenerator(seed: 3)
        Augmentation.none.apply(to: &result, using: &generator)
        XCTAssertEqual(result, images)
        XCTAssertEqual(generator.next(), untouched.next(), "none should draw no random numbers")

        for setting in [Augmentation(horizontalFlip: true), Augmentation(cropPadding: 1),
                        Augmentation(maxRotationDegrees: 5), Augmentation(maxScale: 0.1),
                        Augmentation(erasingProbability: 0.5)] {
            XCTAssertFalse(setting.isIdentity, setting.summary)
        }
    }

    // MARK: Flip

    func testFlipTwiceIsTheIdentityAndFlipsExactly() {
        let (height, width) = (4, 5)
        let images = randomImages(3, channels: 2, height: height, width: width)
        let once = transformed(images, ImageChoice(flip: true))
        for i in 0..<3 {
            for c in 0..<2 {
                for y in 0..<height {
                    for x in 0..<width {
                        XCTAssertEqual(once[i, c, y, width - 1 - x], images[i, c, y, x], "image \(i) channel \(c) (\(x), \(y))")
                    }
                }
            }
        }
        XCTAssertEqual(transformed(once, ImageChoice(flip: true)), images)
    }

    func testAboutHalfOfTheImagesAreFlipped() {
        let (n, height, width) = (2000, 6, 7)
        let images = randomImages(n, height: height, width: width)
        var result = images
        var generator = SeededGenerator(seed: 11)
        Augmentation(horizontalFlip: true).apply(to: &result, using: &generator)
        var flipped = 0
        for i in 0..<n {
            let before = plane(images, i), after = plane(result, i)
            if after == mirrored(before, width: width) {
                flipped += 1
            } else {
                XCTAssertEqual(after, before, "image \(i) is neither itself nor its mirror")
            }
        }
        // Binomial(2000, 0.5): standard deviation ≈ 22.
        XCTAssertTrue((900...1100).contains(flipped), "\(flipped) of \(n) flipped")
    }

    func testHorizontallyFlippedBatch() {
        let images = Tensor(shape: [3, 2, 4, 5], scalars: (0..<120).map(Float.init))
        let flipped = horizontallyFlipped(images)
        XCTAssertEqual(flipped.shape, images.shape)
        for i in 0..<3 {
            for c in 0..<2 {
                for y in 0..<4 {
                    for x in 0..<5 {
                        XCTAssertEqual(flipped[i, c, y, 4 - x], images[i, c, y, x])
                    }
                }
            }
        }
        XCTAssertEqual(horizontallyFlipped(flipped), images)
        XCTAssertEqual(flipped[0, 0, 0, 0], 4)
        XCTAssertEqual(flipped[2, 1, 3, 4], 115)
    }

    func testCroppedMovesEveryPlaneAndFillsWithZeros() {
        let (height, width) = (4, 5)
        let images = randomImages(3, channels: 2, height: height, width: width)
        for flip in [false, true] {
            for (dx, dy) in [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (2, -3), (5, 0), (0, -4)] {
                let moved = cropped(images, shiftX: dx, shiftY: dy, flip: flip)
                XCTAssertEqual(moved.shape, images.shape)
                for i in 0..<3 {
                    for c in 0..<2 {
                        let window = readShifted(plane(images, i, channel: c), height: height, width: width, dx: dx, dy: dy)
                        XCTAssertEqual(plane(moved, i, channel: c), flip ? mirrored(window, width: width) : window,
                                       "image \(i), channel \(c), window (\(dx), \(dy)), flip \(flip)")
                    }
                }
            }
        }
        let left = cropped(images, shiftX: 1, shiftY: 0, flip: false)
        XCTAssertEqual(left[2, 1, 3, 0], images[2, 1, 3, 1])
        XCTAssertEqual(left[2, 1, 3, 4], 0)
        XCTAssertEqual(cropped(images, shiftX: 0, shiftY: height, flip: false).scalars, [Float](repeating: 0, count: images.scalars.count))
    }

    // MARK: Crop

    func testCropEqualsAZeroFilledShiftCoveringTheWholeRange() {
        let (n, height, width, padding) = (1000, 10, 12, 3)
        let images = randomImages(n, height: height, width: width)
        var result = images
        var generator = SeededGenerator(seed: 5)
        Augmentation(cropPadding: padding).apply(to: &result, using: &generator)
        var seen = Set<[Int]>()
        for i in 0..<n {
            let before = plane(images, i), after = plane(result, i)
            let shifts = (-padding...padding).flatMap { dx in (-padding...padding).map { dy in [dx, dy] } }
            guard let shift = shifts.first(where: {
                readShifted(before, height: height, width: width, dx: $0[0], dy: $0[1]) == after
            }) else {
                XCTFail("image \(i) is not a shift of its original by at most ±\(padding)")
                continue
            }
            seen.insert(shift)
        }
        XCTAssertEqual(seen.count, 49, "every shift in ±3 × ±3 should occur; seen \(seen.sorted { $0.lexicographicallyPrecedes($1) })")
    }

    // MARK: Rotation and scale

    func testRotationByZeroWithScaleOneIsTheIdentity() {
        let images = randomImages(4, channels: 2, height: 9, width: 7)
        XCTAssertEqual(transformed(images, ImageChoice(affine: Affine(rotation: 0, scale: 1))), images)
    }

    func testQuarterTurnMapsPixelsExactly() {
        let size = 7  // odd, so the centre (3, 3) is a pixel and the turn maps pixels onto pixels
        let images = randomImages(2, height: size, width: size)
        let turned = transformed(images, ImageChoice(affine: Affine(rotation: .pi / 2, scale: 1)))
        for i in 0..<2 {
            for y in 0..<size {
                for x in 0..<size {
                    // A clockwise quarter turn (rows going down): (x, y) → (size − 1 − y, x).
                    XCTAssertEqual(turned[i, 0, x, size - 1 - y], images[i, 0, y, x], accuracy: 1e-6, "(\(x), \(y))")
                }
            }
        }
    }

    func testResamplingFillsWithZeros() {
        let size = 9
        let ones = Tensor(shape: [1, 1, size, size], repeating: 1)
        let turned = transformed(ones, ImageChoice(affine: Affine(rotation: .pi / 4, scale: 1)))
        XCTAssertEqual(turned[0, 0, 4, 4], 1)  // the centre
        XCTAssertEqual(turned[0, 0, 0, 4], 1)  // mid-edges come from inside the image
        XCTAssertEqual(turned[0, 0, 4, 0], 1)
        for (x, y) in [(0, 0), (8, 0), (0, 8), (8, 8)] {
            XCTAssertEqual(turned[0, 0, y, x], 0, "corner (\(x), \(y)) comes from outside the image")
        }
        // Scaling by 8/9 about (4, 4): column 0 reads the source at x = 4 − 4 · 9/8 = −0.5, half pixel 0 and half zero.
        let shrunk = transformed(ones, ImageChoice(affine: Affine(rotation: 0, scale: 8.0 / 9.0)))
        XCTAssertEqual(shrunk[0, 0, 4, 0], 0.5, accuracy: 1e-5)
        XCTAssertEqual(shrunk[0, 0, 4, 1], 1, accuracy: 1e-6)
    }

    func testScaleIsAboutTheCentre() {
        let images = randomImages(1, height: 5, width: 5)
        let doubled = transformed(images, ImageChoice(affine: Affine(rotation: 0, scale: 2)))
        XCTAssertEqual(doubled[0, 0, 2, 2], images[0, 0, 2, 2])  // the centre stays
        XCTAssertEqual(doubled[0, 0, 2, 4], images[0, 0, 2, 3])  // 2 right of it came from 1 right of it
        XCTAssertEqual(doubled[0, 0, 0, 2], images[0, 0, 1, 2])  // 2 above it came from 1 above it
        XCTAssertEqual(doubled[0, 0, 2, 3], (images[0, 0, 2, 2] + images[0, 0, 2, 3]) / 2, accuracy: 1e-6)
    }

    func testOneResamplingPassComposesAffineThenShiftThenFlip() {
        let (height, width) = (9, 9)
        let images = randomImages(1, height: height, width: width)
        let turn = Affine(rotation: .pi / 2, scale: 1)
        let turned = plane(transformed(images, ImageChoice(affine: turn)), 0)
        let expected = mirrored(readShifted(turned, height: height, width: width, dx: 2, dy: -1), width: width)
        let combined = transformed(images, ImageChoice(affine: turn, shiftX: 2, shiftY: -1, flip: true))
        XCTAssertEqual(plane(combined, 0), expected)
    }

    // MARK: Erasing

    func testErasingChangesOneRectangleWithinTheAreaBounds() {
        let (n, height, width) = (300, 28, 28)
        let images = Tensor(shape: [n, 1, height, width], repeating: 1)  // the fill is < 1, so every erased pixel shows
        var result = images
        var generator = SeededGenerator(seed: 9)
        Augmentation(erasingProbability: 1).apply(to: &result, using: &generator)
        let area = Float(height * width)
        for i in 0..<n {
            let pixels = plane(result, i)
            let changed = pixels.indices.filter { pixels[$0] != 1 }
            guard !changed.isEmpty else {
                XCTFail("image \(i) was not erased")
                continue
            }
            let rows = changed.map { $0 / width }, columns = changed.map { $0 % width }
            let h = rows.max()! - rows.min()! + 1, w = columns.max()! - columns.min()! + 1
            XCTAssertEqual(changed.count, h * w, "image \(i): the changed pixels are not one filled rectangle")
            XCTAssertTrue(Float(h * w) >= 0.02 * area && Float(h * w) <= 0.33 * area, "image \(i): area \(h * w)")
            let aspect = Float(h) / Float(w)  // 0.3–3.3 before rounding the sides to whole pixels
            XCTAssertTrue(aspect >= 0.24 && aspect <= 4.1, "image \(i): \(h)×\(w)")
            XCTAssertTrue(changed.allSatisfy { (0..<1).contains(pixels[$0]) }, "fill values in [0, 1)")
        }

        var half = images
        Augmentation(erasingProbability: 0.5).apply(to: &half, using: &generator)
        let erased = (0..<n).filter { plane(half, $0).contains { $0 != 1 } }.count
        XCTAssertTrue((110...190).contains(erased), "\(erased) of \(n) erased with p = 0.5")
    }

    // MARK: Randomness and range

    func testSameSeedSameResultDifferentSeedDifferent() {
        let settings = Augmentation(horizontalFlip: true, cropPadding: 2, maxRotationDegrees: 15,
                                    maxScale: 0.1, erasingProbability: 0.5)
        let images = randomImages(256, height: 28, width: 28)
        func augmented(seed: UInt64) -> Tensor {
            var result = images
            var generator = SeededGenerator(seed: seed)
            settings.apply(to: &result, using: &generator)
            return result
        }
        let a = augmented(seed: 7)
        XCTAssertEqual(augmented(seed: 7), a)
        XCTAssertNotEqual(augmented(seed: 8), a)
        XCTAssertNotEqual(a, images)

        // The threads that do the work do not change the result.
        let threads = Threads.count
        defer { Threads.set(threads) }
        Threads.set(1)
        XCTAssertEqual(augmented(seed: 7), a)
    }

    func testPixelValuesStayInTheUnitRange() {
        var generator = SeededGenerator(seed: 2)
        // Many pixels at exactly 0 or 1, where interpolation could overshoot by rounding.
        let scalars = (0..<500 * 28 * 28).map { _ -> Float in
            let u = generator.nextUnitFloat()
            return u < 0.4 ? 1 : u < 0.6 ? 0 : generator.nextUnitFloat()
        }
        var images = Tensor(shape: [500, 1, 28, 28], scalars: scalars)
        Augmentation(horizontalFlip: true, cropPadding: 4, maxRotationDegrees: 30, maxScale: 0.2,
                     erasingProbability: 0.5).apply(to: &images, using: &generator)
        XCTAssertTrue(images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 },
                      "range \(images.scalars.min()!)…\(images.scalars.max()!)")
    }

    func testChannelsOfAnImageMoveTogether() {
        let one = randomImages(64, height: 12, width: 12)
        var images = Tensor(shape: [64, 2, 12, 12], scalars: (0..<64).flatMap { plane(one, $0) + plane(one, $0) })
        var generator = SeededGenerator(seed: 4)
        Augmentation(horizontalFlip: true, cropPadding: 2, maxRotationDegrees: 20).apply(to: &images, using: &generator)
        for i in 0..<64 { XCTAssertEqual(plane(images, i, channel: 0), plane(images, i, channel: 1), "image \(i)") }
    }

    // MARK: Settings

    func testValidateRejectsSettingsOutOfRange() throws {
        try Augmentation(horizontalFlip: true, cropPadding: 4, maxRotationDegrees: 180, maxScale: 0.5,
                         erasingProbability: 1).validate()
        let bad: [(Augmentation, String)] = [
            (Augmentation(cropPadding: -1), "crop padding must be 0 or more, got -1"),
            (Augmentation(maxRotationDegrees: -5), "maximum rotation must be between 0 and 180 degrees, got -5.0"),
            (Augmentation(maxRotationDegrees: .nan), "maximum rotation"),
            (Augmentation(maxScale: 1), "maximum scale change must be at least 0 and below 1, got 1.0"),
            (Augmentation(erasingProbability: 1.5), "erasing probability must be between 0 and 1, got 1.5"),
            (Augmentation(erasingProbability: -0.1), "erasing probability"),
        ]
        for (settings, message) in bad {
            XCTAssertThrowsError(try settings.validate()) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "'\(error)' should start with '\(message)'")
            }
        }
    }

    func testSummary() {
        XCTAssertEqual(Augmentation.none.summary, "none")
        XCTAssertEqual(Augmentation(horizontalFlip: true, cropPadding: 4, maxRotationDegrees: 10,
                                    erasingProbability: 0.5).summary,
                       "flip, crop ±4, rotate ±10°, erase p=0.5")
        XCTAssertEqual(Augmentation(maxRotationDegrees: 7.5, maxScale: 0.1).summary, "rotate ±7.5°, scale ±10%")
    }

    func testCodableRoundTripAndMissingKeysTakeDefaults() throws {
        let settings = Augmentation(horizontalFlip: true, cropPadding: 2, maxRotationDegrees: 10, maxScale: 0.05,
                                    erasingProbability: 0.25)
        let data = try JSONEncoder().encode(settings)
        XCTAssertEqual(try JSONDecoder().decode(Augmentation.self, from: data), settings)
        let partial = try JSONDecoder().decode(Augmentation.self, from: Data(#"{"cropPadding": 3}"#.utf8))
        XCTAssertEqual(partial, Augmentation(cropPadding: 3))
    }
}
