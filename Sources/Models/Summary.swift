import NN

/// One row of a model summary: a layer, its output shape and its parameter count.
public struct SummaryRow: Equatable, Sendable {
    /// The layer's name in the model (`conv_1`).
    public var name: String
    /// The layer's type (`Conv2D`).
    public var type: String
    /// The output shape of one image, batch dimension left out.
    public var outputShape: [Int]
    /// Trainable parameters.
    public var parameters: Int
}

/// The rows of a model summary for images of `inputShape` ([C, H, W]): nested `Sequential`s are
/// opened (rows named with dotted paths, as in checkpoints), residual blocks are one row each.
public func summaryRows(_ model: Sequential, inputShape: [Int]) -> [SummaryRow] {
    var rows: [SummaryRow] = []
    func walk(_ chain: Sequential, prefix: String, shape: [Int]) -> [Int] {
        var shape = shape
        for entry in chain.layers {
            let name = prefix + entry.name
            if let inner = entry.layer as? Sequential {
                shape = walk(inner, prefix: name + ".", shape: shape)
                continue
            }
            shape = entry.layer.outputShape(for: shape)
            rows.append(SummaryRow(name: name, type: entry.layer.typeName, outputShape: Array(shape.dropFirst()),
                                   parameters: entry.layer.parameterCount))
        }
        return shape
    }
    _ = walk(model, prefix: "", shape: [1] + inputShape)
    return rows
}

/// A Keras-style table of a model's layers, output shapes and parameter counts.
public func modelSummary(_ model: Sequential, name: String, inputShape: [Int]) -> String {
    let rows = summaryRows(model, inputShape: inputShape).map { row in
        ("\(row.name) (\(row.type))", "(None, " + row.outputShape.map(String.init).joined(separator: ", ") + ")",
         formatCount(row.parameters))
    }
    let headers = ("Layer (type)", "Output Shape", "Param #")
    let w0 = max(headers.0.count, rows.map(\.0.count).max() ?? 0) + 2
    let w1 = max(headers.1.count, rows.map(\.1.count).max() ?? 0) + 2
    let w2 = max(headers.2.count, rows.map(\.2.count).max() ?? 0)
    func line(_ r: (String, String, String)) -> String {
        padded(r.0, to: w0) + padded(r.1, to: w1) + padded(r.2, to: w2, alignRight: true)
    }
    let rule = String(repeating: "─", count: w0 + w1 + w2)
    var out = ["Model: \"\(name)\"", rule, line(headers), rule]
    out += rows.map(line)
    out += [rule, "Total params: \(formatCount(model.parameterCount))",
            "Trainable params: \(formatCount(model.parameterCount))", rule]
    return out.joined(separator: "\n")
}

/// `text` filled with spaces to `width` characters: after it, or before it with `alignRight`
/// (text already as wide or wider is returned as it is).
public func padded(_ text: String, to width: Int, alignRight: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return alignRight ? fill + text : text + fill
}

/// An integer with thousands separators: 3274634 → "3,274,634".
public func formatCount(_ n: Int) -> String {
    let digits = String(n)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return out
}
