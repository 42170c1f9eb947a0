import ArgumentParser
import Models

extension Fashion {
    /// `fashion summary`: the layer table of an architecture.
    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a model's layers, output shapes and parameter counts.")

        @Option(help: "Architecture name.") var model: String = "seed-cnn"

        func validate() throws {
            do { _ = try Models.named(model) } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            let entry = try Models.named(model)
            print(modelSummary(entry.make(0), name: entry.name, inputShape: entry.inputShape))
        }
    }
}
