import Data
import Imaging
import Tensor

/// Image `index` of `set` as a picture, each pixel a `scale` × `scale` square; `inverted` draws
/// a gray garment dark on white (as the notebook's plots did), otherwise as stored (light on
/// black). Colour images (3 channels) are drawn in colour, never inverted.
public func picture(of set: ImageSet, index: Int, scale: Int, inverted: Bool) -> RGBImage {
    let size = set.height * set.width
    var image = RGBImage(width: set.width * scale, height: set.height * scale)
    guard set.channels == 3 else {
        image.drawGray(Array(set.pixels[index * set.imageSize ..< index * set.imageSize + size]), width: set.width,
                       height: set.height, x: 0, y: 0, scale: scale, inverted: inverted)
        return image
    }
    let start = index * set.imageSize
    for y in 0 ..< image.height {
        for x in 0 ..< image.width {
            let i = start + (y / scale) * set.width + x / scale
            image[x, y] = RGB(set.pixels[i], set.pixels[i + size], set.pixels[i + 2 * size])
        }
    }
    return image
}

/// One labelled cell of a prediction grid.
public struct GridItem {
    /// Index of the image in its set.
    public var index: Int
    /// True and predicted class names.
    public var label, predicted: String
    /// The probability the model gave `predicted`.
    public var confidence: Float

    /// A cell for image `index`.
    public init(index: Int, label: String, predicted: String, confidence: Float) {
        self.index = index
        self.label = label
        self.predicted = predicted
        self.confidence = confidence
    }

    /// Whether the prediction is right.
    public var isRight: Bool { label == predicted }

    /// "Sneaker 99%": the prediction and its confidence.
    public var predictionText: String { "\(predicted) \(Int((confidence * 100).rounded(.down)))%" }
}

/// A grid of images, `columns` wide, each with its prediction and confidence (green when right,
/// red when wrong) and its true label underneath, like the notebook's 12-image plot.
public func predictionGrid(_ items: [GridItem], of set: ImageSet, columns: Int = 6, scale: Int = 4) -> RGBImage {
    let textScale = 2, lineHeight = (BitmapFont.glyphHeight + 3) * textScale, padding = 12
    let texts = items.flatMap { [$0.predictionText, "true: \($0.label)"] }
    let widest = texts.map { BitmapFont.textWidth($0, scale: textScale) }.max() ?? 0
    let cellWidth = max(set.width * scale, widest) + 2 * padding
    let cellHeight = set.height * scale + 2 * lineHeight + 2 * padding
    let rows = max(1, (items.count + columns - 1) / columns)
    let usedColumns = max(1, min(columns, items.count))
    var canvas = RGBImage(width: usedColumns * cellWidth, height: rows * cellHeight)
    let gray = RGB(0x57, 0x60, 0x6a)
    for (n, item) in items.enumerated() {
        let x0 = (n % columns) * cellWidth, y0 = (n / columns) * cellHeight
        let color: RGB = item.isRight ? .right : .wrong
        let side = set.width * scale, tall = set.height * scale
        let imageX: Int = x0 + (cellWidth - side) / 2
        let imageY: Int = y0 + padding
        canvas.fillRect(x: imageX - 3, y: imageY - 3, width: side + 6, height: tall + 6, color: color)  // the frame
        canvas.draw(picture(of: set, index: item.index, scale: scale, inverted: true), x: imageX, y: imageY)
        let textY = imageY + tall + padding / 2 + 2
        for (line, (text, ink)) in [(item.predictionText, color), ("true: \(item.label)", gray)].enumerated() {
            let textX = x0 + (cellWidth - BitmapFont.textWidth(text, scale: textScale)) / 2
            canvas.draw(text: text, x: textX, y: textY + line * lineHeight, color: ink, scale: textScale)
        }
    }
    return canvas
}

/// `count` distinct indices below `total`, drawn with a seeded generator (the same for the same seed).
public func sampleIndices(count: Int, from total: Int, seed: UInt64) -> [Int] {
    var generator = SeededGenerator(seed: seed)
    var pool = Array(0 ..< total)
    let n = min(count, total)
    for i in 0 ..< n { pool.swapAt(i, Int.random(in: i ..< total, using: &generator)) }
    return Array(pool[0 ..< n])
}
