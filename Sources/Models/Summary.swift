import NN

/// A Keras-style table of a model's layers, output shapes and parameter counts.
public func modelSummary(_ model: Sequential, name: String, inputShape: [Int]) -> String {
    var rows: [(String, String, String)] = []
    var shape = [1] + inputShape
    for entry in model.layers {
        shape = entry.layer.outputShape(for: shape)
        let shapeText = "(None, " + shape.dropFirst().map(String.init).joined(separator: ", ") + ")"
        rows.append(("\(entry.name) (\(entry.layer.typeName))", shapeText, formatCount(entry.layer.parameterCount)))
    }
    let headers = ("Layer (type)", "Output Shape", "Param #")
    let w0 = max(headers.0.count, rows.map(\.0.count).max() ?? 0) + 2
    let w1 = max(headers.1.count, rows.map(\.1.count).max() ?? 0) + 2
    let w2 = max(headers.2.count, rows.map(\.2.count).max() ?? 0)
    func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
    func line(_ r: (String, String, String)) -> String {
        pad(r.0, w0) + pad(r.1, w1) + String(repeating: " ", count: max(0, w2 - r.2.count)) + r.2
    }
    let rule = String(repeating: "─", count: w0 + w1 + w2)
    var out = ["Model: \"\(name)\"", rule, line(headers), rule]
    out += rows.map(line)
    out += [rule, "Total params: \(formatCount(model.parameterCount))",
            "Trainable params: \(formatCount(model.parameterCount))", rule]
    return out.joined(separator: "\n")
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
