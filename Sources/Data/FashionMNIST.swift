import Foundation
import Tensor

/// The Fashion-MNIST dataset: 60,000 training and 10,000 test images of 28×28 pixels, 10 classes.
public enum FashionMNIST {
    /// Class names in label order.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The directory to read: `explicit` (from `--data`), else `$FASHION_MNIST_DIR`, else the default.
    public static func directory(_ explicit: String? = nil) -> URL {
        let path = explicit ?? ProcessInfo.processInfo.environment["FASHION_MNIST_DIR"] ?? defaultDirectory
        return URL(fileURLWithPath: path)
    }

    /// One of the two files pairs of the dataset.
    public enum Part: String, Sendable {
        /// The 60,000 training images (`train-*`).
        case train
        /// The 10,000 test images (`t10k-*`).
        case test = "t10k"
    }

    /// Reads and validates one part from `directory`.
    public static func load(_ part: Part, from directory: URL) throws -> ImageSet {
        let imagesURL = try file(directory, "\(part.rawValue)-images-idx3-ubyte")
        let labelsURL = try file(directory, "\(part.rawValue)-labels-idx1-ubyte")
        let images = try IDX.read(imagesURL, rank: 3)
        let labels = try IDX.read(labelsURL, rank: 1)
        guard images.dimensions[1] == 28, images.dimensions[2] == 28 else {
            throw DataError(file: imagesURL.path, problem: "images are \(images.dimensions[1])×\(images.dimensions[2]), expected 28×28")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DataError(file: labelsURL.path,
                            problem: "\(labels.dimensions[0]) labels for \(images.dimensions[0]) images in \(imagesURL.lastPathComponent)")
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DataError(file: labelsURL.path, problem: "label \(labels.bytes[bad]) at index \(bad) is not a class 0–9")
        }
        return ImageSet(pixels: images.bytes, labels: labels.bytes.map(Int.init), height: 28, width: 28)
    }

    /// The `name` file in `directory`, gzip-compressed (`.gz`) or not.
    static func file(_ directory: URL, _ name: String) throws -> URL {
        for candidate in [name + ".gz", name] {
            let url = directory.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DataError(file: directory.appendingPathComponent(name + ".gz").path,
                        problem: "file not found (install the Debian package dataset-fashion-mnist, or pass --data DIR / set FASHION_MNIST_DIR)")
    }

    /// The notebook's split of the 60,000 training images: a seeded shuffle, then
    /// the first `count − validationCount` for training and the rest for validation. Throws when
    /// the images are too few to hold out `validationCount` and keep one to train on.
    public static func split(_ full: ImageSet, validationCount: Int = 10_000, seed: UInt64) throws
        -> (train: ImageSet, validation: ImageSet) {
        guard validationCount >= 0, validationCount < full.count else {
            throw DataError(file: "the training images",
                            problem: "\(full.count) are too few to hold out \(validationCount) for validation and train on the rest (give a smaller --validation)")
        }
        var order = Array(0..<full.count)
        var generator = SeededGenerator(seed: seed)
        order.shuffle(using: &generator)
        let trainCount = full.count - validationCount
        return (full.subset(order[..<trainCount]), full.subset(order[trainCount...]))
    }
}
