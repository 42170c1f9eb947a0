import Foundation
import Kernels
import Tensor

// Shapes: images are [n, C, H, W] with values in [0, 1], garment light on a black background (as
// Fashion-MNIST and the photo preprocessing's output). Every channel of an image gets the same change.

/// Random changes that make a Fashion-MNIST image look like what the photo preprocessing leaves of a
/// real photo: a partial crop, other contrast and exposure, blur or over-sharpening, remains of a busy
/// background, and sensor noise. Applied after the geometric augmentation, each change with its own
/// probability, so some images stay clean.
public struct PhotoAugmentation: Codable, Equatable, Sendable {
    /// Probability of a random resized crop: a window of `minimumCropArea`…100% of the image, aspect
    /// ratio within 3:4…4:3, stretched back to full size (the garment cut at the frame, re-centred).
    public var cropProbability: Float = 0
    /// The smallest crop window, as a fraction of the image area.
    public var minimumCropArea: Float = 0.6
    /// Probability of a tone change: gain uniform in [1 − `contrast`, 1 + `contrast`] and gamma in
    /// [1 / (1 + `gamma`), 1 + `gamma`], x ↦ gain · x^gamma (black stays black).
    public var toneProbability: Float = 0
    /// The largest gain change.
    public var contrast: Float = 0.4
    /// The largest gamma change.
    public var gamma: Float = 0.6
    /// Probability of a Gaussian blur (σ uniform in 0.5…1.2) or, as often, an unsharp mask (amount 0.5…2).
    public var blurProbability: Float = 0
    /// Probability of background clutter: a smooth random field (a 5×5 grid of uniform values,
    /// interpolated), of amplitude up to `clutterAmplitude`, showing where the image is darker than it.
    public var clutterProbability: Float = 0
    /// The clutter field's largest value.
    public var clutterAmplitude: Float = 0.35
    /// Gaussian noise with σ uniform in [0, `noise`] on every pixel (0: none).
    public var noise: Float = 0
    /// Colour jitter of strength s (0: none), on every image: brightness × U[1 − s, 1 + s], contrast
    /// about the image's mean × U[1 − s, 1 + s] and, for 3 channels, saturation (a blend with the
    /// pixel's luma) × U[1 − s, 1 + s]. The one change that treats channels differently.
    public var colourJitter: Float = 0

    /// Settings for each change; the defaults change nothing.
    public init(cropProbability: Float = 0, minimumCropArea: Float = 0.6, toneProbability: Float = 0,
                contrast: Float = 0.4, gamma: Float = 0.6, blurProbability: Float = 0,
                clutterProbability: Float = 0, clutterAmplitude: Float = 0.35, noise: Float = 0, colourJitter: Float = 0) {
        self.cropProbability = cropProbability
        self.minimumCropArea = minimumCropArea
        self.toneProbability = toneProbability
        self.contrast = contrast
        self.gamma = gamma
        self.blurProbability = blurProbability
        self.clutterProbability = clutterProbability
        self.clutterAmplitude = clutterAmplitude
        self.noise = noise
        self.colourJitter = colourJitter
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PhotoAugmentation()
        func value(_ key: CodingKeys, _ fallback: Float) throws -> Float { try c.decodeIfPresent(Float.self, forKey: key) ?? fallback }
        cropProbability = try value(.cropProbability, d.cropProbability)
        minimumCropArea = try value(.minimumCropArea, d.minimumCropArea)
        toneProbability = try value(.toneProbability, d.toneProbability)
        contrast = try value(.contrast, d.contrast)
        gamma = try value(.gamma, d.gamma)
        blurProbability = try value(.blurProbability, d.blurProbability)
        clutterProbability = try value(.clutterProbability, d.clutterProbability)
        clutterAmplitude = try value(.clutterAmplitude, d.clutterAmplitude)
        noise = try value(.noise, d.noise)
        colourJitter = try value(.colourJitter, d.colourJitter)  // absent in configs written before it existed
    }

    /// The `photo` preset (`--augment photo`): every change, each applied to about a third to half of
    /// the images so that the rest stay clean. Compared on the real-photo validation half only against
    /// no photo augmentation (docs/RESULTS.md); the probabilities themselves were not tuned.
    public static let preset = PhotoAugmentation(cropProbability: 0.3, toneProbability: 0.5, blurProbability: 0.4,
                                                 clutterProbability: 0.3, noise: 0.04)

    /// True when `apply` would leave the images unchanged.
    public var isIdentity: Bool {
        cropProbability == 0 && toneProbability == 0 && blurProbability == 0 && clutterProbability == 0 && noise == 0
            && colourJitter == 0
    }

    /// What is wrong with the settings, or nil when they are usable.
    var problem: String? {
        for (name, p) in [("crop", cropProbability), ("tone", toneProbability), ("blur", blurProbability),
                          ("clutter", clutterProbability)] where !(0...1).contains(p) {
            return "\(name) probability must be between 0 and 1, got \(p)"
        }
        if !(0.1...1).contains(minimumCropArea) { return "minimum crop area must be between 0.1 and 1, got \(minimumCropArea)" }
        if !(0..<1).contains(contrast) { return "contrast change must be at least 0 and below 1, got \(contrast)" }
        if !(0...3).contains(gamma) { return "gamma change must be between 0 and 3, got \(gamma)" }
        if !(0...1).contains(clutterAmplitude) { return "clutter amplitude must be between 0 and 1, got \(clutterAmplitude)" }
        if !(0...0.5).contains(noise) { return "noise must be between 0 and 0.5, got \(noise)" }
        if !(0..<1).contains(colourJitter) { return "colour jitter must be at least 0 and below 1, got \(colourJitter)" }
        return nil
    }

    /// A one-line description, e.g. "photo (crop p=0.3, tone p=0.5, blur p=0.4, clutter p=0.3, noise 0.04)".
    public var summary: String {
        var parts: [String] = []
        func add(_ name: String, _ value: Float) { if value != 0 { parts.append(name + String(format: "%.3g", Double(value))) } }
        add("crop p=", cropProbability)
        add("tone p=", toneProbability)
        add("blur p=", blurProbability)
        add("clutter p=", clutterProbability)
        add("noise ", noise)
        add("jitter ", colourJitter)
        return "photo (" + parts.joined(separator: ", ") + ")"
    }

    // MARK: Drawing the random choices

    /// Everything random about how one image changes.
    struct Choice: Equatable {
        /// The crop window (x, y, width, height in pixels, fractional), or nil.
        var crop: (x: Float, y: Float, width: Float, height: Float)?
        /// Gain and gamma, or nil.
        var tone: (gain: Float, gamma: Float)?
        /// Blur σ (> 0) or, when negative, minus the unsharp amount; nil for neither.
        var blur: Float?
        /// The clutter field's seed and amplitude, or nil.
        var clutter: (seed: UInt64, amplitude: Float)?
        /// The noise's σ and seed, or nil.
        var noise: (sigma: Float, seed: UInt64)?
        /// Brightness, contrast and saturation factors, or nil.
        var jitter: SIMD3<Float>?

        static func == (a: Choice, b: Choice) -> Bool {
            a.crop.map { [$0.x, $0.y, $0.width, $0.height] } == b.crop.map { [$0.x, $0.y, $0.width, $0.height] }
                && a.tone.map { [$0.gain, $0.gamma] } == b.tone.map { [$0.gain, $0.gamma] }
                && a.blur == b.blur && a.clutter?.seed == b.clutter?.seed && a.clutter?.amplitude == b.clutter?.amplitude
                && a.noise?.sigma == b.noise?.sigma && a.noise?.seed == b.noise?.seed && a.jitter == b.jitter
        }
    }

    /// The random choices for one `height × width` image.
    func choice(height: Int, width: Int, using g: inout SeededGenerator) -> Choice {
        var choice = Choice()
        func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * g.nextUnitFloat() }
        if cropProbability > 0, g.nextUnitFloat() < cropProbability {
            let area = uniform(minimumCropArea, 1)
            let aspect = exp(uniform(log(0.75), log(4.0 / 3.0)))
            let w = min(1, (area * aspect).squareRoot()) * Float(width)
            let h = min(1, (area / aspect).squareRoot()) * Float(height)
            choice.crop = (uniform(0, Float(width) - w), uniform(0, Float(height) - h), w, h)
        }
        if toneProbability > 0, g.nextUnitFloat() < toneProbability {
            let gain = uniform(1 - contrast, 1 + contrast)
            let gammaValue = exp(uniform(-log(1 + gamma), log(1 + gamma)))
            choice.tone = (gain, gammaValue)
        }
        if blurProbability > 0, g.nextUnitFloat() < blurProbability {
            choice.blur = g.nextUnitFloat() < 0.5 ? uniform(0.5, 1.2) : -uniform(0.5, 2)
        }
        if clutterProbability > 0, g.nextUnitFloat() < clutterProbability {
            choice.clutter = (g.next(), uniform(0.1, 1) * clutterAmplitude)
        }
        if noise > 0 {
            choice.noise = (uniform(0, noise), g.next())
        }
        if colourJitter > 0 {
            let s = colourJitter
            choice.jitter = SIMD3(uniform(1 - s, 1 + s), uniform(1 - s, 1 + s), uniform(1 - s, 1 + s))
        }
        return choice
    }

    /// Augments every image of `images` [n, C, H, W] in place, drawing all random numbers from
    /// `generator` first (one image after another), then changing the images in parallel.
    public func apply(to images: inout Tensor, using generator: inout SeededGenerator) {
        precondition(images.rank == 4, "augmentation expects images [n, C, H, W], got \(images.shape)")
        if let problem { preconditionFailure("invalid photo augmentation: \(problem)") }
        if isIdentity { return }
        let height = images.shape[2], width = images.shape[3]
        let choices = (0..<images.shape[0]).map { _ in choice(height: height, width: width, using: &generator) }
        PhotoAugmentation.transform(&images, with: choices)
    }

    // MARK: Changing the images

    /// Applies `choices[i]` to every channel of image `i` of `images` [n, C, H, W].
    static func transform(_ images: inout Tensor, with choices: [Choice]) {
        let channels = images.shape[1], height = images.shape[2], width = images.shape[3]
        let plane = height * width
        images.scalars.withUnsafeMutableBufferPointer { pixels in
            parallelFor(choices.count, minimumPerThread: 32) { range in
                for i in range {
                    if let jitter = choices[i].jitter {
                        colourJitter(UnsafeMutableBufferPointer(rebasing: pixels[i * channels * plane ..< (i + 1) * channels * plane]),
                                     channels: channels, factors: jitter)
                    }
                    for c in 0..<channels {
                        let start = (i * channels + c) * plane
                        var image = Array(pixels[start ..< start + plane])
                        change(&image, height: height, width: width, choice: choices[i])
                        for j in 0..<plane { pixels[start + j] = image[j] }
                    }
                }
            }
        }
    }

    /// Brightness, contrast (about the mean) and, with 3 channels, saturation (about each pixel's
    /// luma) of one image [C, H, W] scaled by `factors`.
    static func colourJitter(_ image: UnsafeMutableBufferPointer<Float>, channels: Int, factors: SIMD3<Float>) {
        let plane = image.count / channels
        var mean: Float = 0
        for j in image.indices { mean += image[j] }
        mean /= Float(max(1, image.count))
        for j in image.indices { image[j] = factors.x * (mean + factors.y * (image[j] - mean)) }
        guard channels == 3 else { return }
        for j in 0 ..< plane {
            let luma = 0.299 * image[j] + 0.587 * image[plane + j] + 0.114 * image[2 * plane + j]
            for c in 0 ..< 3 { image[c * plane + j] = luma + factors.z * (image[c * plane + j] - luma) }
        }
    }

    /// One image plane [H, W] changed as `choice` says: crop, tone, blur or sharpen, clutter, noise; clamped to [0, 1].
    static func change(_ image: inout [Float], height: Int, width: Int, choice: Choice) {
        if let crop = choice.crop {
            image = resizedCrop(image, height: height, width: width, crop: crop)
        }
        if let tone = choice.tone {
            for j in image.indices where image[j] > 0 { image[j] = tone.gain * pow(image[j], tone.gamma) }
        }
        if let blur = choice.blur {
            let blurred = gaussianBlur3x3(image, height: height, width: width, sigma: blur > 0 ? blur : 1)
            if blur > 0 {
                image = blurred
            } else {
                for j in image.indices { image[j] += -blur * (image[j] - blurred[j]) }
            }
        }
        if let clutter = choice.clutter {
            let field = smoothField(height: height, width: width, seed: clutter.seed)
            for j in image.indices { image[j] = max(image[j], field[j] * clutter.amplitude) }
        }
        if let noise = choice.noise {
            var g = SeededGenerator(seed: noise.seed)
            for j in image.indices { image[j] += noise.sigma * gaussian(&g) }
        }
        for j in image.indices { image[j] = min(max(image[j], 0), 1) }
    }

    /// The window `crop` of `image` [H, W] stretched to H × W, sampled bilinearly at pixel centres.
    static func resizedCrop(_ image: [Float], height: Int, width: Int,
                            crop: (x: Float, y: Float, width: Float, height: Float)) -> [Float] {
        var output = [Float](repeating: 0, count: image.count)
        let sx = crop.width / Float(width), sy = crop.height / Float(height)
        for y in 0..<height {
            let v = min(max(crop.y + (Float(y) + 0.5) * sy - 0.5, 0), Float(height - 1))
            let y0 = Int(v), y1 = min(y0 + 1, height - 1), fy = v - Float(y0)
            for x in 0..<width {
                let u = min(max(crop.x + (Float(x) + 0.5) * sx - 0.5, 0), Float(width - 1))
                let x0 = Int(u), x1 = min(x0 + 1, width - 1), fx = u - Float(x0)
                let top = image[y0 * width + x0] + fx * (image[y0 * width + x1] - image[y0 * width + x0])
                let bottom = image[y1 * width + x0] + fx * (image[y1 * width + x1] - image[y1 * width + x0])
                output[y * width + x] = top + fy * (bottom - top)
            }
        }
        return output
    }

    /// `image` [H, W] convolved with a normalised 3×3 Gaussian of standard deviation `sigma` (edges clamped).
    static func gaussianBlur3x3(_ image: [Float], height: Int, width: Int, sigma: Float) -> [Float] {
        let side = exp(-1 / (2 * sigma * sigma))
        let weights = [side, 1, side].map { $0 / (1 + 2 * side) }
        var rows = image, output = image
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for d in -1...1 { sum += weights[d + 1] * image[y * width + min(max(x + d, 0), width - 1)] }
                rows[y * width + x] = sum
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for d in -1...1 { sum += weights[d + 1] * rows[min(max(y + d, 0), height - 1) * width + x] }
                output[y * width + x] = sum
            }
        }
        return output
    }

    /// A smooth random field [H, W] in [0, 1): a 5×5 grid of uniform values interpolated bilinearly.
    static func smoothField(height: Int, width: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        let grid = (0..<25).map { _ in g.nextUnitFloat() }
        var field = [Float](repeating: 0, count: height * width)
        for y in 0..<height {
            let v = Float(y) / Float(max(1, height - 1)) * 4
            let y0 = min(Int(v), 3), fy = v - Float(y0)
            for x in 0..<width {
                let u = Float(x) / Float(max(1, width - 1)) * 4
                let x0 = min(Int(u), 3), fx = u - Float(x0)
                let top = grid[y0 * 5 + x0] + fx * (grid[y0 * 5 + x0 + 1] - grid[y0 * 5 + x0])
                let bottom = grid[(y0 + 1) * 5 + x0] + fx * (grid[(y0 + 1) * 5 + x0 + 1] - grid[(y0 + 1) * 5 + x0])
                field[y * width + x] = top + fy * (bottom - top)
            }
        }
        return field
    }

    /// A standard normal sample (Box–Muller).
    static func gaussian(_ g: inout SeededGenerator) -> Float {
        let u1 = max(g.nextUnitFloat(), 1e-7), u2 = g.nextUnitFloat()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
