import Tensor

/// Labelled grayscale images kept as bytes; batches are converted to Float32 in [0, 1].
public struct ImageSet: Sendable {
    /// Pixels, `count × height × width`, one byte each.
    public let pixels: [UInt8]
    /// Class index of each image.
    public let labels: [Int]
    /// Image rows and columns.
    public let height, width: Int

    /// A set of `labels.count` images of `height × width` bytes.
    public init(pixels: [UInt8], labels: [Int], height: Int, width: Int) {
        precondition(pixels.count == labels.count * height * width, "pixel count does not match labels")
        self.pixels = pixels
        self.labels = labels
        self.height = height
        self.width = width
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// The images at `indices` as a tensor [n, 1, H, W] scaled to [0, 1], and their labels.
    public func batch<C: Collection>(_ indices: C) -> (images: Tensor, labels: [Int]) where C.Element == Int {
        let size = height * width
        var scalars = [Float](repeating: 0, count: indices.count * size)
        scalars.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { source in
                for (j, i) in indices.enumerated() {
                    for k in 0..<size { out[j * size + k] = Float(source[i * size + k]) * (1.0 / 255.0) }
                }
            }
        }
        return (Tensor(shape: [indices.count, 1, height, width], scalars: scalars), indices.map { labels[$0] })
    }

    /// The images at `indices` as a new set.
    public func subset<C: Collection>(_ indices: C) -> ImageSet where C.Element == Int {
        let size = height * width
        var selected: [UInt8] = []
        selected.reserveCapacity(indices.count * size)
        for i in indices { selected.append(contentsOf: pixels[i * size ..< (i + 1) * size]) }
        return ImageSet(pixels: selected, labels: indices.map { labels[$0] }, height: height, width: width)
    }

    /// The first `n` images (all of them when `n` is nil or larger than the set).
    public func prefix(_ n: Int?) -> ImageSet {
        guard let n, n < count else { return self }
        return subset(0..<n)
    }
}
