import ArgumentParser
import Checkpoint
import Data
import Foundation
import Report

extension Fashion {
    /// `fashion report`: one self-contained HTML page about a training run.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an HTML report of a run: curves, predictions, confusion matrix, mistakes, model, settings.")

        @Option(name: .customLong("run"), help: "Run directory made by `fashion train`.") var runDirectory: String
        @Option(help: "Output file (default: report.html in the run directory).") var out: String?
        @Option(help: "Seed that picks the 12 test images of the grid.") var gridSeed: UInt64 = 1
        @OptionGroup var dataOptions: DataOptions

        func run() throws {
            let directory = URL(fileURLWithPath: runDirectory)
            let images = try FashionMNIST.load(.test, from: dataOptions.prepare())
            let report = try RunReport.load(run: directory, images: images, gridSeed: gridSeed)
            let url = out.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("report.html")
            let page = Data(report.html.utf8)
            try AtomicFile.write(page, to: url)
            print(String(format: "wrote %@ (%.0f KB): %@, %d epochs, test accuracy %.2f%%", url.relativePath,
                         Double(page.count) / 1024, report.checkpoint.architecture.name, report.history.records.count,
                         report.evaluation.accuracy * 100))
        }
    }
}
