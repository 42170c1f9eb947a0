import Foundation

/// A line chart of one or more series over a shared x axis, drawn as inline SVG.
public struct LineChart {
    /// One line: a name for the legend, a CSS colour and its (x, y) points.
    public struct Series {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]

        /// A series called `name` drawn in `color`.
        public init(name: String, color: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.points = points
        }
    }

    /// Heading above the plot.
    public var title: String
    /// Axis labels.
    public var xLabel, yLabel: String
    /// The lines.
    public var series: [Series]
    /// How y values are written in tick labels and point tooltips.
    public var formatY: (Double) -> String = { fixed($0, 3) }
    /// Size of the picture in pixels.
    public var width = 560.0, height = 320.0

    /// A chart with the given title, axis labels and lines.
    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    // The plot area inside the margins.
    private var left: Double { 76 }
    private var right: Double { width - 16 }
    private var top: Double { 52 }
    private var bottom: Double { height - 48 }

    /// The lines without the points that cannot be drawn: a diverged run's NaN or infinite loss,
    /// or values too large to place (beyond ±10¹⁵).
    var drawn: [Series] {
        series.map { line in
            var line = line
            line.points = line.points.filter { abs($0.x) < 1e15 && abs($0.y) < 1e15 }
            return line
        }
    }

    /// The x and y ranges shown: the data's, widened to whole tick steps.
    var ranges: (x: ClosedRange<Double>, y: ClosedRange<Double>, xStep: Double, yStep: Double) {
        let xs = drawn.flatMap { $0.points.map(\.x) }, ys = drawn.flatMap { $0.points.map(\.y) }
        let xTicks = niceTicks(xs.min() ?? 0, xs.max() ?? 1, integers: true)
        let yTicks = niceTicks(ys.min() ?? 0, ys.max() ?? 1, integers: false)
        return (xTicks.range, yTicks.range, xTicks.step, yTicks.step)
    }

    /// The pixel position of a data point.
    func position(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let r = ranges
        let px = left + (x - r.x.lowerBound) / (r.x.upperBound - r.x.lowerBound) * (right - left)
        let py = bottom - (y - r.y.lowerBound) / (r.y.upperBound - r.y.lowerBound) * (bottom - top)
        return (px, py)
    }

    /// The chart as an `<svg>` element; every point carries a `<title>` tooltip with its values.
    public var svg: String {
        let r = ranges
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escapeMarkup(title))\">\n"
        out += "<text x=\"\(fixed(width / 2))\" y=\"22\" text-anchor=\"middle\" class=\"chart-title\">\(escapeMarkup(title))</text>\n"
        // Grid lines and tick labels.
        for y in stride(from: r.y.lowerBound, through: r.y.upperBound + r.yStep / 2, by: r.yStep) {
            let p = position(r.x.lowerBound, y)
            out += "<line x1=\"\(fixed(left))\" y1=\"\(fixed(p.y))\" x2=\"\(fixed(right))\" y2=\"\(fixed(p.y))\" class=\"grid\"/>"
            out += "<text x=\"\(fixed(left - 6))\" y=\"\(fixed(p.y + 4))\" text-anchor=\"end\" class=\"tick\">\(escapeMarkup(formatY(y)))</text>\n"
        }
        for x in stride(from: r.x.lowerBound, through: r.x.upperBound + r.xStep / 2, by: r.xStep) {
            let p = position(x, r.y.lowerBound)
            out += "<line x1=\"\(fixed(p.x))\" y1=\"\(fixed(top))\" x2=\"\(fixed(p.x))\" y2=\"\(fixed(bottom))\" class=\"grid\"/>"
            out += "<text x=\"\(fixed(p.x))\" y=\"\(fixed(bottom + 16))\" text-anchor=\"middle\" class=\"tick\">\(Int(x))</text>\n"
        }
        out += "<rect x=\"\(fixed(left))\" y=\"\(fixed(top))\" width=\"\(fixed(right - left))\" height=\"\(fixed(bottom - top))\" class=\"frame\"/>\n"
        out += "<text x=\"\(fixed((left + right) / 2))\" y=\"\(fixed(height - 10))\" text-anchor=\"middle\" class=\"axis-label\">\(escapeMarkup(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(fixed((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">\(escapeMarkup(yLabel))</text>\n"
        // The lines, their points and the legend.
        for (index, s) in drawn.enumerated() {
            let points = s.points.map { position($0.x, $0.y) }
            out += "<g class=\"series\" data-name=\"\(escapeMarkup(s.name))\">"
            out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\" points=\""
                + points.map { "\(fixed($0.x, 2)),\(fixed($0.y, 2))" }.joined(separator: " ") + "\"/>\n"
            for (point, value) in zip(points, s.points) {
                out += "<circle cx=\"\(fixed(point.x, 2))\" cy=\"\(fixed(point.y, 2))\" r=\"2.5\" fill=\"\(s.color)\">"
                    + "<title>\(escapeMarkup(s.name)), epoch \(Int(value.x)): \(escapeMarkup(formatY(value.y)))</title></circle>"
            }
            out += "</g>\n"
            // The legend: one entry per series, in a row above the plot's top-right corner.
            let legendX = right - Double(series.count - index) * 110
            out += "<line x1=\"\(fixed(legendX))\" y1=\"\(fixed(top - 14))\" x2=\"\(fixed(legendX + 22))\" y2=\"\(fixed(top - 14))\" stroke=\"\(s.color)\" stroke-width=\"3\"/>"
            out += "<text x=\"\(fixed(legendX + 28))\" y=\"\(fixed(top - 10))\" class=\"legend\">\(escapeMarkup(s.name))</text>\n"
        }
        return out + "</svg>"
    }
}

/// Evenly spaced, round tick values (steps of 1, 2 or 5 × 10ⁿ) covering [low, high] with about five intervals.
func niceTicks(_ low: Double, _ high: Double, integers: Bool) -> (range: ClosedRange<Double>, step: Double) {
    var low = low, high = high
    if high <= low {
        let pad = low == 0 ? 1 : abs(low) * 0.1
        low -= pad
        high += pad
    }
    let rough = (high - low) / 5
    guard rough.isFinite, rough > 0 else { return (low...low + 1, 1) }
    let magnitude = pow(10, floor(log10(rough)))
    var step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
    if integers { step = max(1, step.rounded()) }
    let start = floor(low / step) * step, end = ceil(high / step) * step
    return (start...max(end, start + step), step)
}
