import Foundation
import Kernels
import Tensor

// Shapes: images are [n, C, H, W]; every channel of an image gets the same change.
// Coordinates: x is the column (0..<W, left to right), y the row (0..<H, top to bottom).

/// Random changes applied to each training image of a batch, drawn from a seeded generator.
///
/// Each image goes through, in order: rotation and scale about its centre, a random crop of
/// the zero-padded image (a translation), a left-right mirror, and random erasing. The first
/// three are done in one resampling pass, so an image is interpolated at most once.
public struct Augmentation: Codable, Equatable, Sendable {
    /// Mirror left-right with probability 0.5.
    public var horizontalFlip = false
    /// Pad by this many zero pixels on each side, then crop a random H×W window
    /// (a translation of up to ±cropPadding in each direction).
    public var cropPadding = 0
    /// Rotate by an angle uniform in ±this about the image centre (bilinear, zero fill).
    public var maxRotationDegrees: Float = 0
    /// Scale by a factor uniform in [1 − maxScale, 1 + maxScale] (with the rotation, one affine map).
    public var maxScale: Float = 0
    /// Random erasing (Zhong et al. 2017): with this probability, one rectangle of 2%–33% of the
    /// area, aspect ratio (height / width) in [0.3, 3.3], is filled with uniform random values in [0, 1).
    public var erasingProbability: Float = 0
    /// Photo-like changes (tone, blur, clutter, noise, resized crops) applied after the others.
    public var photo = PhotoAugmentation()

    /// Settings for each change; the defaults change nothing.
    public init(horizontalFlip: Bool = false, cropPadding: Int = 0, maxRotationDegrees: Float = 0,
                maxScale: Float = 0, erasingProbability: Float = 0, photo: PhotoAugmentation = PhotoAugmentation()) {
        self.horizontalFlip = horizontalFlip
        self.cropPadding = cropPadding
        self.maxRotationDegrees = maxRotationDegrees
        self.maxScale = maxScale
        self.erasingProbability = erasingProbability
        self.photo = photo
    }

    /// No change at all.
    public static let none = Augmentation()

    /// True when apply would leave the images unchanged.
    public var isIdentity: Bool {
        !horizontalFlip && cropPadding == 0 && maxRotationDegrees == 0 && maxScale == 0 && erasingProbability == 0
            && photo.isIdentity
    }

    /// True when images are rotated or scaled (resampled with bilinear interpolation).
    var hasAffine: Bool { maxRotationDegrees != 0 || maxScale != 0 }

    /// Throws an `AugmentationError` naming the first setting out of range.
    public func validate() throws {
        if let problem { throw AugmentationError(message: problem) }
    }

    /// What is wrong with the settings, or nil when they are usable.
    var problem: String? {
        if cropPadding < 0 {
            return "crop padding must be 0 or more, got \(cropPadding)"
        }
        if !(0...180).contains(maxRotationDegrees) {
            return "maximum rotation must be between 0 and 180 degrees, got \(maxRotationDegrees)"
        }
        if !(0..<1).contains(maxScale) {
            return "maximum scale change must be at least 0 and below 1, got \(maxScale)"
        }
        if !(0...1).contains(erasingProbability) {
            return "erasing probability must be between 0 and 1, got \(erasingProbability)"
        }
        return photo.problem
    }

    /// Augments every image of `images` [n, C, H, W] in place; the result depends only on the images and the generator's state.
    ///
    /// All random numbers of the batch are drawn from `generator` first, one image after another,
    /// then the images are changed in parallel. Resampled pixels are clamped to [0, 1].
    /// When `isIdentity`, neither the images nor the generator change.
    public func apply(to images: inout Tensor, using generator: inout SeededGenerator) {
        precondition(images.rank == 4, "augmentation expects images [n, C, H, W], got \(images.shape)")
        if let problem { preconditionFailure("invalid augmentation: \(problem)") }
        if isIdentity { return }
        let choices = (0..<images.shape[0]).map { _ in
            choice(height: images.shape[2], width: images.shape[3], using: &generator)
        }
        Augmentation.transform(&images, with: choices)
        photo.apply(to: &images, using: &generator)
    }

    /// A one-line description for logs, e.g. "flip, crop ±4, rotate ±10°, erase p=0.5" or "none".
    public var summary: String {
        var parts: [String] = []
        if horizontalFlip { parts.append("flip") }
        if cropPadding != 0 { parts.append("crop ±\(cropPadding)") }
        if maxRotationDegrees != 0 { parts.append("rotate ±\(decimal(maxRotationDegrees))°") }
        if maxScale != 0 { parts.append("scale ±\(decimal(maxScale * 100))%") }
        if erasingProbability != 0 { parts.append("erase p=\(decimal(erasingProbability))") }
        if !photo.isIdentity { parts.append(photo.summary) }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// `value` with up to 4 significant digits and no trailing zeros ("10", "7.5", "0.25").
    private func decimal(_ value: Float) -> String { String(format: "%.4g", Double(value)) }

    // MARK: Drawing the random choices

    /// The random choices for one image of `height × width` pixels.
    func choice(height: Int, width: Int, using generator: inout SeededGenerator) -> ImageChoice {
        var choice = ImageChoice()
        if hasAffine {
            let degrees = (2 * generator.nextUnitFloat() - 1) * maxRotationDegrees
            let scale = 1 + (2 * generator.nextUnitFloat() - 1) * maxScale
            choice.affine = Affine(rotation: degrees * .pi / 180, scale: scale)
        }
        if cropPadding > 0 {
            choice.shiftX = Int.random(in: -cropPadding...cropPadding, using: &generator)
            choice.shiftY = Int.random(in: -cropPadding...cropPadding, using: &generator)
        }
        if horizontalFlip {
            choice.flip = generator.nextUnitFloat() < 0.5
        }
        if erasingProbability > 0, generator.nextUnitFloat() < erasingProbability {
            choice.erasure = Erasure.random(height: height, width: width, using: &generator)
        }
        return choice
    }

    // MARK: Changing the images

    /// Applies `choices[i]` to image `i` of `images` [n, C, H, W], in parallel when the batch is large enough.
    static func transform(_ images: inout Tensor, with choices: [ImageChoice]) {
        precondition(images.rank == 4 && images.shape[0] == choices.count, "one choice per image")
        let channels = images.shape[1], height = images.shape[2], width = images.shape[3]
        let plane = height * width
        // Resampling costs ~9× a shifted copy (~7 ns against ~0.8 ns a pixel), so it pays to split
        // smaller batches: a 64-image batch is split only when it is resampled.
        let resamples = choices.contains { $0.affine != nil }
        images.scalars.withUnsafeMutableBufferPointer { pixels in
            parallelFor(choices.count, minimumPerThread: resamples ? 16 : 128) { range in
                var source = [Float](repeating: 0, count: plane)
                source.withUnsafeMutableBufferPointer { source in
                    for i in range {
                        let choice = choices[i]
                        for c in 0..<channels {
                            let start = (i * channels + c) * plane
                            let image = UnsafeMutableBufferPointer(rebasing: pixels[start ..< start + plane])
                            if choice.movesPixels {
                                _ = source.update(fromContentsOf: image)
                                resample(UnsafeBufferPointer(source), into: image, height: height, width: width, choice: choice)
                            }
                            if let erasure = choice.erasure {
                                erasure.fill(image, width: width, channel: c)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes into `output` the plane `source` [H, W] rotated and scaled, shifted and mirrored as `choice` says.
    ///
    /// Output pixel (x, y) reads the rotated and scaled image at (u, v) = (x′ + shiftX, y + shiftY), where
    /// x′ is x mirrored (W − 1 − x) or not; (u, v) outside the image is zero padding. That image at (u, v)
    /// is the source at the inverse map of (u, v), interpolated bilinearly with zeros outside.
    static func resample(_ source: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
                         height: Int, width: Int, choice: ImageChoice) {
        // Inverse affine map about the centre: p = centre + R(−θ)/s · (q − centre).
        let centreX = Float(width - 1) / 2, centreY = Float(height - 1) / 2
        let cosine = choice.affine.map { cos($0.rotation) / $0.scale } ?? 1
        let sine = choice.affine.map { sin($0.rotation) / $0.scale } ?? 0
        let interpolates = choice.affine != nil
        for y in 0..<height {
            let v = y + choice.shiftY
            let dv = Float(v) - centreY
            for x in 0..<width {
                let u = (choice.flip ? width - 1 - x : x) + choice.shiftX
                var value: Float = 0
                if u >= 0 && u < width && v >= 0 && v < height {
                    if interpolates {
                        let du = Float(u) - centreX
                        value = bilinear(source, height: height, width: width,
                                         x: centreX + cosine * du + sine * dv, y: centreY - sine * du + cosine * dv)
                    } else {
                        value = source[v * width + u]
                    }
                }
                output[y * width + x] = value
            }
        }
    }

    /// The plane `source` [H, W] at the point (x, y), interpolated bilinearly with zeros outside,
    /// clamped to [0, 1].
    @inline(__always)
    static func bilinear(_ source: UnsafeBufferPointer<Float>, height: Int, width: Int, x: Float, y: Float) -> Float {
        // Shifted by one so that truncation is the floor for every point that touches the image.
        let xPlusOne = x + 1, yPlusOne = y + 1
        guard xPlusOne > 0, yPlusOne > 0, xPlusOne < Float(width + 1), yPlusOne < Float(height + 1) else { return 0 }
        let x0 = Int(xPlusOne) - 1, y0 = Int(yPlusOne) - 1
        let fx = xPlusOne - Float(x0 + 1), fy = yPlusOne - Float(y0 + 1)
        let topLeft, topRight, bottomLeft, bottomRight: Float
        if x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height {
            let i = y0 * width + x0
            (topLeft, topRight, bottomLeft, bottomRight) = (source[i], source[i + 1], source[i + width], source[i + width + 1])
        } else {
            @inline(__always) func pixel(_ px: Int, _ py: Int) -> Float {
                px >= 0 && px < width && py >= 0 && py < height ? source[py * width + px] : 0
            }
            (topLeft, topRight) = (pixel(x0, y0), pixel(x0 + 1, y0))
            (bottomLeft, bottomRight) = (pixel(x0, y0 + 1), pixel(x0 + 1, y0 + 1))
        }
        let top = topLeft + fx * (topRight - topLeft)
        let bottom = bottomLeft + fx * (bottomRight - bottomLeft)
        return min(max(top + fy * (bottom - top), 0), 1)
    }
}

extension Augmentation {
    /// Reads settings, taking the default for any that are missing (so older files still load).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            horizontalFlip: try container.decodeIfPresent(Bool.self, forKey: .horizontalFlip) ?? false,
            cropPadding: try container.decodeIfPresent(Int.self, forKey: .cropPadding) ?? 0,
            maxRotationDegrees: try container.decodeIfPresent(Float.self, forKey: .maxRotationDegrees) ?? 0,
            maxScale: try container.decodeIfPresent(Float.self, forKey: .maxScale) ?? 0,
            erasingProbability: try container.decodeIfPresent(Float.self, forKey: .erasingProbability) ?? 0,
            photo: try container.decodeIfPresent(PhotoAugmentation.self, forKey: .photo) ?? PhotoAugmentation())
    }
}

/// Augmentation settings out of range; the message names the setting and its value.
public struct AugmentationError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, in one line.
    public var message: String
    /// The message, for `Error: …` lines.
    public var description: String { message }
}

/// The images mirrored left-right (for test-time augmentation).
public func horizontallyFlipped(_ images: Tensor) -> Tensor {
    precondition(images.rank == 4, "expected images [n, C, H, W], got \(images.shape)")
    let width = images.shape[3]
    var flipped = images
    flipped.scalars.withUnsafeMutableBufferPointer { pixels in
        for rowStart in stride(from: 0, to: pixels.count, by: width) {
            pixels[rowStart ..< rowStart + width].reverse()
        }
    }
    return flipped
}

/// The images as the training crop and flip show them for one fixed choice, the same for every
/// image (test-time views): output pixel (x, y) reads (x′ + shiftX, y + shiftY), where x′ is
/// W − 1 − x when `flip`, else x; zero outside the image.
public func cropped(_ images: Tensor, shiftX: Int, shiftY: Int, flip: Bool) -> Tensor {
    precondition(images.rank == 4, "expected images [n, C, H, W], got \(images.shape)")
    var view = images
    let choice = ImageChoice(shiftX: shiftX, shiftY: shiftY, flip: flip)
    Augmentation.transform(&view, with: Array(repeating: choice, count: images.shape[0]))
    return view
}

// MARK: - The random choices for one image

/// A rotation and a scale about the image centre.
struct Affine: Equatable {
    /// The angle in radians; positive turns the image clockwise as displayed (rows going down).
    var rotation: Float
    /// The size factor (> 0).
    var scale: Float
}

/// Everything random about how one image changes, drawn before any pixel changes.
struct ImageChoice: Equatable {
    /// Rotation and scale, or nil for none (no interpolation).
    var affine: Affine?
    /// The crop window's offset from the centred one: output (x, y) reads (x + shiftX, y + shiftY).
    var shiftX = 0, shiftY = 0
    /// Mirror left-right after the crop.
    var flip = false
    /// The rectangle erased last, or nil.
    var erasure: Erasure?

    /// True when the geometry changes (anything but erasing).
    var movesPixels: Bool { affine != nil || shiftX != 0 || shiftY != 0 || flip }
}

/// One erased rectangle and the seed of its random fill.
struct Erasure: Equatable {
    /// The top-left corner, column and row.
    var x, y: Int
    /// The size in pixels.
    var width, height: Int
    /// Seeds the generator of the fill values, so the fill can be drawn in parallel yet stay determined.
    var seed: UInt64

    /// A rectangle of 2%–33% of a `height × width` image with aspect ratio (height / width) in
    /// [0.3, 3.3], placed uniformly; nil in the rare case that 100 tries do not fit one.
    static func random(height: Int, width: Int, using generator: inout SeededGenerator) -> Erasure? {
        let area = Float(height * width)
        for _ in 0..<100 {
            let target = area * (0.02 + 0.31 * generator.nextUnitFloat())
            let aspect = 0.3 + 3.0 * generator.nextUnitFloat()
            let h = Int((target * aspect).squareRoot().rounded())
            let w = Int((target / aspect).squareRoot().rounded())
            // Rounding can push the area out of bounds: keep only rectangles that are really within them.
            guard h >= 1, w >= 1, h <= height, w <= width,
                  Float(h * w) >= 0.02 * area, Float(h * w) <= 0.33 * area else { continue }
            let x = Int.random(in: 0...width - w, using: &generator)
            let y = Int.random(in: 0...height - h, using: &generator)
            return Erasure(x: x, y: y, width: w, height: h, seed: generator.next())
        }
        return nil
    }

    /// Fills the rectangle of channel `channel` of an image (`plane`, rows of `width`) with uniform values in [0, 1).
    func fill(_ plane: UnsafeMutableBufferPointer<Float>, width planeWidth: Int, channel: Int) {
        var generator = SeededGenerator(seed: seed &+ UInt64(channel))
        for row in y ..< y + height {
            for column in x ..< x + width {
                plane[row * planeWidth + column] = generator.nextUnitFloat()
            }
        }
    }
}

extension Augmentation {
    /// Parses a list of changes such as `--augment`'s: comma-separated `flip`, `crop=P`, `rotate=DEG`, `scale=S`, `erase=P`, `photo`
    /// (the photo preset) and its parts `photo-crop=P` (`crop-area=A`: its smallest window), `tone=P`,
    /// `blur=P`, `clutter=P`, `noise=S`, colour `jitter=S`, or `none`.
    public init(parsing text: String) throws {
        self = .none
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let (key, value) = (parts.first ?? "", parts.count > 1 ? parts[1] : nil)
            func number() throws -> Float {
                guard let value, let number = Float(value) else { throw AugmentationError(message: "'\(item)' needs a number, as in \(key)=2") }
                return number
            }
            if ["none", "flip", "photo"].contains(key), value != nil {
                throw AugmentationError(message: "'\(item)': \(key) takes no value")
            }
            switch key {
            case "none": continue
            case "flip": horizontalFlip = true
            case "crop":
                let p = try number()
                guard p == p.rounded(), abs(p) <= 1000 else { throw AugmentationError(message: "crop padding must be a whole number of pixels up to 1000") }
                cropPadding = Int(p)
            case "rotate": maxRotationDegrees = try number()
            case "scale": maxScale = try number()
            case "erase": erasingProbability = try number()
            case "photo": photo = .preset
            case "photo-crop": photo.cropProbability = try number()
            case "tone": photo.toneProbability = try number()
            case "blur": photo.blurProbability = try number()
            case "clutter": photo.clutterProbability = try number()
            case "noise": photo.noise = try number()
            case "jitter": photo.colourJitter = try number()
            case "crop-area": photo.minimumCropArea = try number()
            default: throw AugmentationError(message: "unknown item '\(key)' (known: flip, crop=P, rotate=DEG, scale=S, erase=P, photo, photo-crop=P, crop-area=A, tone=P, blur=P, clutter=P, noise=S, jitter=S, none)")
            }
        }
        try validate()
    }
}
