import Imaging

/// What a model is given for one picture: `channels` planes (1: gray; 3: red, green, blue) of
/// `height × width` bytes, 0 = black, in the model's channel-first order.
public struct ModelInput: Equatable, Sendable {
    /// Planes: 1 or 3.
    public let channels: Int
    /// Size in pixels.
    public let width, height: Int
    /// Plane after plane, each row-major: the value of channel c at (x, y) is at `(c * height + y) * width + x`.
    public var pixels: [UInt8]

    /// An input from its planar pixels (`pixels.count` must be `channels * width * height`).
    public init(channels: Int, width: Int, height: Int, pixels: [UInt8]) {
        precondition(channels >= 1 && width > 0 && height > 0, "an input needs a channel and a pixel")
        precondition(pixels.count == channels * width * height, "pixels do not match the size")
        self.channels = channels
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A gray picture as `channels` planes (the same values in each).
    public init(_ gray: GrayImage, channels: Int = 1) {
        self.init(channels: channels, width: gray.width, height: gray.height,
                  pixels: Array([[UInt8]](repeating: gray.pixels, count: channels).joined()))
    }

    /// A colour picture as three planes (`channels` 3) or as its luma (`channels` 1).
    public init(_ image: RGBImage, channels: Int) {
        let count = image.width * image.height
        var planes = [UInt8](repeating: 0, count: channels * count)
        for i in 0 ..< count {
            let r = image.pixels[3 * i], g = image.pixels[3 * i + 1], b = image.pixels[3 * i + 2]
            if channels == 3 {
                planes[i] = r
                planes[count + i] = g
                planes[2 * count + i] = b
            } else {
                for c in 0 ..< channels { planes[c * count + i] = clampedByte(luma(r, g, b)) }
            }
        }
        self.init(channels: channels, width: image.width, height: image.height, pixels: planes)
    }

    /// The value of the first plane at (x, y).
    public subscript(x: Int, y: Int) -> UInt8 { pixels[y * width + x] }

    /// The first plane as a gray picture.
    public var gray: GrayImage { GrayImage(width: width, height: height, pixels: Array(pixels[0 ..< width * height])) }

    /// The input as a picture: three planes as colour, otherwise the first plane as gray.
    public var picture: RGBImage {
        let count = width * height
        var image = RGBImage(width: width, height: height, fill: .black)
        for i in 0 ..< count {
            for c in 0 ..< 3 { image.pixels[3 * i + c] = pixels[(channels == 3 ? c * count : 0) + i] }
        }
        return image
    }
}
