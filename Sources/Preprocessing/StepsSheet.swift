import Imaging

/// Draws steps of several photos as a sheet: one row per photo, steps side by side, each scaled to a common height, step names above in the bitmap font.
public func stepsSheet(_ rows: [[PreprocessingStep]], cellHeight: Int = 112) -> RGBImage {
    let height = max(1, cellHeight)
    let gap = 6, label = BitmapFont.glyphHeight + 4
    // Each row's pictures scaled to the common height: area averaging down, nearest pixel up
    // (so a 28 × 28 shows its pixels).
    let scaled = rows.map { steps in steps.map { step in scaledToHeight(step.image, height) } }
    var width = gap
    for (steps, pictures) in zip(rows, scaled) {
        var rowWidth = gap
        for (step, picture) in zip(steps, pictures) {
            rowWidth += max(picture.width, BitmapFont.textWidth(step.name, scale: 1)) + gap
        }
        width = max(width, rowWidth)
    }
    var sheet = RGBImage(width: width, height: gap + rows.count * (label + height + gap), fill: .white)
    for (r, (steps, pictures)) in zip(rows, scaled).enumerated() {
        var x = gap
        let y = gap + r * (label + height + gap)
        for (step, picture) in zip(steps, pictures) {
            sheet.draw(text: step.name, x: x, y: y, color: .black)
            sheet.draw(picture, x: x, y: y + label)
            x += max(picture.width, BitmapFont.textWidth(step.name, scale: 1)) + gap
        }
    }
    return sheet
}

/// `image` scaled to `height` with its aspect ratio (width rounded, at least 1).
func scaledToHeight(_ image: RGBImage, _ height: Int) -> RGBImage {
    let width = max(1, Int((Double(image.width) * Double(height) / Double(image.height)).rounded()))
    if height <= image.height { return AreaResize.resize(image, width: width, height: height) }
    var out = RGBImage(width: width, height: height, fill: .black)
    for y in 0 ..< height {
        let sy = y * image.height / height
        for x in 0 ..< width {
            let s = 3 * (sy * image.width + x * image.width / width), d = 3 * (y * width + x)
            out.pixels[d] = image.pixels[s]
            out.pixels[d + 1] = image.pixels[s + 1]
            out.pixels[d + 2] = image.pixels[s + 2]
        }
    }
    return out
}
