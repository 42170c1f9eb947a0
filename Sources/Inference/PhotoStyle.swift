import Data
import Decoding
import Foundation
import Imaging
import Preprocessing
import Tensor

/// Dataset images rendered as photos, to measure what the photo pipeline costs on images whose labels
/// are known: each garment is put back as it was photographed (dark on light: Fashion-MNIST's images are
/// negated), enlarged, tinted, placed off-centre on a coloured background with a lighting gradient and
/// noise, JPEG-compressed, decoded, and preprocessed again as a photo would be.
public enum PhotoStyle {
    /// The photo of image `index` of `set`, drawn with a generator seeded by `seed` and the index.
    public static func render(_ set: ImageSet, index: Int, seed: UInt64) -> RGBImage {
        var g = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
        func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * g.nextUnitFloat() }
        let size = set.height * set.width
        let pixels = set.pixels[index * size ..< (index + 1) * size]
        // Canvas 96–144 pixels a side; the garment 2.2–3.2× its 28 pixels, somewhere inside it.
        let width = Int(uniform(96, 144)), height = Int(uniform(96, 144))
        let scale = uniform(2.2, 3.2)
        let garmentSide = Float(set.width) * scale
        let left = uniform(0, max(0, Float(width) - garmentSide)), top = uniform(0, max(0, Float(height) - garmentSide))
        // A light, coloured background with a gradient; a garment colour darker than it.
        let background = (0..<3).map { _ in uniform(150, 255) }
        let gradient = (x: uniform(-40, 40), y: uniform(-40, 40))
        let garment = (0..<3).map { c in uniform(0, background[c] * 0.6) }
        let noise = uniform(0, 6)
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let u = (Float(x) - left) / scale - 0.5, v = (Float(y) - top) / scale - 0.5
                let alpha = bilinear(pixels, width: set.width, height: set.height, x: u, y: v) / 255
                let light = gradient.x * (Float(x) / Float(width) - 0.5) + gradient.y * (Float(y) / Float(height) - 0.5)
                var rgb = [UInt8](repeating: 0, count: 3)
                for c in 0..<3 {
                    let value = (background[c] + light) * (1 - alpha) + garment[c] * alpha + noise * (g.nextUnitFloat() - 0.5) * 2
                    rgb[c] = UInt8(min(max(value.rounded(), 0), 255))
                }
                image[x, y] = RGB(rgb[0], rgb[1], rgb[2])
            }
        }
        return image
    }

    /// The dataset `set` as the photo pipeline sees it after rendering each image as a photo, saving
    /// it as a JPEG of `quality` and decoding it again (on all cores).
    public static func photoStyleSet(_ set: ImageSet, preprocessor: Preprocessor, quality: Int = 75, seed: UInt64 = 1) throws -> ImageSet {
        let inputs = concurrentMap(Array(0..<set.count)) { i in
            Result { () throws -> ModelInput in
                let jpeg = try JPEGEncoder.encode(render(set, index: i, seed: seed), quality: quality)
                return preprocessor(try ImageDecoder.decode(jpeg))
            }
        }
        var pixels: [UInt8] = []
        var channels = 1
        for result in inputs {
            let input = try result.get()
            channels = input.channels
            pixels += input.pixels
        }
        return ImageSet(pixels: pixels, labels: set.labels, channels: channels, height: preprocessor.size, width: preprocessor.size)
    }

    /// The byte image (rows of `width`) at (x, y), bilinear, zero outside.
    static func bilinear(_ pixels: ArraySlice<UInt8>, width: Int, height: Int, x: Float, y: Float) -> Float {
        guard x > -1, y > -1, x < Float(width), y < Float(height) else { return 0 }
        let x0 = Int((x + 1).rounded(.down)) - 1, y0 = Int((y + 1).rounded(.down)) - 1
        let fx = x - Float(x0), fy = y - Float(y0)
        func at(_ px: Int, _ py: Int) -> Float {
            px >= 0 && px < width && py >= 0 && py < height ? Float(pixels[pixels.startIndex + py * width + px]) : 0
        }
        let top = at(x0, y0) + fx * (at(x0 + 1, y0) - at(x0, y0))
        let bottom = at(x0, y0 + 1) + fx * (at(x0 + 1, y0 + 1) - at(x0, y0 + 1))
        return top + fy * (bottom - top)
    }
}
