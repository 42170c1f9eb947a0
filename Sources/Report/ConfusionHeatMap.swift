import Foundation
import Inference
import Training

/// The confusion matrix as an SVG heat map: rows are true classes, columns predictions,
/// each cell shaded by the share of its row and labelled with its count.
func confusionHeatMap(_ report: EvaluationReport) -> String {
    let names = report.classes.map(\.name)
    let k = names.count
    let cell = 46.0, left = 120.0, top = 112.0
    let width = left + cell * Double(k) + 16, height = top + cell * Double(k) + 40
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"confusion matrix\">\n"
    for (j, name) in names.enumerated() {
        let x = left + (Double(j) + 0.5) * cell
        out += "<text transform=\"translate(\(fixed(x + 4)) \(fixed(top - 8))) rotate(-55)\" class=\"tick\">\(escapeMarkup(name))</text>\n"
    }
    for (i, row) in report.confusion.enumerated() {
        let total = max(1, row.reduce(0, +))
        let y = top + Double(i) * cell
        out += "<text x=\"\(fixed(left - 8))\" y=\"\(fixed(y + cell / 2 + 4))\" text-anchor=\"end\" class=\"tick\">\(escapeMarkup(names[i]))</text>\n"
        for (j, count) in row.enumerated() {
            let share = Double(count) / Double(total)
            // Square root so that the few-percent confusions still show.
            let shade = share == 0 ? 0 : 0.08 + 0.92 * share.squareRoot()
            let fill = i == j ? "rgba(31,111,235,\(fixed(shade, 3)))" : "rgba(207,34,46,\(fixed(shade, 3)))"
            let x = left + Double(j) * cell
            out += "<g><rect x=\"\(fixed(x))\" y=\"\(fixed(y))\" width=\"\(fixed(cell - 2))\" height=\"\(fixed(cell - 2))\" fill=\"\(fill)\" class=\"cell\"/>"
            out += "<text x=\"\(fixed(x + cell / 2 - 1))\" y=\"\(fixed(y + cell / 2 + 3))\" text-anchor=\"middle\" class=\"count\""
                + (shade > 0.6 ? " fill=\"#ffffff\"" : "") + ">\(count)</text>"
            out += "<title>true \(escapeMarkup(names[i])), predicted \(escapeMarkup(names[j])): \(count) (\(percent(share)) of the row)</title></g>\n"
        }
    }
    out += "<text x=\"\(fixed(left + cell * Double(k) / 2))\" y=\"\(fixed(height - 12))\" text-anchor=\"middle\" class=\"axis-label\">predicted class (rows: true class)</text>\n"
    return out + "</svg>"
}
