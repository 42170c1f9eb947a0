import Imaging

/// Which pipeline turns a photo into a model input.
public enum PreprocessingMethod: String, CaseIterable, Codable, Sendable {
    /// The Fashion-MNIST paper's conversion (`PaperSteps`), for product photos on plain white.
    case paper
    /// The pipeline for real photos (`PhotoSteps`): border background model, flood-filled mask, polarity, contrast.
    case photo
    /// The whole photo, colour and aspect kept: padded to a square with the border's median colour
    /// (the estimated background), then area-averaged to size × size. For models trained on a
    /// shop's own photos (`--channels 3`).
    case letterbox
}

/// One named intermediate picture (for `fashion preprocess --out steps.png`).
public struct PreprocessingStep: Sendable {
    /// What the picture shows, short enough to label it.
    public var name: String
    /// The picture.
    public var image: RGBImage

    /// A step from its name and picture.
    public init(name: String, image: RGBImage) {
        self.name = name
        self.image = image
    }
}

/// A photo → size×size model input pipeline with its parameters.
public struct Preprocessor: Sendable, Equatable, Codable {
    /// The pipeline.
    public var method: PreprocessingMethod = .photo
    /// Side of the square output in pixels (28 for Fashion-MNIST).
    public var size = 28
    /// Planes of the output: 1 (gray) or 3 (RGB; the paper and photo pipelines make gray, repeated
    /// in each plane, and only `letterbox` keeps colour).
    public var channels = 1

    // The photo pipeline's parameters (the paper's are fixed by the paper).

    /// Longest edge of the working copy the photo is area-averaged down to before masking: 128.
    public var workingSize = 128
    /// Width of the border ring the background is modelled from, as a fraction of each side: 0.05.
    public var borderFraction: Float = 0.05
    /// Percentile of the ring pixels' distances from the background colour taken as their spread: 0.75.
    public var spreadPercentile: Float = 0.75
    /// A pixel is background-like within max(`minimumThreshold` × 255·√3, `spreadFactor` × spread): 2
    /// (chosen on the real-photo validation half with the fast recipe's weights, against 1, 1.5, 2.5, 3.5, 5).
    public var spreadFactor: Float = 2
    /// Radius of the opening that keeps the background's flood fill out of thin gaps: 2.
    public var openingRadius = 2
    /// The smallest background distance threshold, as a fraction of 255·√3: 0.08 (the paper's fuzz is
    /// 0.05; 0.065, 0.08 and 0.1 measured alike on the real-photo validation half, 0.05 lower).
    public var minimumThreshold: Float = 0.08
    /// Foreground components smaller than this fraction of the largest are dropped: 0.1.
    public var componentFraction: Float = 0.1
    /// Masks covering less than this fraction of the working image fall back to the centre crop: 0.1
    /// (garments in the phone photos cover 20–70%; less means the mask caught only specks).
    public var minimumCoverage: Float = 0.1
    /// Masks covering more than this fraction of the working image fall back to the centre crop: 0.95.
    public var maximumCoverage: Float = 0.95
    /// Side fraction of the centred rectangle kept by the fallback: 0.8.
    public var fallbackFraction: Float = 0.8
    /// Percentiles of the garment's intensities stretched to `contrastRange`: 0.02...0.98.
    public var contrastPercentiles: ClosedRange<Float> = 0.02 ... 0.98
    /// Intensities the garment's percentiles are stretched to: 0...255 (64...255 and 128...255 measured
    /// 5 and 7 points lower on the real-photo validation half).
    public var contrastRange: ClosedRange<Float> = 0 ... 255

    /// A pipeline with the default parameters.
    public init(method: PreprocessingMethod = .photo, size: Int = 28, channels: Int = 1) {
        self.method = method
        self.size = size
        self.channels = channels
    }

    /// Reads a pipeline saved in a checkpoint, taking the default for every parameter it lacks (so a
    /// checkpoint saved before a parameter existed still loads, with the behaviour it had).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? fallback }
        let d = Preprocessor()
        method = try value(.method, d.method)
        size = try value(.size, d.size)
        channels = try value(.channels, d.channels)
        workingSize = try value(.workingSize, d.workingSize)
        borderFraction = try value(.borderFraction, d.borderFraction)
        spreadPercentile = try value(.spreadPercentile, d.spreadPercentile)
        spreadFactor = try value(.spreadFactor, d.spreadFactor)
        openingRadius = try value(.openingRadius, d.openingRadius)
        minimumThreshold = try value(.minimumThreshold, d.minimumThreshold)
        componentFraction = try value(.componentFraction, d.componentFraction)
        minimumCoverage = try value(.minimumCoverage, d.minimumCoverage)
        maximumCoverage = try value(.maximumCoverage, d.maximumCoverage)
        fallbackFraction = try value(.fallbackFraction, d.fallbackFraction)
        contrastPercentiles = try value(.contrastPercentiles, d.contrastPercentiles)
        contrastRange = try value(.contrastRange, d.contrastRange)
    }

    /// The size × size input a model sees for `photo` (any size ≥ 1 × 1), in `channels` planes.
    public func callAsFunction(_ photo: RGBImage) -> ModelInput {
        switch method {
        case .paper: return ModelInput(paper(photo).gray, channels: planes)
        case .photo: return ModelInput(self.photo(photo).final, channels: planes)
        case .letterbox: return ModelInput(letterbox(photo).final, channels: planes)
        }
    }

    /// The planes actually made: 3 when `channels` is 3, else 1.
    private var planes: Int { channels == 3 ? 3 : 1 }

    /// What is wrong with the settings for use, or nil.
    public var problem: String? {
        guard [1, 3].contains(channels) else { return "preprocessing channels must be 1 or 3, got \(channels)" }
        guard (1...4096).contains(size) else { return "preprocessing size must be from 1 to 4096 pixels, got \(size)" }
        return nil
    }

    /// Each intermediate picture, from the photo to the final size × size (as RGB gray).
    public func steps(_ photo: RGBImage) -> [PreprocessingStep] {
        switch method {
        case .paper:
            let t = paper(photo)
            return [PreprocessingStep(name: "photo", image: photo),
                    PreprocessingStep(name: "trim", image: t.trimmed),
                    PreprocessingStep(name: "subsample", image: t.subsampled),
                    PreprocessingStep(name: "sharpen", image: t.sharpened),
                    PreprocessingStep(name: "extend", image: t.extended),
                    PreprocessingStep(name: "negate", image: t.negated),
                    PreprocessingStep(name: "gray", image: RGBImage(t.gray))]
        case .photo:
            let t = self.photo(photo)
            return [PreprocessingStep(name: "photo", image: photo),
                    PreprocessingStep(name: t.fallback ? "mask (fallback)" : "mask",
                                      image: maskOverlay(t.working, mask: t.mask)),
                    PreprocessingStep(name: "crop", image: t.cropped),
                    PreprocessingStep(name: "intensity", image: RGBImage(t.intensity)),
                    PreprocessingStep(name: "\(side)x\(side)", image: RGBImage(t.final))]
        case .letterbox:
            let t = letterbox(photo)
            return [PreprocessingStep(name: "photo", image: photo),
                    PreprocessingStep(name: "fit", image: t.fitted),
                    PreprocessingStep(name: "\(side)x\(side)", image: self(photo).picture)]
        }
    }

    /// The smallest side a decoder may reduce a photo to before this pipeline without losing
    /// quality (e.g. by JPEG DCT scaling). The photo pipeline area-averages to `workingSize` on
    /// the longest edge first, so a smallest side of `workingSize` keeps the longest edge at
    /// least that for any aspect ratio (conservative for elongated photos). The paper's trim may
    /// keep only part of the photo before subsampling to `size`, so it asks for 4 × `size`: a
    /// garment spanning a quarter of the smaller side still has `size` pixels to sample from.
    public var decodeMinimumSide: Int {
        switch method {
        case .paper: return 4 * size
        case .photo: return max(size, workingSize)
        case .letterbox: return 2 * size
        }
    }

    /// The output side actually used: `size`, at least 1.
    private var side: Int { max(1, size) }

    /// The paper's intermediates.
    private struct PaperTrace {
        var trimmed, subsampled, sharpened, extended, negated: RGBImage
        var gray: GrayImage
    }

    /// Runs the paper's six steps.
    private func paper(_ photo: RGBImage) -> PaperTrace {
        let trimmed = PaperSteps.trim(photo)
        let subsampled = PaperSteps.subsample(trimmed, longestEdge: side)
        let sharpened = PaperSteps.sharpen(subsampled)
        let extended = PaperSteps.extend(sharpened, width: side, height: side, fill: photo[0, 0])
        let negated = PaperSteps.negate(extended)
        return PaperTrace(trimmed: trimmed, subsampled: subsampled, sharpened: sharpened,
                          extended: extended, negated: negated, gray: PaperSteps.grayscale(negated))
    }

    /// The letterbox's intermediates: the photo area-averaged to fit size × size, and that centred
    /// on a size × size square of the background colour.
    private struct LetterboxTrace {
        var fitted, final: RGBImage
    }

    /// Fits the photo into size × size (aspect kept, area-averaged) and centres it on the median
    /// colour of its border ring (`borderFraction`).
    private func letterbox(_ photo: RGBImage) -> LetterboxTrace {
        let c = PhotoSteps.background(of: photo, border: borderFraction, refinements: 0).colour
        let fitted = AreaResize.fit(photo, longestEdge: side)
        var final = RGBImage(width: side, height: side, fill: RGB(clampedByte(c.x), clampedByte(c.y), clampedByte(c.z)))
        final.draw(fitted, x: (side - fitted.width) / 2, y: (side - fitted.height) / 2)
        return LetterboxTrace(fitted: fitted, final: final)
    }

    /// The photo pipeline's intermediates.
    private struct PhotoTrace {
        var working: RGBImage
        var mask: GrayImage
        var fallback: Bool
        var cropped: RGBImage
        var intensity: GrayImage
        var final: GrayImage
    }

    /// Runs the photo pipeline's stages a–e.
    private func photo(_ photo: RGBImage) -> PhotoTrace {
        let longest = max(photo.width, photo.height)
        let working = longest > workingSize ? AreaResize.fit(photo, longestEdge: workingSize) : photo
        let smooth = PhotoSteps.smoothed(working)
        let background = PhotoSteps.background(of: smooth, border: borderFraction, percentile: spreadPercentile)
        let threshold = PhotoSteps.threshold(background, minimum: minimumThreshold, factor: spreadFactor)
        let raw = PhotoSteps.foregroundMask(working, smooth: smooth, background: background, threshold: threshold, radius: openingRadius)
        var mask = PhotoSteps.cleaned(raw, keep: componentFraction)
        let coverage = PhotoSteps.coverage(mask)
        let fallback = coverage < minimumCoverage || coverage > maximumCoverage
        if fallback {
            mask = PhotoSteps.centreMask(width: working.width, height: working.height, fraction: fallbackFraction)
        }
        let box = PhotoSteps.boundingBox(mask) ?? PixelBox(x: 0, y: 0, width: working.width, height: working.height)
        let cropped = PhotoSteps.crop(working, to: box)
        let alpha = fallback ? PhotoSteps.crop(mask, to: box) : PhotoSteps.crop(PhotoSteps.softened(mask), to: box)
        let intensity = PhotoSteps.intensity(cropped, mask: PhotoSteps.crop(mask, to: box), alpha: alpha,
                                             background: background, percentiles: contrastPercentiles,
                                             range: contrastRange)
        return PhotoTrace(working: working, mask: mask, fallback: fallback, cropped: cropped,
                          intensity: intensity, final: PhotoSteps.centred(intensity, size: side))
    }
}

/// `image` with the mask's background (< 128) darkened and tinted blue, to show what was kept.
func maskOverlay(_ image: RGBImage, mask: GrayImage) -> RGBImage {
    var out = image
    for i in 0 ..< mask.pixels.count where mask.pixels[i] < 128 {
        out.pixels[3 * i] /= 4
        out.pixels[3 * i + 1] /= 4
        out.pixels[3 * i + 2] = out.pixels[3 * i + 2] / 4 + 96
    }
    return out
}
