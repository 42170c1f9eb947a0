import Checkpoint
import Data
import Foundation
import Models
import NN
import Tensor
import TestSupport
@testable import Training
import XCTest

/// Training end to end on real Fashion-MNIST images (skipped when the dataset is not installed).
final class TrainerTests: XCTestCase {
    static var cached: (train: ImageSet, validation: ImageSet)?

    /// The generated stand-in's 600 training images, 500 / 100.
    func data() throws -> (train: ImageSet, validation: ImageSet) {
        if let cached = Self.cached { return cached }
        let split = try FashionMNIST.split(try FashionMNIST.load(.train, from: TinyFashionMNIST.directory()), validationCount: 100, seed: 1)
        Self.cached = split
        return split
    }

    func trainer(_ config: TrainingConfig, _ directory: URL, train: Int, validation: Int) throws -> Trainer {
        let (t, v) = try data()
        let trainer = try Trainer(config: config, directory: directory, train: t.prefix(train), validation: v.prefix(validation))
        trainer.log = { _ in }
        return trainer
    }

    /// The one training test on the real Fashion-MNIST images.
    func testSeedCNNLearnsInOneEpochOn5000Images() throws {
        var config = TrainingConfig()
        config.epochs = 1
        let (train, validation) = try FashionMNIST.split(try FashionMNIST.load(.train, from: TestSupport.realDatasetDirectory()), seed: 1)
        let run = try Trainer(config: config, directory: try TestSupport.temporaryDirectory(), train: train.prefix(5_000), validation: validation.prefix(1_000))
        run.log = { _ in }
        try run.run()
        let accuracy = try XCTUnwrap(run.history.records.last?.validationAccuracy)
        print("seed-cnn, 5,000 images, 1 epoch: validation accuracy \(accuracy) on 1,000 images")
        XCTAssertGreaterThanOrEqual(accuracy, 0.75)
    }

    func testResumeContinuesExactlyWhereTheRunStopped() throws {
        var config = TrainingConfig()
        config.epochs = 2
        try checkResume(config, train: 384, steps: 12)
    }

    /// The same with everything a recipe adds: batch norm (running statistics), SGD with
    /// Nesterov momentum and weight decay, a warm-up + cosine schedule, augmentation, label
    /// smoothing and clipping.
    func testResumeIsExactWithARecipesSettings() throws {
        var config = TrainingConfig()
        config.model = "resnet20"
        config.epochs = 2
        config.batchSize = 32
        config.optimizer = "sgd"
        config.learningRate = 0.05
        config.weightDecay = 5e-4
        config.schedule = .cosine
        config.warmupEpochs = 0.5
        config.labelSmoothing = 0.1
        config.clipNorm = 5
        config.augmentation = Augmentation(horizontalFlip: true, cropPadding: 2, maxRotationDegrees: 10, erasingProbability: 0.5)
        try checkResume(config, train: 192, steps: 12)
    }

    /// A run on all images (no validation) resumes exactly too.
    func testResumeIsExactWithoutValidation() throws {
        var config = TrainingConfig()
        config.epochs = 2
        config.validationCount = 0
        try checkResume(config, train: 256, steps: 8)
    }

    /// Without validation images every epoch is logged without val figures, recorded with none,
    /// and its weights become model.safetensors; early stopping is refused.
    func testTrainingWithoutValidation() throws {
        var config = TrainingConfig()
        config.epochs = 2
        config.validationCount = 0
        let run = try trainer(config, try TestSupport.temporaryDirectory(), train: 128, validation: 0)
        var lines: [String] = []
        run.log = { lines.append($0) }
        try run.run()
        XCTAssertEqual(run.history.records.map(\.epoch), [1, 2])
        XCTAssertEqual(run.history.records.compactMap(\.validationAccuracy), [])
        XCTAssertEqual(lines.count, 2)
        XCTAssertFalse(lines.joined().contains("val_"), lines.joined(separator: "\n"))
        let kept = try ModelCheckpoint.load(run.directory.appendingPathComponent(RunFiles.best), defaultClassNames: [])
        XCTAssertEqual(kept.metadata["epoch"], "2")
        XCTAssertNil(kept.metadata["val_accuracy"])
        for ((name, a), (_, b)) in zip(kept.model.parameters + kept.model.buffers, run.model.parameters + run.model.buffers) {
            XCTAssertEqual(a.value.scalars, b.value.scalars, name)
        }
        let csv = try String(contentsOf: run.directory.appendingPathComponent(RunFiles.history), encoding: .utf8)
        XCTAssertTrue(csv.split(separator: "\n")[1].contains(",,,"), csv)
        XCTAssertEqual(try History(csv: csv).best?.epoch, 2)
        let header = History.header
        XCTAssertThrowsError(try History(csv: header + "\n1,0.5,0.5,,,1\n3,0.5,0.5,,,1\n")) {
            XCTAssertTrue("\($0)".contains("line 3 is epoch 3, expected 2"), "\($0)")
        }
        XCTAssertEqual(try History(csv: header + "\n1,nan,0.1,,,1\n").records.count, 1, "a diverged epoch is kept")

        config.earlyStoppingPatience = 2
        config.validationCount = 10_000  // valid settings, but handed no validation images
        XCTAssertThrowsError(try trainer(config, try TestSupport.temporaryDirectory(), train: 128, validation: 0)) { error in
            XCTAssertEqual("\(error)", "early stopping needs validation images")
        }
    }

    /// Trains `config` straight through, and again stopped after epoch 1 and resumed in a new
    /// trainer (as a new process would); the weights, buffers and metrics must agree.
    func checkResume(_ config: TrainingConfig, train: Int, steps: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let validation = config.validationCount == 0 ? 0 : 200
        let straightDirectory = try TestSupport.temporaryDirectory("straight")
        let straight = try trainer(config, straightDirectory, train: train, validation: validation)
        try straight.run()

        // Same run, stopped after epoch 1, then resumed in a new trainer (as a new process would).
        let resumedDirectory = try TestSupport.temporaryDirectory("resumed")
        let total = config.epochs
        try trainer(config, resumedDirectory, train: train, validation: validation).run(throughEpoch: 1)
        XCTAssertEqual(try History(csv: String(contentsOf: resumedDirectory.appendingPathComponent(RunFiles.history), encoding: .utf8)).records.count, 1)
        let resumed = try trainer(config, resumedDirectory, train: train, validation: validation)
        try resumed.resume()
        try resumed.run()

        let history = try History(csv: String(contentsOf: resumedDirectory.appendingPathComponent(RunFiles.history), encoding: .utf8))
        XCTAssertEqual(history.records.map(\.epoch), Array(1...total), file: file, line: line)
        // The optimiser's step count and state came back: the weights equal the uninterrupted run's.
        let last = try ModelCheckpoint.load(resumedDirectory.appendingPathComponent(RunFiles.last), defaultClassNames: [])
        XCTAssertEqual(last.metadata["optimizer_step"], String(steps), file: file, line: line)
        XCTAssertFalse(last.optimizerState.isEmpty, file: file, line: line)
        let pairs = zip(resumed.model.parameters + resumed.model.buffers, straight.model.parameters + straight.model.buffers)
        for ((name, a), (_, b)) in pairs {
            XCTAssertLessThanOrEqual(TestSupport.maxDifference(a.value, b.value), 1e-6, name, file: file, line: line)
        }
        XCTAssertEqual(history.records.last!.validationAccuracy ?? -1, straight.history.records.last!.validationAccuracy ?? -1, accuracy: 1e-6, file: file, line: line)  // CSV keeps 6 decimals
        XCTAssertEqual(history.records.last!.trainLoss, straight.history.records.last!.trainLoss, accuracy: 1e-6, file: file, line: line)
    }

    /// A learning rate too small to change anything: validation accuracy never improves, so a
    /// patience of 1 ends the run after epoch 2 of 5.
    func testEarlyStoppingEndsARunThatStopsImproving() throws {
        var config = TrainingConfig()
        config.epochs = 5
        config.learningRate = 1e-12
        config.earlyStoppingPatience = 1
        let run = try trainer(config, try TestSupport.temporaryDirectory(), train: 64, validation: 100)
        var lines: [String] = []
        run.log = { lines.append($0) }
        try run.run()
        XCTAssertEqual(run.history.records.map(\.epoch), [1, 2])
        XCTAssertTrue(lines.last?.hasPrefix("early stopping") == true, lines.joined(separator: "\n"))
        // Resuming a run that stopped early does not train on.
        let again = try trainer(config, run.directory, train: 64, validation: 100)
        again.log = { lines.append($0) }
        try again.resume()
        try again.run()
        XCTAssertEqual(again.history.records.map(\.epoch), [1, 2])
        XCTAssertEqual(lines.last, "the run had already stopped early after epoch 2; nothing to do")
    }

    func testHistoryCSVRoundTripAndRejectsGarbage() throws {
        let history = History(records: [EpochRecord(epoch: 1, trainLoss: 0.5, trainAccuracy: 0.8, validationLoss: 0.4,
                                                    validationAccuracy: 0.85, seconds: 12.5)])
        XCTAssertTrue(history.csv.hasPrefix("epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n1,"))
        XCTAssertEqual(try History(csv: history.csv), history)
        // A run without validation leaves both val fields empty; the best epoch is then the last.
        let unvalidated = History(records: [1, 2].map { EpochRecord(epoch: $0, trainLoss: 0.5, trainAccuracy: 0.8, validationLoss: nil,
                                                                    validationAccuracy: nil, seconds: 3) })
        XCTAssertTrue(unvalidated.csv.hasSuffix("\n2,0.500000,0.800000,,,3.000\n"), unvalidated.csv)
        XCTAssertEqual(try History(csv: unvalidated.csv), unvalidated)
        XCTAssertEqual(unvalidated.best?.epoch, 2)
        XCTAssertEqual(history.best?.epoch, 1)
        XCTAssertThrowsError(try History(csv: History.header + "\n1,2,3,,5,6\n"), "one val field empty")
        XCTAssertThrowsError(try History(csv: "epoch,loss\n1,2\n"))
        XCTAssertThrowsError(try History(csv: History.header + "\n1,2,x,4,5,6\n"))
    }
}
