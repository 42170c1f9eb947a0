import Foundation

/// A small generated stand-in for Fashion-MNIST in its own IDX files (600 training and 300 test
/// images of 28×28, labels 0–9), so that training, report and command tests never need the
/// Debian dataset and run in seconds. Each class is a noisy, shifted silhouette of its own
/// size and shape; some classes look alike (as shirts and T-shirts do), so models learn them
/// well but not perfectly.
public enum TinyFashionMNIST {
    /// Images in the training and test files.
    public static let trainCount = 600, testCount = 300

    /// The directory holding the four files, written on first use (once per test process).
    public static func directory() throws -> URL {
        try lock.withLock {
            if let made { return made }
            let url = FileManager.default.temporaryDirectory
                .appendingPathComponent("fashion-tests-\(ProcessInfo.processInfo.processIdentifier)/tiny-fashion-mnist")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for (part, count, seed) in [("train", trainCount, UInt64(1)), ("t10k", testCount, UInt64(2))] {
                let (pixels, labels) = images(count: count, seed: seed)
                try Data(idx([count, 28, 28], pixels)).write(to: url.appendingPathComponent("\(part)-images-idx3-ubyte"))
                try Data(idx([count], labels)).write(to: url.appendingPathComponent("\(part)-labels-idx1-ubyte"))
            }
            made = url
            return url
        }
    }

    nonisolated(unsafe) private static var made: URL?
    private static let lock = NSLock()

    /// Rows and columns (first, last) of each class's silhouette before shifting.
    private static let shapes: [(rows: ClosedRange<Int>, columns: ClosedRange<Int>)] = [
        (6...20, 5...22), (3...25, 10...17), (5...22, 4...23), (3...25, 8...19), (4...24, 4...23),
        (16...22, 3...24), (5...21, 5...22), (15...23, 2...25), (8...22, 5...22), (10...24, 6...23),
    ]

    /// `count` images (label i mod 10 shuffled; the first is class 9) and their labels.
    static func images(count: Int, seed: UInt64) -> (pixels: [UInt8], labels: [UInt8]) {
        var generator = SplitMix64(seed: seed)
        var pixels = [UInt8](repeating: 0, count: count * 784)
        var labels = (0..<count).map { UInt8($0 % 10) }
        labels.shuffle(using: &generator)
        if let nine = labels.firstIndex(of: 9) { labels.swapAt(0, nine) }
        for n in 0..<count {
            let shape = shapes[Int(labels[n])]
            let dy = Int.random(in: -2...2, using: &generator), dx = Int.random(in: -2...2, using: &generator)
            let brightness = Int.random(in: 120...255, using: &generator)
            for y in 0..<28 {
                for x in 0..<28 {
                    let inside = shape.rows.contains(y - dy) && shape.columns.contains(x - dx)
                    let noise = Int.random(in: -60...60, using: &generator)
                    pixels[n * 784 + y * 28 + x] = UInt8(clamping: (inside ? brightness : 0) + noise)
                }
            }
        }
        return (pixels, labels)
    }

    /// The bytes of an IDX file: element type `type` (0x08: unsigned bytes), the dimensions, the values.
    public static func idx(_ dimensions: [Int], _ values: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
        for d in dimensions { bytes += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
        return bytes + values
    }
}
