import Tensor

/// Labelled images kept as bytes (`channels` planes each); batches are converted to Float32 in [0, 1].
public struct ImageSet: Sendable {
    /// Pixels, `count × channels × height × width`, one byte each (each image plane after plane).
    public let pixels: [UInt8]
    /// Class index of each image.
    public let labels: [Int]
    /// Image planes (1: gray, 3: RGB), rows and columns.
    public let channels, height, width: Int

    /// A set of `labels.count` images of `channels × height × width` bytes.
    public init(pixels: [UInt8], labels: [Int], channels: Int = 1, height: Int, width: Int) {
        precondition(pixels.count == labels.count * channels * height * width, "pixel count does not match labels")
        self.pixels = pixels
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// Bytes per image.
    public var imageSize: Int { channels * height * width }

    /// The images at `indices` as a tensor [n, C, H, W] scaled to [0, 1], and their labels.
    public func batch<C: Collection>(_ indices: C) -> (images: Tensor, labels: [Int]) where C.Element == Int {
        let size = imageSize
        var scalars = [Float](repeating: 0, count: indices.count * size)
        scalars.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { source in
                for (j, i) in indices.enumerated() {
                    for k in 0..<size { out[j * size + k] = Float(source[i * size + k]) * (1.0 / 255.0) }
                }
            }
        }
        return (Tensor(shape: [indices.count, channels, height, width], scalars: scalars), indices.map { labels[$0] })
    }

    /// The images at `indices` as a new set.
    public func subset<C: Collection>(_ indices: C) -> ImageSet where C.Element == Int {
        let size = imageSize
        var selected: [UInt8] = []
        selected.reserveCapacity(indices.count * size)
        for i in indices { selected.append(contentsOf: pixels[i * size ..< (i + 1) * size]) }
        return ImageSet(pixels: selected, labels: indices.map { labels[$0] }, channels: channels, height: height, width: width)
    }

    /// The first `n` images (all of them when `n` is nil or larger than the set).
    public func prefix(_ n: Int?) -> ImageSet {
        guard let n, n < count else { return self }
        return subset(0..<n)
    }

    /// How many images each class `0..<classes` has.
    public func classCounts(classes: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels where (0..<classes).contains(label) { counts[label] += 1 }
        return counts
    }
}
