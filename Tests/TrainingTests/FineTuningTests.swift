import Checkpoint
import Data
import Foundation
import Models
import NN
import PhotoDataset
import Preprocessing
import Tensor
import TestSupport
@testable import Training
import XCTest

/// Fine-tuning and training on a generated folder of labelled photos (no dataset needed).
final class FineTuningTests: XCTestCase {
    /// A Fashion-MNIST-shaped resnet20 saved as a checkpoint.
    func savedResNet(in directory: URL, seed: UInt64 = 3) throws -> (URL, Sequential) {
        let model = Models.resNet(seed: seed, blocksPerStage: 3, width: 16)
        let url = directory.appendingPathComponent("source.safetensors")
        try ModelCheckpoint.save(model, architecture: "resnet20", classNames: FashionMNIST.classNames, to: url)
        return (url, model)
    }

    func testTransferLoadsWhatFitsAdaptsTheStemAndMakesANewHead() throws {
        let (url, _) = try savedResNet(in: TestSupport.temporaryDirectory())
        let source = try ModelCheckpoint.load(url, defaultClassNames: [])
        let target = try Models.named("resnet20").make(Models.Geometry(channels: 3, size: 20, classes: 3), seed: 9)
        let before = Dictionary(uniqueKeysWithValues: target.parameters.map { ($0.name, $0.parameter.value) })
        let report = try FineTuning.transfer(from: source, into: target, keepHead: false)
        XCTAssertEqual(report.adapted, ["conv1.weight"])
        XCTAssertEqual(report.fresh, ["fc.weight", "fc.bias"])
        XCTAssertEqual(report.loaded.count, target.parameters.count + target.buffers.count - 3)
        let sourceTensors = Dictionary(uniqueKeysWithValues: (source.model.parameters + source.model.buffers).map { ($0.name, $0.parameter.value) })
        for (name, slot) in target.parameters + target.buffers where report.loaded.contains(name) {
            XCTAssertEqual(slot.value, sourceTensors[name], name)
        }
        XCTAssertEqual(target.parameters.first { $0.name == "fc.weight" }?.parameter.value, before["fc.weight"], "the head stays as initialised")
        // A gray image given as three equal planes gives the source's features.
        var g = SeededGenerator(seed: 1)
        let gray = Initializer.uniform(shape: [2, 1, 20, 20], limit: 1, using: &g)
        let colour = Tensor(shape: [2, 3, 20, 20], scalars: (0 ..< 2).flatMap { i in
            Array(repeating: Array(gray.scalars[i * 400 ..< (i + 1) * 400]), count: 3).flatMap { $0 }
        })
        let features = { (model: Sequential, x: Tensor) in model.split(after: "avgpool")!.head.forward(x, phase: .inference) }
        XCTAssertLessThan(TestSupport.maxDifference(features(target, colour), features(source.model, gray)), 1e-4)
        // The same classes keep the head too.
        let same = try Models.named("resnet20").make(Models.Geometry(channels: 1, size: 28, classes: 10), seed: 9)
        XCTAssertEqual(try FineTuning.transfer(from: source, into: same, keepHead: true).fresh, [])
    }

    func testWeightsThatDoNotFitAndBadFreezesAreRefused() throws {
        let (url, _) = try savedResNet(in: TestSupport.temporaryDirectory())
        let source = try ModelCheckpoint.load(url, defaultClassNames: [])
        let vgg = try Models.named("vgg-bn-gap").make(Models.Geometry(channels: 3, size: 16, classes: 3), seed: 1)
        XCTAssertThrowsError(try FineTuning.transfer(from: source, into: vgg, keepHead: false)) { error in
            XCTAssertTrue("\(error)".contains("none of the layers of the --from weights (resnet20"), "\(error)")
        }
        let model = try Models.named("resnet20").make(Models.Geometry(channels: 3, size: 16, classes: 3), seed: 1)
        let report = try FineTuning.transfer(from: source, into: model, keepHead: false)
        let frozen = try FineTuning.setLearningRateScales(model, report: report, loadedScale: 0.1, freeze: ["conv1", "layer1"])
        for (name, parameter) in model.parameters {
            let expected: Float = name.hasPrefix("conv1.") || name.hasPrefix("layer1.") ? 0 : name.hasPrefix("fc.") ? 1 : 0.1
            XCTAssertEqual(parameter.learningRateScale, expected, name)
        }
        XCTAssertEqual(frozen, model.parameters.filter { $0.name.hasPrefix("conv1.") || $0.name.hasPrefix("layer1.") }.count)
        XCTAssertThrowsError(try FineTuning.setLearningRateScales(model, report: report, loadedScale: 1, freeze: ["layer"])) { error in
            XCTAssertTrue("\(error)".contains("--freeze 'layer' names no layer of this model (its layers: conv1, bn1, layer1, layer2, layer3, fc)"), "\(error)")
        }
        XCTAssertThrowsError(try FineTuning.setLearningRateScales(model, report: report, loadedScale: 1,
                                                                   freeze: ["conv1", "bn1", "layer1", "layer2", "layer3", "fc"]))
    }

    /// Photos of three classes at 3 × 16 × 16: trained from scratch, then fine-tuned from that run
    /// with the stem frozen; checkpoints carry classes, geometry and preprocessing.
    func testTrainsOnPhotoFoldersAndFineTunesWithFrozenLayers() throws {
        let root = try TestSupport.temporaryDirectory()
        let folder = try ShopPhotos.make(in: root.appendingPathComponent("shop"), perClass: 16)
        var config = TrainingConfig()
        config.model = "resnet20"
        config.images = folder.path
        config.channels = 3
        config.inputSize = 16
        config.epochs = 6
        config.batchSize = 6
        config.learningRate = 3e-3
        config.balance = .sampled
        let preprocessor = config.preprocessor
        XCTAssertEqual(preprocessor.method, .letterbox)
        let dataset = try FolderDataset.load(folder, preprocessor: preprocessor).dataset
        let split = try dataset.images.stratifiedSplit(.fraction(0.25), classes: 3, seed: config.seed)
        let train = dataset.images.subset(split.train), validation = dataset.images.subset(split.validation)
        XCTAssertEqual(validation.classCounts(classes: 3), [4, 4, 4])
        let scratchDirectory = root.appendingPathComponent("scratch")
        let scratch = try Trainer(config: config, directory: scratchDirectory, train: train, validation: validation,
                                  classNames: dataset.classNames, preprocessor: preprocessor)
        scratch.log = { _ in }
        try scratch.run()
        XCTAssertGreaterThan(scratch.history.best?.validationAccuracy ?? 0, 0.6, "three easy classes are learnt")

        let saved = try ModelCheckpoint.load(scratchDirectory.appendingPathComponent(RunFiles.best), defaultClassNames: [])
        XCTAssertEqual(saved.classNames, ShopPhotos.classes)
        XCTAssertEqual(saved.geometry, Models.Geometry(channels: 3, size: 16, classes: 3))
        let stored = try JSONDecoder().decode(Preprocessor.self, from: Data(try XCTUnwrap(saved.metadata[ModelCheckpoint.Key.preprocessing]).utf8))
        XCTAssertEqual(stored, preprocessor)

        var tuning = config
        tuning.from = scratchDirectory.appendingPathComponent(RunFiles.best).path
        tuning.freeze = ["conv1", "bn1"]
        tuning.fromLearningRateScale = 0.5
        tuning.balance = .weighted
        tuning.epochs = 1
        let tuner = try Trainer(config: tuning, directory: root.appendingPathComponent("tuned"), train: train, validation: validation,
                                classNames: dataset.classNames, preprocessor: preprocessor)
        tuner.log = { _ in }
        XCTAssertEqual(tuner.transfer?.fresh, [], "the same classes keep the head")
        let stem = tuner.model.parameters.filter { $0.name.hasPrefix("conv1.") || $0.name.hasPrefix("bn1.") }.map(\.parameter.value)
        let rest = tuner.model.parameters.filter { $0.name.hasPrefix("layer3.") }.map(\.parameter.value)
        try tuner.run()
        XCTAssertEqual(tuner.model.parameters.filter { $0.name.hasPrefix("conv1.") || $0.name.hasPrefix("bn1.") }.map(\.parameter.value), stem,
                       "frozen layers do not move")
        XCTAssertNotEqual(tuner.model.parameters.filter { $0.name.hasPrefix("layer3.") }.map(\.parameter.value), rest)
        // A resumed fine-tuning run keeps the frozen layers frozen.
        var longer = tuning
        longer.epochs = 2
        let resumed = try Trainer(config: longer, directory: root.appendingPathComponent("tuned"), train: train, validation: validation,
                                  classNames: dataset.classNames, preprocessor: preprocessor)
        resumed.log = { _ in }
        try resumed.resume()
        try resumed.run()
        XCTAssertEqual(resumed.model.parameters.filter { $0.name.hasPrefix("conv1.") || $0.name.hasPrefix("bn1.") }.map(\.parameter.value), stem)
        XCTAssertEqual(resumed.history.records.count, 2)

        // A model that cannot take colour is refused with one line.
        var flat = config
        flat.model = "seed-cnn"
        XCTAssertThrowsError(try Trainer(config: flat, directory: root.appendingPathComponent("flat"), train: train, validation: validation,
                                         classNames: dataset.classNames)) { error in
            XCTAssertTrue("\(error)".contains("seed-cnn flattens its features, so it takes only 1 × 28 × 28 inputs"), "\(error)")
        }
    }
}
