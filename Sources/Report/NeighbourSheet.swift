import Imaging

/// One picture with two caption lines, framed in `frame` (nil: no frame).
public struct CaptionedPicture {
    /// The picture (all of a sheet's pictures are the same size).
    public var picture: RGBImage
    /// Caption lines under it.
    public var lines: [String]
    /// Frame colour.
    public var frame: RGB?

    /// A captioned picture.
    public init(picture: RGBImage, lines: [String], frame: RGB? = nil) {
        self.picture = picture
        self.lines = lines
        self.frame = frame
    }
}

/// Rows of pictures, each with its caption lines underneath, set apart in groups: the first of
/// each row alone, then the rest (a query and its neighbours; `groupSize` nil), or groups of
/// `groupSize` (pairs of duplicates, several to a row).
public func neighbourSheet(_ rows: [[CaptionedPicture]], groupSize: Int? = nil, textScale: Int = 1) -> RGBImage {
    let padding = 8, gap = 16, lineHeight = (BitmapFont.glyphHeight + 3) * textScale
    let all = rows.flatMap { $0 }
    let side = all.map { max($0.picture.width, $0.picture.height) }.max() ?? 28
    let widest = all.flatMap(\.lines).map { BitmapFont.textWidth($0, scale: textScale) }.max() ?? 0
    let lines = all.map(\.lines.count).max() ?? 0
    let cellWidth = max(side, widest) + 2 * padding
    let cellHeight = side + lines * lineHeight + 2 * padding + 4
    let columns = rows.map(\.count).max() ?? 1
    func gaps(before column: Int) -> Int {
        guard let groupSize else { return column > 0 ? 1 : 0 }
        return column / max(1, groupSize)
    }
    var canvas = RGBImage(width: max(1, columns * cellWidth + gaps(before: columns - 1) * gap), height: max(1, rows.count * cellHeight))
    for (r, row) in rows.enumerated() {
        for (c, item) in row.enumerated() {
            let x0 = c * cellWidth + gaps(before: c) * gap, y0 = r * cellHeight
            let x = x0 + (cellWidth - item.picture.width) / 2, y = y0 + padding
            if let frame = item.frame {
                canvas.fillRect(x: x - 3, y: y - 3, width: item.picture.width + 6, height: item.picture.height + 6, color: frame)
            }
            canvas.draw(item.picture, x: x, y: y)
            for (n, line) in item.lines.enumerated() {
                let textX = x0 + (cellWidth - BitmapFont.textWidth(line, scale: textScale)) / 2
                canvas.draw(text: line, x: textX, y: y + side + 6 + n * lineHeight, color: RGB(0x24, 0x29, 0x2f), scale: textScale)
            }
        }
        if r > 0 { canvas.fillRect(x: 0, y: r * cellHeight, width: canvas.width, height: 1, color: RGB(0xd0, 0xd7, 0xde)) }
    }
    return canvas
}
