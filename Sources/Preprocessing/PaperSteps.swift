import Foundation
import Imaging

/// The conversion of the Fashion-MNIST paper (Xiao, Rasul, Vollgraf 2017, §2), one pure function per step.
///
/// The paper starts from product photos on white: trim, resize the longest edge to 28 by
/// subsampling, sharpen, extend to 28 × 28 centred, negate, convert to 8-bit grayscale.
public enum PaperSteps {
    /// Largest possible RGB Euclidean distance, 255·√3.
    public static let maximumDistance: Float = 255 * Float(3).squareRoot()

    /// Step 1: removes outer rows and columns whose pixels are all within `fuzz` × `maximumDistance`
    /// (RGB Euclidean distance, inclusive) of the top-left corner colour, like ImageMagick's
    /// `-fuzz 5% -trim`; the result is the bounding box of the other pixels, or the whole image
    /// when every pixel is close.
    public static func trim(_ image: RGBImage, fuzz: Float = 0.05) -> RGBImage {
        let corner = image[0, 0]
        let limit = fuzz * maximumDistance
        let limitSquared = limit * limit
        var left = image.width, right = -1, top = image.height, bottom = -1
        let p = image.pixels
        for y in 0 ..< image.height {
            for x in 0 ..< image.width {
                let i = 3 * (y * image.width + x)
                let dr = Float(p[i]) - Float(corner.r)
                let dg = Float(p[i + 1]) - Float(corner.g)
                let db = Float(p[i + 2]) - Float(corner.b)
                if dr * dr + dg * dg + db * db > limitSquared {
                    left = min(left, x); right = max(right, x)
                    top = min(top, y); bottom = max(bottom, y)
                }
            }
        }
        guard right >= 0 else { return image }
        return crop(image, x: left, y: top, width: right - left + 1, height: bottom - top + 1)
    }

    /// Step 2: resizes so the longest edge is `longestEdge` by subsampling (nearest pixel, no
    /// averaging): output column i takes source column ⌊(i + ½) · width / newWidth⌋, likewise rows,
    /// as ImageMagick's `-sample`. The aspect ratio is kept, the shorter edge rounded and at least 1.
    public static func subsample(_ image: RGBImage, longestEdge: Int = 28) -> RGBImage {
        let (w, h) = fittedSize(width: image.width, height: image.height, longestEdge: longestEdge)
        var out = RGBImage(width: w, height: h, fill: .black)
        for y in 0 ..< h {
            let sy = min(image.height - 1, (2 * y + 1) * image.height / (2 * h))
            for x in 0 ..< w {
                let sx = min(image.width - 1, (2 * x + 1) * image.width / (2 * w))
                let s = 3 * (sy * image.width + sx), d = 3 * (y * w + x)
                out.pixels[d] = image.pixels[s]
                out.pixels[d + 1] = image.pixels[s + 1]
                out.pixels[d + 2] = image.pixels[s + 2]
            }
        }
        return out
    }

    /// Step 3: sharpens with a Gaussian of radius 1 and `sigma` (ImageMagick's `-sharpen 1x1`),
    /// implemented as an unsharp mask: out = x + (x − G∗x), per channel, where G is the 3 × 3
    /// kernel exp(−(dx² + dy²) / 2σ²) normalised to sum 1, edge pixels repeated (clamped) outside
    /// the image, and the result rounded and clamped to 0...255.
    public static func sharpen(_ image: RGBImage, sigma: Float = 1) -> RGBImage {
        let side = exp(-1 / (2 * sigma * sigma))
        let weights: [Float] = [side / (1 + 2 * side), 1 / (1 + 2 * side), side / (1 + 2 * side)]
        let w = image.width, h = image.height
        // Separable blur: rows into `horizontal`, then columns.
        var horizontal = [Float](repeating: 0, count: w * h * 3)
        for y in 0 ..< h {
            for x in 0 ..< w {
                for c in 0 ..< 3 {
                    var sum: Float = 0
                    for k in -1 ... 1 {
                        let sx = min(w - 1, max(0, x + k))
                        sum += weights[k + 1] * Float(image.pixels[3 * (y * w + sx) + c])
                    }
                    horizontal[3 * (y * w + x) + c] = sum
                }
            }
        }
        var out = image
        for y in 0 ..< h {
            for x in 0 ..< w {
                for c in 0 ..< 3 {
                    var blurred: Float = 0
                    for k in -1 ... 1 {
                        let sy = min(h - 1, max(0, y + k))
                        blurred += weights[k + 1] * horizontal[3 * (sy * w + x) + c]
                    }
                    let i = 3 * (y * w + x) + c
                    out.pixels[i] = clampedByte(2 * Float(image.pixels[i]) - blurred)
                }
            }
        }
        return out
    }

    /// Step 4: places `image` centred on a `width` × `height` canvas of `fill` (the trim's corner
    /// colour); the left and top offsets are ⌊(width − image.width) / 2⌋ and ⌊(height − image.height) / 2⌋,
    /// so an odd difference leaves the extra column on the right and the extra row at the bottom.
    public static func extend(_ image: RGBImage, width: Int = 28, height: Int = 28, fill: RGB) -> RGBImage {
        var canvas = RGBImage(width: width, height: height, fill: fill)
        canvas.draw(image, x: (width - image.width) / 2, y: (height - image.height) / 2)
        return canvas
    }

    /// Step 5: negates every channel, 255 − v.
    public static func negate(_ image: RGBImage) -> RGBImage {
        var out = image
        for i in 0 ..< out.pixels.count { out.pixels[i] = 255 - out.pixels[i] }
        return out
    }

    /// Step 6: 8-bit grayscale, luma 0.299 R + 0.587 G + 0.114 B rounded to the nearest integer.
    public static func grayscale(_ image: RGBImage) -> GrayImage {
        var out = GrayImage(width: image.width, height: image.height)
        let p = image.pixels
        for i in 0 ..< out.pixels.count {
            out.pixels[i] = clampedByte(luma(p[3 * i], p[3 * i + 1], p[3 * i + 2]))
        }
        return out
    }
}

/// The size with the longest edge `longestEdge` and the aspect ratio of `width` × `height`,
/// the shorter edge rounded and at least 1.
func fittedSize(width: Int, height: Int, longestEdge: Int) -> (width: Int, height: Int) {
    let edge = max(1, longestEdge)
    if width >= height {
        return (edge, max(1, Int((Double(height) * Double(edge) / Double(width)).rounded())))
    }
    return (max(1, Int((Double(width) * Double(edge) / Double(height)).rounded())), edge)
}

/// The `width` × `height` part of `image` with its top-left corner at (x, y) (must lie inside).
func crop(_ image: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
    var out = RGBImage(width: width, height: height, fill: .black)
    for row in 0 ..< height {
        let s = 3 * ((y + row) * image.width + x), d = 3 * row * width
        out.pixels[d ..< d + 3 * width] = image.pixels[s ..< s + 3 * width]
    }
    return out
}
