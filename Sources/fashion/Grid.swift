import ArgumentParser
import Checkpoint
import Data
import Foundation
import Imaging
import Inference
import Report
import Training

extension Fashion {
    /// `fashion grid`: a PNG of test images with predicted and true labels.
    struct Grid: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw images with their predicted (green right, red wrong) and true labels into a PNG.")

        @OptionGroup var weightsOptions: WeightsOptions
        @Option(help: "Output PNG file.") var out: String = "grid.png"
        @Option(help: "Number of images.") var count: Int = 12
        @Option(help: "Images per row.") var columns: Int = 6
        @Option(help: "Pixels per image pixel (nearest-neighbour upscaling).") var scale: Int = 4
        @Option(help: "Seed that picks the images.") var gridSeed: UInt64 = 1
        @OptionGroup var ttaOptions: TTAOptions
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if !(1...1000).contains(count) { throw ValidationError("--count must be between 1 and 1000") }
            if !(1...100).contains(columns) { throw ValidationError("--columns must be between 1 and 100") }
            if !(1...32).contains(scale) { throw ValidationError("--scale must be between 1 and 32") }
        }

        func run() throws {
            let (checkpoint, images) = try weightsOptions.load(directory: dataOptions.prepare())
            let indices = sampleIndices(count: count, from: images.count, seed: gridSeed)
            let chosen = images.subset(indices)
            let result = predict(checkpoint.model, on: chosen, tta: ttaOptions.mode)
            let items = indices.indices.map { i in
                GridItem(index: i, label: checkpoint.classNames[result.labels[i]],
                         predicted: checkpoint.classNames[result.predicted[i]], confidence: result.confidence[i])
            }
            let picture = predictionGrid(items, of: chosen, columns: columns, scale: scale)
            try writePNG(picture, to: out)
            let right = items.filter(\.isRight).count
            print("wrote \(out) (\(picture.width)×\(picture.height)): \(right) of \(items.count) \(weightsOptions.split.rawValue) images predicted right")
        }
    }

    /// `fashion show`: one dataset image as a PNG.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write one dataset image to a PNG, upscaled.")

        @Option(help: "Index of the image in the split (0-based).") var index: Int
        @Option(help: "Images to use: test (10,000 t10k images) or val (the seeded validation split).") var split: SplitName = .test
        @Option(help: "Split seed for --split val.") var seed: UInt64 = 1
        @Option(help: "Output PNG file.") var out: String
        @Option(help: "Pixels per image pixel (nearest-neighbour upscaling).") var scale: Int = 8
        @Flag(help: "Draw the garment dark on white instead of as stored (light on black).") var invert = false
        @Flag(help: "Draw the image rendered as a photo, as evaluate --photo-style sees it before JPEG compression.") var photoStyle = false
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if index < 0 { throw ValidationError("--index must be 0 or more") }
            if !(1...64).contains(scale) { throw ValidationError("--scale must be between 1 and 64") }
        }

        func run() throws {
            let images = try loadSplit(split, directory: dataOptions.prepare(), seed: seed)
            guard index < images.count else {
                throw UsageError("--index \(index) is out of range: the \(split.rawValue) split has \(images.count) images (0–\(images.count - 1))")
            }
            let image = photoStyle ? PhotoStyle.render(images, index: index, seed: 1) : picture(of: images, index: index, scale: scale, inverted: invert)
            try writePNG(image, to: out)
            print("wrote \(out) (\(image.width)×\(image.height)): \(split.rawValue) image \(index), label \(FashionMNIST.classNames[images.labels[index]])")
        }
    }
}
