/// An 8-bit colour.
public struct RGB: Equatable, Sendable {
    /// Red, green and blue, 0...255.
    public var r, g, b: UInt8

    /// A colour from its three components.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    /// The colour of a right prediction.
    public static let right = RGB(0x1a, 0x7f, 0x37)
    /// The colour of a wrong prediction.
    public static let wrong = RGB(0xcf, 0x22, 0x2e)
}

/// A picture of `width` × `height` RGB pixels, row-major, three bytes per pixel.
public struct RGBImage: Equatable, Sendable {
    /// Size in pixels.
    public let width, height: Int
    /// r, g, b of pixel (x, y) at `3 * (y * width + x)`.
    public var pixels: [UInt8]

    /// An image filled with `fill`.
    public init(width: Int, height: Int, fill: RGB = .white) {
        precondition(width > 0 && height > 0, "an image needs at least one pixel")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fillRect(x: 0, y: 0, width: width, height: height, color: fill)
    }

    /// The colour at (x, y).
    public subscript(x: Int, y: Int) -> RGB {
        get {
            let i = 3 * (y * width + x)
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = 3 * (y * width + x)
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// Paints a rectangle, clipped to the image.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        let columns = max(0, x) ..< max(max(0, x), min(width, x + w))
        for row in max(0, y) ..< max(max(0, y), min(height, y + h)) {
            for column in columns { self[column, row] = color }
        }
    }

    /// Draws a grayscale picture (`gray` holds `grayWidth` × `grayHeight` bytes, 0 = black)
    /// with its top-left corner at (x, y), each pixel blown up to a `scale` × `scale` square
    /// (nearest neighbour). With `inverted`, 0 is drawn white, as Fashion-MNIST is usually shown dark on light.
    public mutating func drawGray(_ gray: [UInt8], width grayWidth: Int, height grayHeight: Int,
                                  x: Int, y: Int, scale: Int, inverted: Bool = false) {
        precondition(gray.count == grayWidth * grayHeight, "gray pixels do not match their size")
        for gy in 0 ..< grayHeight {
            for gx in 0 ..< grayWidth {
                let v = inverted ? 255 - gray[gy * grayWidth + gx] : gray[gy * grayWidth + gx]
                fillRect(x: x + gx * scale, y: y + gy * scale, width: scale, height: scale, color: RGB(v, v, v))
            }
        }
    }

    /// Copies `image` with its top-left corner at (x, y), clipped to this image.
    public mutating func draw(_ image: RGBImage, x: Int, y: Int) {
        for row in max(0, -y) ..< max(max(0, -y), min(image.height, height - y)) {
            for column in max(0, -x) ..< max(max(0, -x), min(image.width, width - x)) {
                self[x + column, y + row] = image[column, row]
            }
        }
    }

    /// Draws a `thickness`-pixel frame just inside the rectangle.
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, thickness: Int, color: RGB) {
        fillRect(x: x, y: y, width: w, height: thickness, color: color)
        fillRect(x: x, y: y + h - thickness, width: w, height: thickness, color: color)
        fillRect(x: x, y: y, width: thickness, height: h, color: color)
        fillRect(x: x + w - thickness, y: y, width: thickness, height: h, color: color)
    }
}
