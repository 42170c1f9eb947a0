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
            for row in rows {
                print(padded(row.0, to: w0) + "  " + padded(row.1, to: w1, alignRight: true) + "  "
                      + padded(row.2, to: w2, alignRight: true) + "  " + row.3)
            }
            print("\nMFLOP: two per multiply-add of the convolutions and dense layers in one forward pass.")
        }
    }
}
