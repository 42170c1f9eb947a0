import Foundation
import Imaging

/// A tiny generated "shop" of labelled photos for tests: one folder per class, small PNGs of a
/// garment-like shape on a floor-coloured background, so that a small model learns them quickly.
public enum ShopPhotos {
    /// The classes made, in folder order.
    public static let classes = ["hat", "shorts", "skirt"]

    /// Writes `perClass` photos of `width` × `height` for each class into `directory/<class>/`,
    /// drawn from `seed`; returns the folder. Each class has its own shape and colour, with the
    /// position, size, background and noise varying from photo to photo.
    @discardableResult
    public static func make(in directory: URL, perClass: Int = 12, width: Int = 40, height: Int = 32,
                            seed: UInt64 = 1) throws -> URL {
        var random = SplitMix64(seed: seed)
        func uniform(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
        for (label, name) in classes.enumerated() {
            let folder = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for index in 0 ..< perClass {
                let floor = RGB(UInt8(uniform(150...200)), UInt8(uniform(140...190)), UInt8(uniform(120...170)))
                var image = RGBImage(width: width, height: height, fill: floor)
                let colour: RGB = [RGB(200, 30, 30), RGB(30, 60, 200), RGB(30, 160, 40)][label]
                let cx = width / 2 + uniform(-3...3), cy = height / 2 + uniform(-3...3), r = min(width, height) / 4 + uniform(-1...2)
                switch label {
                case 0:  // a disk
                    for y in 0 ..< height { for x in 0 ..< width where (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r { image[x, y] = colour } }
                case 1:  // a wide bar
                    image.fillRect(x: cx - 2 * r, y: cy - r / 2, width: 4 * r, height: r, color: colour)
                default:  // a tall bar
                    image.fillRect(x: cx - r / 2, y: cy - 2 * r + 2, width: r, height: 4 * r - 4, color: colour)
                }
                for i in stride(from: 0, to: image.pixels.count, by: 1) {
                    image.pixels[i] = UInt8(max(0, min(255, Int(image.pixels[i]) + uniform(-12...12))))
                }
                try PNG.encode(image).write(to: folder.appendingPathComponent(String(format: "%@-%03d.png", name, index)))
            }
        }
        return directory
    }
}
