import Imaging

/// The colour around a photo's edges, the reference that separates garment from background:
/// a colour varying linearly across the image (lighting falls off across a floor), and a spread.
public struct Background: Equatable, Sendable {
    /// Red, green, blue (0...255) at the image's centre.
    public var colour: SIMD3<Float>
    /// Change of the colour from the left edge to the right edge.
    public var gradientX: SIMD3<Float>
    /// Change of the colour from the top edge to the bottom edge.
    public var gradientY: SIMD3<Float>
    /// How far border pixels typically are from the colour: a percentile of their RGB distances.
    public var spread: Float

    /// A background of the given colour, gradients and spread.
    public init(colour: SIMD3<Float>, gradientX: SIMD3<Float> = .zero, gradientY: SIMD3<Float> = .zero,
                spread: Float = 0) {
        self.colour = colour
        self.gradientX = gradientX
        self.gradientY = gradientY
        self.spread = spread
    }

    /// Luma of the centre colour, 0.299 R + 0.587 G + 0.114 B.
    public var luminance: Float { 0.299 * colour.x + 0.587 * colour.y + 0.114 * colour.z }

    /// The colour at relative position (u, v), each −½ at the left/top edge and +½ at the right/bottom.
    @inline(__always)
    public func colour(u: Float, v: Float) -> SIMD3<Float> {
        colour + u * gradientX + v * gradientY
    }
}

/// Relative position of pixel column (or row) `x` of `n`: −½ at the outer edge of the first, +½ of the last.
@inline(__always)
func relative(_ x: Int, _ n: Int) -> Float {
    (Float(x) + 0.5) / Float(n) - 0.5
}

/// Squared RGB distance of pixel `i` of `pixels` from `colour`.
@inline(__always)
func distanceSquared(_ pixels: [UInt8], _ i: Int, _ colour: SIMD3<Float>) -> Float {
    let d = SIMD3<Float>(Float(pixels[3 * i]), Float(pixels[3 * i + 1]), Float(pixels[3 * i + 2])) - colour
    return (d * d).sum()
}

/// A rectangle of pixels.
public struct PixelBox: Equatable, Sendable {
    /// Top-left corner and size.
    public var x, y, width, height: Int

    /// A box from its top-left corner and size.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// The stages of the photo pipeline, each a pure function. Masks are `GrayImage`s with 255 for
/// garment and 0 for background (values between only in a softened mask).
public enum PhotoSteps {
    /// b. The background model from the ring of width `border` × width (left and right) and
    /// `border` × height (top and bottom), each at least one pixel. It starts from the ring's
    /// per-channel median colour; then, `refinements` times, it keeps the ring pixels within
    /// twice their median distance from the current model (and always those within 5% of
    /// 255·√3), so a garment covering part of the border or salt noise drops out, and fits a
    /// colour plane to them by least squares (`Background.colour(u:v:)`), so lighting that falls
    /// off across a floor is followed. The spread is the `percentile` (0...1) of all ring pixels'
    /// distances from the plane.
    public static func background(of image: RGBImage, border: Float = 0.05, percentile: Float = 0.75,
                                  refinements: Int = 2) -> Background {
        let w = image.width, h = image.height
        let bx = min(w, max(1, Int((border * Float(w)).rounded())))
        let by = min(h, max(1, Int((border * Float(h)).rounded())))
        var ring: [Int] = []
        ring.reserveCapacity(2 * (bx * h + by * w))
        for y in 0 ..< h {
            let inBand = y < by || y >= h - by
            for x in 0 ..< w where inBand || x < bx || x >= w - bx { ring.append(y * w + x) }
        }
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 3)
        for i in ring {
            for c in 0 ..< 3 { histograms[c][Int(image.pixels[3 * i + c])] += 1 }
        }
        let medians = histograms.map { Float(percentileOfHistogram($0, 0.5)) }
        var model = Background(colour: SIMD3(medians[0], medians[1], medians[2]))
        func distances() -> [Float] {
            ring.map { i in
                distanceSquared(image.pixels, i, model.colour(u: relative(i % w, w), v: relative(i / w, h))).squareRoot()
            }
        }
        var d = distances()
        for _ in 0 ..< max(0, refinements) {
            let limit = max(2 * orderStatistic(d, (d.count - 1) / 2), 0.05 * PaperSteps.maximumDistance)
            model = fitPlane(image, ring.indices.filter { d[$0] <= limit }.map { ring[$0] }) ?? model
            d = distances()
        }
        model.spread = orderStatistic(d, min(d.count - 1, max(0, Int((percentile * Float(d.count - 1)).rounded()))))
        return model
    }

    /// `values.sorted()[k]`, found by selection (Hoare's, median-of-three pivots) in linear expected time.
    static func orderStatistic(_ values: [Float], _ k: Int) -> Float {
        precondition(values.indices.contains(k), "order statistic \(k) of \(values.count) values")
        var a = values
        var low = 0, high = a.count - 1
        while low < high {
            let middle = low + (high - low) / 2
            let pivot = Swift.max(Swift.min(a[low], a[middle]), Swift.min(Swift.max(a[low], a[middle]), a[high]))
            var i = low, j = high
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return a[k] }
        }
        return a[k]
    }

    /// The least-squares colour plane c + gx·u + gy·v through the pixels at `indices`; nil when
    /// they do not determine one (e.g. all in one row).
    private static func fitPlane(_ image: RGBImage, _ indices: [Int]) -> Background? {
        let w = image.width, h = image.height
        // Normal equations Σ [1 u v]ᵀ[1 u v] · (c, gx, gy) = Σ [1 u v]ᵀ · colour, solved by Cramer's rule.
        var n: Float = 0, su: Float = 0, sv: Float = 0, suu: Float = 0, suv: Float = 0, svv: Float = 0
        var s1 = SIMD3<Float>.zero, sU = SIMD3<Float>.zero, sV = SIMD3<Float>.zero
        for i in indices {
            let u = relative(i % w, w), v = relative(i / w, h)
            let p = SIMD3<Float>(Float(image.pixels[3 * i]), Float(image.pixels[3 * i + 1]), Float(image.pixels[3 * i + 2]))
            n += 1; su += u; sv += v; suu += u * u; suv += u * v; svv += v * v
            s1 += p; sU += u * p; sV += v * p
        }
        let det = n * (suu * svv - suv * suv) - su * (su * svv - suv * sv) + sv * (su * suv - suu * sv)
        guard n >= 3, abs(det) > 1e-6 * n * n * n else { return nil }
        let c = (s1 * (suu * svv - suv * suv) - su * (sU * svv - suv * sV) + sv * (sU * suv - suu * sV)) / det
        let gx = (n * (sU * svv - suv * sV) - s1 * (su * svv - suv * sv) + sv * (su * sV - sU * sv)) / det
        let gy = (n * (suu * sV - sU * suv) - su * (su * sV - sU * sv) + s1 * (su * suv - suu * sv)) / det
        return Background(colour: c, gradientX: gx, gradientY: gy)
    }

    /// c. The raw foreground mask. A pixel is close when it, or the same pixel of the image
    /// `smoothed` (so noise and fine texture do not stop the fill, while outlines stay sharp), is
    /// within `threshold` (RGB distance, inclusive) of the background plane. Background is the
    /// close pixels reachable from the image's edge, where the fill only passes through pixels
    /// whose whole (2·`radius` + 1)² square is close (outside the image counts as close) and then
    /// grows back by `radius` over close pixels: a morphological opening, so it cannot leak through
    /// thin gaps into a garment. Everything else, including garment pixels that match the
    /// background but are enclosed by garment, is foreground (255).
    /// `smooth` is `smoothed(image)` when the caller already has it.
    public static func foregroundMask(_ image: RGBImage, smooth: RGBImage? = nil, background: Background, threshold: Float,
                                      radius: Int = 2) -> GrayImage {
        let w = image.width, h = image.height
        let limit = threshold * threshold
        var close = [UInt8](repeating: 0, count: w * h)
        let smooth = smooth ?? smoothed(image)
        for y in 0 ..< h {
            let v = relative(y, h)
            for x in 0 ..< w {
                let i = y * w + x, expected = background.colour(u: relative(x, w), v: v)
                if distanceSquared(image.pixels, i, expected) <= limit
                    || distanceSquared(smooth.pixels, i, expected) <= limit { close[i] = 1 }
            }
        }
        var passable = squareFilter(close, width: w, height: h, radius: radius, keepMinimum: true)
        // Flood fill from the edge through passable pixels; each is cleared once reached.
        var reached = [UInt8](repeating: 0, count: w * h)
        var stack: [Int] = []
        for y in 0 ..< h {
            for x in 0 ..< w where (y == 0 || y == h - 1 || x == 0 || x == w - 1) && passable[y * w + x] == 1 {
                passable[y * w + x] = 0
                stack.append(y * w + x)
            }
        }
        while let i = stack.popLast() {
            reached[i] = 1
            let x = i % w, y = i / w
            if x > 0 && passable[i - 1] == 1 { passable[i - 1] = 0; stack.append(i - 1) }
            if x < w - 1 && passable[i + 1] == 1 { passable[i + 1] = 0; stack.append(i + 1) }
            if y > 0 && passable[i - w] == 1 { passable[i - w] = 0; stack.append(i - w) }
            if y < h - 1 && passable[i + w] == 1 { passable[i + w] = 0; stack.append(i + w) }
        }
        let grown = squareFilter(reached, width: w, height: h, radius: radius, keepMinimum: false)
        var mask = GrayImage(width: w, height: h, fill: 255)
        for i in 0 ..< w * h where grown[i] == 1 && close[i] == 1 { mask.pixels[i] = 0 }
        return mask
    }

    /// The minimum (erosion, outside counting as 1) or maximum (dilation, outside as 0) of a 0/1
    /// picture over each pixel's (2·`radius` + 1)² square, computed as a row pass then a column pass.
    static func squareFilter(_ values: [UInt8], width w: Int, height h: Int, radius: Int,
                             keepMinimum: Bool) -> [UInt8] {
        guard radius > 0 else { return values }
        let rows = windowPass(values, count: h, length: w, step: 1, stride: w, radius: radius, keepMinimum: keepMinimum)
        return windowPass(rows, count: w, length: h, step: w, stride: 1, radius: radius, keepMinimum: keepMinimum)
    }

    /// One direction of `squareFilter`: `count` lines of `length` 0/1 values, element k of line j
    /// at j·`stride` + k·`step`, each value replaced by its window's minimum or maximum, found
    /// from a running count of ones over the window.
    private static func windowPass(_ values: [UInt8], count: Int, length: Int, step: Int, stride: Int,
                                   radius: Int, keepMinimum: Bool) -> [UInt8] {
        var out = values
        let window = 2 * radius + 1
        for j in 0 ..< count {
            let base = j * stride
            var ones = 0  // ones in the window around k = 0, inside the line
            for k in 0 ... min(radius, length - 1) { ones += Int(values[base + k * step]) }
            for k in 0 ..< length {
                let inside = min(length - 1, k + radius) - max(0, k - radius) + 1
                let hit = keepMinimum ? ones + (window - inside) == window : ones > 0
                out[base + k * step] = hit ? 1 : 0
                if k + radius + 1 < length { ones += Int(values[base + (k + radius + 1) * step]) }
                if k - radius >= 0 { ones -= Int(values[base + (k - radius) * step]) }
            }
        }
        return out
    }

    /// c. The distance beyond which a pixel differs from the background:
    /// max(`minimum` × 255·√3, `factor` × spread).
    public static func threshold(_ background: Background, minimum: Float = 0.05, factor: Float = 1.5) -> Float {
        max(minimum * PaperSteps.maximumDistance, factor * background.spread)
    }

    /// c. The mask with specks removed: keeps the largest 4-connected foreground component and
    /// those of at least `keep` × its area. (Holes need no filling: only edge-connected pixels
    /// are ever background.)
    public static func cleaned(_ mask: GrayImage, keep: Float = 0.1) -> GrayImage {
        let w = mask.width, h = mask.height
        var label = [Int32](repeating: -1, count: w * h)
        var areas: [Int] = []
        var stack: [Int] = []
        for seed in 0 ..< w * h where mask.pixels[seed] >= 128 && label[seed] < 0 {
            let id = Int32(areas.count)
            var area = 0
            label[seed] = id
            stack.append(seed)
            while let i = stack.popLast() {
                area += 1
                let x = i % w, y = i / w
                if x > 0 && label[i - 1] < 0 && mask.pixels[i - 1] >= 128 { label[i - 1] = id; stack.append(i - 1) }
                if x < w - 1 && label[i + 1] < 0 && mask.pixels[i + 1] >= 128 { label[i + 1] = id; stack.append(i + 1) }
                if y > 0 && label[i - w] < 0 && mask.pixels[i - w] >= 128 { label[i - w] = id; stack.append(i - w) }
                if y < h - 1 && label[i + w] < 0 && mask.pixels[i + w] >= 128 { label[i + w] = id; stack.append(i + w) }
            }
            areas.append(area)
        }
        guard let largest = areas.max() else { return mask }
        let kept = areas.map { Float($0) >= keep * Float(largest) }
        var out = GrayImage(width: w, height: h)
        for i in 0 ..< w * h where label[i] >= 0 && kept[Int(label[i])] { out.pixels[i] = 255 }
        return out
    }

    /// c. The fallback mask when nothing separates garment from background: the centred
    /// `fraction` × width by `fraction` × height rectangle (at least 1 × 1) is all garment.
    public static func centreMask(width: Int, height: Int, fraction: Float = 0.8) -> GrayImage {
        let cw = min(width, max(1, Int((fraction * Float(width)).rounded())))
        let ch = min(height, max(1, Int((fraction * Float(height)).rounded())))
        var mask = GrayImage(width: width, height: height)
        for y in (height - ch) / 2 ..< (height - ch) / 2 + ch {
            for x in (width - cw) / 2 ..< (width - cw) / 2 + cw { mask[x, y] = 255 }
        }
        return mask
    }

    /// Fraction of the mask's pixels that are foreground (≥ 128).
    public static func coverage(_ mask: GrayImage) -> Float {
        var count = 0
        for v in mask.pixels where v >= 128 { count += 1 }
        return Float(count) / Float(mask.pixels.count)
    }

    /// d. The smallest box holding every foreground pixel (≥ 128), nil for an empty mask.
    public static func boundingBox(_ mask: GrayImage) -> PixelBox? {
        var left = mask.width, right = -1, top = mask.height, bottom = -1
        for y in 0 ..< mask.height {
            for x in 0 ..< mask.width where mask.pixels[y * mask.width + x] >= 128 {
                left = min(left, x); right = max(right, x)
                top = min(top, y); bottom = max(bottom, y)
            }
        }
        guard right >= 0 else { return nil }
        return PixelBox(x: left, y: top, width: right - left + 1, height: bottom - top + 1)
    }

    /// d. `image`'s pixels inside `box` (which must lie inside the image).
    public static func crop(_ image: RGBImage, to box: PixelBox) -> RGBImage {
        Preprocessing.crop(image, x: box.x, y: box.y, width: box.width, height: box.height)
    }

    /// d. `mask`'s pixels inside `box` (which must lie inside the mask).
    public static func crop(_ mask: GrayImage, to box: PixelBox) -> GrayImage {
        var out = GrayImage(width: box.width, height: box.height)
        for row in 0 ..< box.height {
            let s = (box.y + row) * mask.width + box.x
            out.pixels[row * box.width ..< (row + 1) * box.width] = mask.pixels[s ..< s + box.width]
        }
        return out
    }

    /// d. The mask blurred by the 3 × 3 kernel [1 2 1]ᵀ[1 2 1] / 16 (edges clamped), so the
    /// garment's outline fades over a pixel instead of stepping.
    public static func softened(_ mask: GrayImage) -> GrayImage {
        GrayImage(width: mask.width, height: mask.height,
                  pixels: binomialBlur(mask.pixels, width: mask.width, height: mask.height, channels: 1))
    }

    /// c. The image blurred by the 3 × 3 kernel [1 2 1]ᵀ[1 2 1] / 16 (edges clamped), so pixel
    /// noise and fine texture (grain, weave) stray less from the background colour before masking.
    public static func smoothed(_ image: RGBImage) -> RGBImage {
        var out = image
        out.pixels = binomialBlur(image.pixels, width: image.width, height: image.height, channels: 3)
        return out
    }

    /// Interleaved `channels`-channel pixels blurred by [1 2 1]ᵀ[1 2 1] / 16, edges clamped, rounded.
    static func binomialBlur(_ pixels: [UInt8], width w: Int, height h: Int, channels: Int) -> [UInt8] {
        var rows = [Int](repeating: 0, count: pixels.count)
        for y in 0 ..< h {
            for x in 0 ..< w {
                let left = (y * w + max(0, x - 1)) * channels, right = (y * w + min(w - 1, x + 1)) * channels
                let i = (y * w + x) * channels
                for c in 0 ..< channels {
                    rows[i + c] = Int(pixels[left + c]) + 2 * Int(pixels[i + c]) + Int(pixels[right + c])
                }
            }
        }
        var out = pixels
        for y in 0 ..< h {
            let up = max(0, y - 1) * w * channels, down = min(h - 1, y + 1) * w * channels
            let row = y * w * channels
            for k in 0 ..< w * channels {
                out[row + k] = UInt8((rows[up + k] + 2 * rows[row + k] + rows[down + k] + 8) / 16)
            }
        }
        return out
    }

    /// d. The garment as bright on black: luma, negated when the garment (mask ≥ 128) is on average
    /// darker than the background; its `percentiles` (of garment pixels) stretched linearly to
    /// `range` (clamped to 0...255; a flat garment becomes `range.upperBound`); then multiplied by
    /// `alpha` / 255 (a softened mask), so the background is 0.
    public static func intensity(_ image: RGBImage, mask: GrayImage, alpha: GrayImage, background: Background,
                                 percentiles: ClosedRange<Float> = 0.02 ... 0.98,
                                 range: ClosedRange<Float> = 64 ... 255) -> GrayImage {
        let n = image.width * image.height
        var lumas = [Float](repeating: 0, count: n)
        var garmentSum: Float = 0, garmentCount = 0
        for i in 0 ..< n {
            lumas[i] = luma(image.pixels[3 * i], image.pixels[3 * i + 1], image.pixels[3 * i + 2])
            if mask.pixels[i] >= 128 { garmentSum += lumas[i]; garmentCount += 1 }
        }
        let negate = garmentCount > 0 && garmentSum / Float(garmentCount) < background.luminance
        var histogram = [Int](repeating: 0, count: 256)
        for i in 0 ..< n {
            if negate { lumas[i] = 255 - lumas[i] }
            if mask.pixels[i] >= 128 { histogram[Int(clampedByte(lumas[i]))] += 1 }
        }
        let low = Float(percentileOfHistogram(histogram, percentiles.lowerBound))
        let high = Float(percentileOfHistogram(histogram, percentiles.upperBound))
        let gain = high > low ? (range.upperBound - range.lowerBound) / (high - low) : 0
        var out = GrayImage(width: image.width, height: image.height)
        for i in 0 ..< n {
            let stretched = high > low ? range.lowerBound + (lumas[i] - low) * gain : range.upperBound
            out.pixels[i] = clampedByte(max(0, min(255, stretched)) * Float(alpha.pixels[i]) / 255)
        }
        return out
    }

    /// e. `image` resized by area averaging so its longest edge is `size`, centred on a
    /// `size` × `size` black canvas at offsets ⌊(size − width) / 2⌋, ⌊(size − height) / 2⌋.
    public static func centred(_ image: GrayImage, size: Int = 28) -> GrayImage {
        let (w, h) = fittedSize(width: image.width, height: image.height, longestEdge: size)
        let small = AreaResize.resize(image, width: w, height: h)
        var canvas = GrayImage(width: size, height: size)
        let left = (size - w) / 2, top = (size - h) / 2
        for y in 0 ..< h {
            for x in 0 ..< w { canvas[left + x, top + y] = small[x, y] }
        }
        return canvas
    }
}

/// The smallest value v with at least `fraction` (0...1) of the histogram's count at or below v;
/// 0 for an empty histogram.
func percentileOfHistogram(_ histogram: [Int], _ fraction: Float) -> Int {
    let total = histogram.reduce(0, +)
    guard total > 0 else { return 0 }
    let target = max(1, Int((fraction * Float(total)).rounded(.up)))
    var running = 0
    for (value, count) in histogram.enumerated() {
        running += count
        if running >= target { return value }
    }
    return histogram.count - 1
}
