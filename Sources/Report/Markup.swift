import Foundation

/// Escapes text for HTML/SVG content and attribute values.
public func escapeMarkup(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

/// A number with `digits` decimals, for coordinates and labels ("12.5", not "12.500000").
func fixed(_ value: Double, _ digits: Int = 1) -> String {
    String(format: "%.\(digits)f", value)
}

/// A percentage with two decimals: 0.9187 → "91.87%".
func percent(_ fraction: Double) -> String {
    String(format: "%.2f%%", fraction * 100)
}

/// An HTML table with a header row; cells are escaped unless they are `Cell.raw`.
struct Table {
    /// One table cell.
    enum Cell {
        case text(String)
        case number(String)
        case raw(String)
    }

    var headers: [String]
    var rows: [[Cell]]
    var className = ""

    var html: String {
        var out = "<table" + (className.isEmpty ? "" : " class=\"\(className)\"") + ">\n<thead><tr>"
        out += headers.map { "<th>\(escapeMarkup($0))</th>" }.joined()
        out += "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr>" + row.map { cell in
                switch cell {
                case .text(let s): return "<td>\(escapeMarkup(s))</td>"
                case .number(let s): return "<td class=\"num\">\(escapeMarkup(s))</td>"
                case .raw(let s): return "<td>\(s)</td>"
                }
            }.joined() + "</tr>\n"
        }
        return out + "</tbody>\n</table>"
    }
}
