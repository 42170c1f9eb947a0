import ArgumentParser
import Checkpoint
import Data
import Foundation
import Imaging
import Inference
import Kernels
import Models
import Training

/// How to compute: how many threads, and in which number format.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for decoding, kernels, BLAS and oneDNN (default: all cores).")
    var threads: Int?

    @Option(help: ArgumentHelp(
        "Number format of the convolution and dense products: fp32, or bf16 (bf16 operands, fp32 sums, fp32 weights and optimiser).",
        discussion: "bf16 runs on oneDNN's bf16 kernels on CPUs with AVX512-BF16; elsewhere the operands are rounded to bf16 and multiplied in fp32: the same numbers, slower than fp32."))
    var precision: Precision = .fp32

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
    }

    /// Applies the thread and precision settings.
    func apply() {
        if let threads { Threads.set(threads) }
        Precision.current = precision
    }
}

extension Precision: ExpressibleByArgument {}

/// Where the dataset lives and how many threads to compute with.
struct DataOptions: ParsableArguments {
    @Option(help: "Directory with the Fashion-MNIST IDX files (default: $FASHION_MNIST_DIR or \(FashionMNIST.defaultDirectory)).")
    var data: String?

    @OptionGroup var threadOptions: ThreadOptions

    /// Applies the thread setting and returns the dataset directory.
    func prepare() -> URL {
        threadOptions.apply()
        return FashionMNIST.directory(data)
    }
}

/// Test-time augmentation: which views of each image to average predictions over.
struct TTAOptions: ParsableArguments {
    @Flag(help: "Test-time augmentation: average each image's prediction with its mirror image's.") var tta = false
    @Flag(help: "With --tta, also average the 1-pixel shifts (left, right, up, down) of both views: 10 views.")
    var ttaShift = false

    func validate() throws {
        if ttaShift && !tta { throw ValidationError("--tta-shift needs --tta") }
    }

    /// The views chosen.
    var mode: TestTimeAugmentation { ttaShift ? .flipShift : tta ? .flip : .none }
}

/// Which images to evaluate or predict on.
enum SplitName: String, ExpressibleByArgument, CaseIterable {
    case test, val
}

/// Loads the images of `split`: the 10,000 test images, or the validation part of the seeded split
/// that held out `validationCount` images.
func loadSplit(_ split: SplitName, directory: URL, seed: UInt64, validationCount: Int = 10_000) throws -> ImageSet {
    switch split {
    case .test:
        return try FashionMNIST.load(.test, from: directory)
    case .val:
        return try FashionMNIST.split(try FashionMNIST.load(.train, from: directory), validationCount: validationCount, seed: seed).validation
    }
}

/// Refuses a model trained on other classes or inputs than Fashion-MNIST's for a use of the
/// Fashion-MNIST images (`use`, e.g. "--split test"), naming what to do instead.
func requireFashionMNIST(_ checkpoint: ModelCheckpoint, weights: String, for use: String) throws {
    guard checkpoint.geometry.inputShape == Models.Geometry.fashionMNIST.inputShape,
          checkpoint.classNames == FashionMNIST.classNames else {
        let classes = checkpoint.classNames.prefix(4).joined(separator: ", ") + (checkpoint.classNames.count > 4 ? ", …" : "")
        throw UsageError("\(use): \(weights) is a model for \(checkpoint.geometry.inputShape.map(String.init).joined(separator: "×")) inputs "
                         + "and the classes \(classes), not Fashion-MNIST's; give it photos instead (--images, photo files, or --split val for its validation photos)")
    }
}

/// A request that cannot be carried out, found after parsing (e.g. an index past the end of a split).
struct UsageError: Error, CustomStringConvertible {
    /// What is wrong, in one line.
    var description: String
    init(_ description: String) { self.description = description }
}

extension Augmentation {
    /// `--augment`, parsed: a bad list is a usage error.
    init(option text: String) throws {
        do { try self.init(parsing: text) } catch { throw ValidationError("--augment: \(error)") }
    }
}

/// Writes `image` as a PNG atomically.
func writePNG(_ image: RGBImage, to path: String) throws {
    try AtomicFile.write(PNG.encode(image), to: URL(fileURLWithPath: path))
}
