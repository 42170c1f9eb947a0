import Imaging

/// An 8-bit grayscale picture, row-major.
public struct GrayImage: Equatable, Sendable {
    /// Size in pixels.
    public let width, height: Int
    /// The value of pixel (x, y) at `y * width + x`, 0 = black.
    public var pixels: [UInt8]

    /// An image of `width` × `height` pixels, all `fill`.
    public init(width: Int, height: Int, fill: UInt8 = 0) {
        precondition(width > 0 && height > 0, "an image needs at least one pixel")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: fill, count: width * height)
    }

    /// An image from its row-major pixels (`pixels.count` must be `width * height`).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "an image needs at least one pixel")
        precondition(pixels.count == width * height, "pixels do not match the size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The value at (x, y).
    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }
}

extension RGBImage {
    /// The gray picture drawn as RGB, each pixel's value in all three channels.
    public init(_ gray: GrayImage) {
        self.init(width: gray.width, height: gray.height, fill: .black)
        for i in 0 ..< gray.pixels.count {
            let v = gray.pixels[i]
            pixels[3 * i] = v
            pixels[3 * i + 1] = v
            pixels[3 * i + 2] = v
        }
    }
}

/// Luma of an RGB colour, 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), unrounded.
@inline(__always)
func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Float {
    0.299 * Float(r) + 0.587 * Float(g) + 0.114 * Float(b)
}

/// `value` rounded to the nearest integer and clamped to 0...255.
@inline(__always)
func clampedByte(_ value: Float) -> UInt8 {
    UInt8(max(0, min(255, value.rounded())))
}
