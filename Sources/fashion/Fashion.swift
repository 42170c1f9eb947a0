import ArgumentParser
import Foundation
import Tensor

/// The `fashion` command: train, evaluate and inspect clothing classifiers.
@main
struct Fashion: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train, evaluate and run clothing image classifiers (Fashion-MNIST) on the CPU, on dataset images and photos.",
        subcommands: [Train.self, Evaluate.self, Calibrate.self, Predict.self, Classify.self, Tag.self, Preprocess.self,
                      Embed.self, Index.self, Similar.self, Duplicates.self,
                      Report.self, Grid.self, Show.self, ListModels.self, Summary.self, Bench.self])

    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)  // one line at a time, also into pipes and log files
        Allocator.keepLargeBlocks()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
