import ArgumentParser
import Checkpoint
import Data
import Foundation
import Imaging
import Inference
import Report
import Training

extension Fashion {
    /// `fashion grid`: a PNG of test images (or labelled photos) with predicted and true labels.
    struct Grid: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw images with their predicted (green right, red wrong) and true labels into a PNG.",
            discussion: "Dataset images (--split), or a folder of labelled photos (--images) as the model sees them.")

        @OptionGroup var weightsOptions: WeightsOptions
        @OptionGroup var folder: PhotoFolderOptions
        @OptionGroup var photo: PhotoOptions
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
            if folder.images != nil { return try runOnPhotos() }
            let (checkpoint, images) = try weightsOptions.load(directory: dataOptions.prepare())
            let indices = sampleIndices(count: count, from: images.count, seed: gridSeed)
            let chosen = images.subset(indices)
            let result = predict(checkpoint.model, on: chosen, tta: ttaOptions.mode)
            let items = indices.indices.map { i in
                GridItem(index: i, label: checkpoint.classNames[result.labels[i]],
                         predicted: checkpoint.classNames[result.predicted[i]], confidence: result.confidence[i])
            }
            try draw(items, of: chosen, what: "\(weightsOptions.split.rawValue) images")
        }

        /// The grid of photos from `--images`, each as the model's input, labelled with its folder
        /// (or, when the folder's accepted classes include the prediction, with that class).
        func runOnPhotos() throws {
            dataOptions.threadOptions.apply()
            let classifier = try photo.classifier(weightsOptions.checkpoint.load(), tta: ttaOptions.mode)
            let photos = try folder.load(for: classifier)
            let indices = sampleIndices(count: count, from: photos.inputs.count, seed: gridSeed)
            let inputs = indices.map { photos.inputs[$0] }
            let chosen = ImageSet(pixels: inputs.flatMap(\.pixels), labels: indices.map { photos.accepted[$0][0] },
                                  channels: inputs[0].channels, height: inputs[0].height, width: inputs[0].width)
            let classified = classifier.classify(inputs)
            let items = indices.indices.map { i in
                let folderName = photos.folders[photos.folderOfInput[indices[i]]].name
                let right = photos.accepted[indices[i]].contains(classified[i].index)
                return GridItem(index: i, label: right ? classified[i].label : folderName, predicted: classified[i].label,
                                confidence: classified[i].probability)
            }
            try draw(items, of: chosen, what: folder.description)
        }

        private func draw(_ items: [GridItem], of set: ImageSet, what: String) throws {
            let picture = predictionGrid(items, of: set, columns: columns, scale: scale)
            try writePNG(picture, to: out)
            let right = items.filter(\.isRight).count
            print("wrote \(out) (\(picture.width)×\(picture.height)): \(right) of \(items.count) \(what) predicted right")
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
