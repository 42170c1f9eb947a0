import Data
import Decoding
import Foundation
import Imaging
import Preprocessing

/// Pictures of catalogue items by id, `side` pixels square: a dataset image for `train:N` / `test:N`
/// (gray, dark on white, from the Fashion-MNIST files in `datasetDirectory`), otherwise the photo the
/// id names, decoded and fitted onto white. Nil when the item's image cannot be found or read.
public struct ItemPictures {
    /// Where the Fashion-MNIST files are.
    public let datasetDirectory: URL
    /// The pictures' width and height.
    public var side: Int
    /// Limits on photo files.
    public let limits: DecodingLimits
    private var sets: [String: ImageSet] = [:]

    /// Pictures from the dataset in `datasetDirectory` and from photo files.
    public init(datasetDirectory: URL, side: Int = 84, limits: DecodingLimits = .default) {
        self.datasetDirectory = datasetDirectory
        self.side = side
        self.limits = limits
    }

    /// The picture of item `id`, its photo read from `photo` (default: the path the id names).
    public mutating func picture(_ id: String, photo: URL? = nil) -> RGBImage? {
        let parts = id.split(separator: ":", maxSplits: 1).map(String.init)
        if photo == nil, parts.count == 2, ["train", "test"].contains(parts[0]), let index = Int(parts[1]) {
            let part: FashionMNIST.Part = parts[0] == "train" ? .train : .test
            if sets[parts[0]] == nil { sets[parts[0]] = try? FashionMNIST.load(part, from: datasetDirectory) }
            guard let set = sets[parts[0]], (0..<set.count).contains(index) else { return nil }
            let scale = max(1, side / set.width)
            var image = RGBImage(width: side, height: side)
            image.drawGray(Array(set.pixels[index * set.imageSize ..< index * set.imageSize + set.height * set.width]),
                           width: set.width, height: set.height, x: (side - set.width * scale) / 2,
                           y: (side - set.height * scale) / 2, scale: scale, inverted: true)
            return image
        }
        guard let photo = try? ImageDecoder.decode(contentsOf: photo ?? URL(fileURLWithPath: id), limits: limits, minimumSide: side) else {
            return nil
        }
        let scale = Double(side) / Double(max(photo.width, photo.height))
        let w = max(1, Int((Double(photo.width) * scale).rounded())), h = max(1, Int((Double(photo.height) * scale).rounded()))
        var canvas = RGBImage(width: side, height: side)
        canvas.draw(AreaResize.resize(photo, width: w, height: h), x: (side - w) / 2, y: (side - h) / 2)
        return canvas
    }
}
