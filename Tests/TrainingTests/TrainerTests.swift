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

    func data() throws -> (train: ImageSet, validation: ImageSet) {
        if let cached = Self.cached { return cached }
        guard let directory = TestSupport.datasetDirectory() else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        }
        let split = FashionMNIST.split(try FashionMNIST.load(.train, from: directory), seed: 1)
        Self.cached = split
        return split
    }

    func trainer(_ config: TrainingConfig, _ directory: URL, train: Int, validation: Int) throws -> Trainer {
        let (t, v) = try data()
        let trainer = try Trainer(config: config, directory: directory, train: t.prefix(train), validation: v.prefix(validation))
        trainer.log = { _ in }
        return trainer
    }

    func testSeedCNNLearnsInOneEpochOn5000Images() throws {
        var config = TrainingConfig()
        config.epochs = 1
        let run = try trainer(config, try TestSupport.temporaryDirectory(), train: 5_000, validation: 1_000)
        try run.run()
        let accuracy = try XCTUnwrap(run.history.records.last?.validationAccuracy)
        print("seed-cnn, 5,000 images, 1 epoch: validation accuracy \(accuracy) on 1,000 images")
        XCTAssertGreaterThanOrEqual(accuracy, 0.75)
    }

    func testResumeContinuesExactlyWhereTheRunStopped() throws {
        var config = TrainingConfig()
        config.epochs = 2
        try checkResume(config, train: 640, steps: 20)
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

    func testEvaluationReportCountsPerClass() {
        let predictions = Predictions(labels: [0, 0, 1, 1, 2], predicted: [0, 1, 1, 1, 0], confidence: [1, 1, 1, 1, 1], loss: 0.5)
        let report = EvaluationReport(predictions, classNames: ["a", "b", "c"])
        XCTAssertEqual(report.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 0]])
        XCTAssertEqual(report.accuracy, 0.6, accuracy: 1e-6)
        XCTAssertEqual(report.classes[0].precision, 0.5, accuracy: 1e-9)
        XCTAssertEqual(report.classes[1].precision, 2.0 / 3.0, accuracy: 1e-9)
        XCTAssertEqual(report.classes[1].recall, 1, accuracy: 1e-9)
        XCTAssertEqual(report.classes[1].f1, 0.8, accuracy: 1e-9)
        XCTAssertEqual(report.classes[2].f1, 0)
    }

    /// The views of each TTA mode: the plain image first, no view twice.
    func testTestTimeAugmentationViews() {
        typealias View = TestTimeAugmentation.View
        XCTAssertEqual(TestTimeAugmentation.none.views, [View(shiftX: 0, shiftY: 0, flip: false)])
        XCTAssertEqual(TestTimeAugmentation.flip.views, [View(shiftX: 0, shiftY: 0, flip: false), View(shiftX: 0, shiftY: 0, flip: true)])
        let ten = TestTimeAugmentation.flipShift.views
        XCTAssertEqual(ten.count, 10)
        XCTAssertEqual(ten.first, View(shiftX: 0, shiftY: 0, flip: false))
        for flip in [false, true] {
            let moves = ten.filter { $0.flip == flip }.map { [$0.shiftX, $0.shiftY] }
            XCTAssertEqual(Set(moves), [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]])
        }
        let images = Tensor(shape: [1, 1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(TestTimeAugmentation.apply(View(shiftX: 1, shiftY: 0, flip: true), to: images).scalars, [0, 3, 2, 0, 6, 5])
        XCTAssertEqual(TestTimeAugmentation.apply(View(shiftX: 0, shiftY: 1, flip: false), to: images).scalars, [4, 5, 6, 0, 0, 0])
    }

    /// One 28×28 image of seeded noise per label.
    func noiseSet(labels: [Int], seed: UInt64) -> ImageSet {
        var g = SeededGenerator(seed: seed)
        let pixels = (0 ..< labels.count * 784).map { _ in UInt8.random(in: 0...255, using: &g) }
        return ImageSet(pixels: pixels, labels: labels, height: 28, width: 28)
    }

    /// `predictions` give, for each image, the class of largest mean probability (`mean[row]`),
    /// that probability as confidence, and the mean cross-entropy of `mean` as loss.
    func assert(_ predictions: Predictions, match mean: [[Float]], labels: [Int],
                file: StaticString = #filePath, line: UInt = #line) {
        var loss = 0.0
        for (row, p) in mean.enumerated() {
            let best = p.indices.max { p[$0] < p[$1] }!
            XCTAssertEqual(predictions.predicted[row], best, file: file, line: line)
            XCTAssertEqual(predictions.confidence[row], p[best], accuracy: 1e-6, file: file, line: line)
            loss -= log(Double(p[labels[row]]))
        }
        XCTAssertEqual(Double(predictions.loss), loss / Double(mean.count), accuracy: 1e-5, file: file, line: line)
    }

    /// Reference view: output (x, y) reads (x′ + shiftX, y + shiftY), x′ mirrored when `flip`; zero outside.
    func referenceView(_ images: Tensor, shiftX: Int, shiftY: Int, flip: Bool) -> Tensor {
        let (n, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        var out: [Float] = []
        for i in 0..<n {
            for c in 0..<channels {
                for y in 0..<height {
                    for x in 0..<width {
                        let u = (flip ? width - 1 - x : x) + shiftX, v = y + shiftY
                        out.append((0..<width).contains(u) && (0..<height).contains(v) ? images[i, c, v, u] : 0)
                    }
                }
            }
        }
        return Tensor(shape: images.shape, scalars: out)
    }

    /// Ten-view TTA: each image's probabilities are the mean over its mirror and 1-pixel shifts.
    func testShiftAveragingAveragesTheTenViews() throws {
        let model = Models.seedCNN(seed: 4)
        let set = noiseSet(labels: [1, 4, 9], seed: 6)
        let (images, labels) = set.batch(0..<3)
        var sum = [Float](repeating: 0, count: 30)
        for flip in [false, true] {
            for (dx, dy) in [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)] {
                let view = referenceView(images, shiftX: dx, shiftY: dy, flip: flip)
                for (i, p) in softmax(model(view)).scalars.enumerated() { sum[i] += p }
            }
        }
        let tta = predict(model, on: set, batchSize: 2, tta: .flipShift)
        assert(tta, match: (0..<3).map { row in (0..<10).map { sum[row * 10 + $0] / 10 } }, labels: labels)
        XCTAssertNotEqual(predict(model, on: set, tta: .flip).confidence, tta.confidence, "the shifted views must change something")
    }

    /// Flip TTA: each image's probabilities are the mean of the image's and its mirror's.
    func testFlipAveragingAveragesTheTwoViews() throws {
        let model = Models.seedCNN(seed: 4)
        let set = noiseSet(labels: [0, 3, 7], seed: 5)
        let (images, labels) = set.batch(0..<3)
        let plain = softmax(model(images)), mirrored = softmax(model(horizontallyFlipped(images)))
        let tta = predict(model, on: set, tta: .flip)
        assert(tta, match: (0..<3).map { row in
            (0..<10).map { 0.5 * (plain.scalars[row * 10 + $0] + mirrored.scalars[row * 10 + $0]) }
        }, labels: labels)
        XCTAssertNotEqual(predict(model, on: set).confidence, tta.confidence, "the mirror view must change something")
    }
}
