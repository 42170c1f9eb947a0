import ArgumentParser
import Checkpoint
import Data
import Foundation
import Report
import Training

extension Fashion {
    /// `fashion report`: one self-contained HTML page about a training run.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an HTML report of a run: curves, predictions, confusion matrix, mistakes, model, settings.")

        @Option(name: .customLong("run"), help: "Run directory made by `fashion train`.") var runDirectory: String
        @Option(help: "Output file (default: report.html in the run directory).") var out: String?
        @Option(help: "Seed that picks the 12 test images of the grid.") var gridSeed: UInt64 = 1
        @OptionGroup var dataOptions: DataOptions
        @OptionGroup var cacheOptions: PhotoCacheOptions

        func run() throws {
            let directory = URL(fileURLWithPath: runDirectory)
            let report: RunReport
            if let config = try TrainingConfig.saved(in: directory), let folder = config.images {
                // A run on a shop's photos is reported on its validation photos, split as in training.
                dataOptions.threadOptions.apply()
                let photos = try PhotoRunData.load(config, cache: cacheOptions.store)
                guard photos.validation.count > 0 else { throw UsageError("\(runDirectory): the run kept no validation photos to report on") }
                let name = URL(fileURLWithPath: folder).lastPathComponent
                report = try RunReport.load(run: directory, images: photos.validation,
                                            described: .init(dataset: name, noun: "validation photos", metric: "validation"), gridSeed: gridSeed)
            } else {
                let images = try FashionMNIST.load(.test, from: dataOptions.prepare())
                report = try RunReport.load(run: directory, images: images, gridSeed: gridSeed)
            }
            let url = out.map { URL(fileURLWithPath: $0) } ?? directory.appendingPathComponent("report.html")
            let page = Data(report.html.utf8)
            try AtomicFile.write(page, to: url)
            print(String(format: "wrote %@ (%.0f KB): %@, %d epochs, %@ accuracy %.2f%%", url.relativePath,
                         Double(page.count) / 1024, report.checkpoint.architecture.name, report.history.records.count,
                         report.described.metric, report.evaluation.accuracy * 100))
        }
    }
}
