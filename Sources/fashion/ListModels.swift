import ArgumentParser
import Models

extension Fashion {
    /// `fashion models`: the model zoo with sizes and costs.
    struct ListModels: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "models", abstract: "List the architectures: parameters and forward MFLOP per image.")

        func run() throws {
            var rows = [("model", "parameters", "MFLOP/image", "description")]
            for entry in Models.all {
                let model = entry.make(0)
                let flops = forwardFLOPs(model, input: [1] + entry.inputShape)
                rows.append((entry.name, formatCount(model.parameterCount), String(format: "%.1f", flops / 1e6), entry.summary))
            }
            let w0 = rows.map(\.0.count).max()!, w1 = rows.map(\.1.count).max()!, w2 = rows.map(\.2.count).max()!
            func left(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: w - s.count) }
            func right(_ s: String, _ w: Int) -> String { String(repeating: " ", count: w - s.count) + s }
            for row in rows {
                print(left(row.0, w0) + "  " + right(row.1, w1) + "  " + right(row.2, w2) + "  " + row.3)
            }
            print("\nMFLOP: two per multiply-add of the convolutions and dense layers in one forward pass.")
        }
    }
}
