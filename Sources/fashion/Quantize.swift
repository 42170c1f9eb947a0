import ArgumentParser
import Checkpoint
import Data
import Foundation
import Inference
import Models
import NN

extension Fashion {
    /// `fashion quantize`: post-training int8 quantization of a checkpoint, for faster inference.
    struct Quantize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Quantize a checkpoint's convolutions and dense layers to int8 for faster inference.",
            discussion: "Post-training quantization: each layer's weights become int8 with one scale per output channel "
                + "(127 steps for the channel's largest |weight|), and its inputs 7-bit unsigned (0…127, so that CPUs "
                + "without VNNI do not saturate), scaled by the largest input the layer saw on --calibrate N images: the run's "
                + "training images (Fashion-MNIST's training set, or the training photos of an --images run), or the photos "
                + "of --images DIR. Layers with one input channel or with negative inputs stay fp32, as do batch norm "
                + "and pooling. The output is a checkpoint (I8 weights with their F32 scales) that classify, tag, "
                + "evaluate, embed, index and serve accept; it cannot be trained on. The fp32 weights are kept as they are.")

        @OptionGroup var checkpoint: CheckpointOptions
        @Option(help: "Calibration images: how many to run through the model to find each layer's input range.")
        var calibrate: Int = 1000
        @Option(help: "Write the int8 checkpoint here (not --weights: the fp32 weights are needed to quantize again).")
        var out: String
        @OptionGroup var folder: PhotoFolderOptions
        @OptionGroup var cacheOptions: PhotoCacheOptions
        @OptionGroup var photo: PhotoOptions
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if !(1...1_000_000).contains(calibrate) { throw ValidationError("--calibrate must be between 1 and 1000000") }
            if URL(fileURLWithPath: out).standardizedFileURL == URL(fileURLWithPath: checkpoint.weights).standardizedFileURL {
                throw ValidationError("--out must not be --weights: keep the fp32 weights to quantize them again")
            }
        }

        func run() throws {
            dataOptions.threadOptions.apply()
            let loaded = try checkpoint.load()
            guard loaded.int8Layers.isEmpty else {
                throw UsageError("\(checkpoint.weights) is already int8 (\(loaded.int8Layers.joined(separator: ", "))); quantize its fp32 weights")
            }
            let (available, source) = try calibrationImages(for: loaded)
            // Evenly spaced over the set, so that a folder sorted by class gives every class its share.
            let count = min(calibrate, available.count)
            let images = available.subset((0..<count).map { $0 * available.count / count })
            let batches = stride(from: 0, to: count, by: 256).map { images.batch($0 ..< min(count, $0 + 256)).images }
            if count < calibrate { FileHandle.standardError.write(Data("note: only \(count) calibration images in \(source)\n".utf8)) }

            // The fp32 classes come from the calibration pass itself.
            var fp32: [Int] = []
            let layers = Int8Quantization.quantize(loaded.model, calibration: batches) { logits in
                let classes = logits.shape[1]
                fp32 += (0..<logits.shape[0]).map { argmax(logits.scalars[$0 * classes ..< ($0 + 1) * classes]) }
            }
            guard layers.contains(where: { $0.keptFP32 == nil }) else {
                throw UsageError("no layer of \(checkpoint.weights) can run int8: " + layers.map { "\($0.name): \($0.keptFP32 ?? "")" }.joined(separator: "; "))
            }
            let int8 = predict(loaded.model, on: images).predicted
            let agreement = Double(zip(fp32, int8).filter { $0 == $1 }.count) / Double(count)

            let record: [String: String] = [
                "weights": "int8, one scale per output channel", "inputs": "uint8, 7 bits (0…127)",
                "calibration": "\(count) \(source)", "source": checkpoint.weights,
                "top1_agreement": String(format: "%.4f", agreement),
                "layers": layers.map { "\($0.name):\($0.keptFP32 == nil ? "int8" : "fp32")" }.joined(separator: ","),
            ]
            var metadata = loaded.metadata
            metadata[ModelCheckpoint.Key.quantization] = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
            let url = URL(fileURLWithPath: out)
            try ModelCheckpoint.save(loaded.model, architecture: loaded.architecture.name, classNames: loaded.classNames,
                                     channels: loaded.geometry.channels, size: loaded.geometry.size, metadata: metadata, to: url)

            for layer in layers {
                let range = String(format: "inputs %.3g…%.3g", layer.inputMinimum, layer.inputMaximum)
                print("\(layer.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(layer.keptFP32 == nil ? "int8" : "fp32")  \(range)"
                      + (layer.keptFP32.map { ": \($0)" } ?? ""))
            }
            let bytes = { (path: String) in ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
            print(String(format: "calibrated on %d %@; int8 and fp32 agree on %.2f%% of them; saved %@ (%.1f MB, fp32 file %.1f MB)",
                         count, source, agreement * 100, out, Double(bytes(out)) / 1e6, Double(bytes(checkpoint.weights)) / 1e6))
        }

        /// The images to calibrate on, and how to name them: --images, else the training images the checkpoint was trained on.
        private func calibrationImages(for loaded: ModelCheckpoint) throws -> (ImageSet, String) {
            func unlabelled(_ set: ImageSet) -> ImageSet {  // labels are not used; photos' folder numbers may exceed the classes
                ImageSet(pixels: set.pixels, labels: Array(repeating: 0, count: set.count), channels: set.channels, height: set.height, width: set.width)
            }
            if folder.images != nil {
                let photos = try folder.load(for: try photo.classifier(loaded))
                let first = photos.inputs[0]
                return (ImageSet(pixels: photos.inputs.flatMap(\.pixels), labels: Array(repeating: 0, count: photos.inputs.count),
                                 channels: first.channels, height: first.height, width: first.width), folder.description)
            }
            if let config = runConfig(beside: checkpoint.weights), config.images != nil {
                let photos = try PhotoRunData.load(config, cache: cacheOptions.store)
                guard photos.train.count > 0 else { throw UsageError("the run beside \(checkpoint.weights) kept no training photos; give photos with --images") }
                return (unlabelled(photos.train), "training photos of \(config.images ?? "")")
            }
            if loaded.classNames != FashionMNIST.classNames || loaded.geometry.inputShape != Models.Geometry.fashionMNIST.inputShape {
                throw UsageError("\(checkpoint.weights) is not a Fashion-MNIST model and has no --images run beside it: give calibration photos with --images DIR")
            }
            return (try FashionMNIST.load(.train, from: dataOptions.prepare()), "Fashion-MNIST training images")
        }
    }
}
