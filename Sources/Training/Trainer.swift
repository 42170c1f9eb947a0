import Checkpoint
import Data
import Foundation
import Inference
import Kernels
import Models
import NN
import Preprocessing
import Tensor

/// What a training run writes into its directory.
public enum RunFiles {
    /// Weights with the best validation accuracy so far (without validation: the last epoch's).
    public static let best = "model.safetensors"
    /// Weights, optimiser state and progress after the last finished epoch (for `--resume`).
    public static let last = "last.safetensors"
    /// One CSV row per finished epoch.
    public static let history = "history.csv"
    /// The run's `TrainingConfig`.
    public static let config = "config.json"
    /// Photos of an `--images` dataset that were skipped, one `file: reason` line each.
    public static let skipped = "skipped.txt"
}

/// An error that stops training with a message for the user.
public struct TrainingError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    /// An error with the given message.
    public init(description: String) { self.description = description }
}

/// Trains a model on the training split (optimiser, learning-rate schedule, augmentation and
/// loss from its `TrainingConfig`), validating after every epoch (unless it has no validation
/// images) and saving everything a resumed run needs, atomically, before the next epoch starts.
public final class Trainer {
    /// The run's settings.
    public let config: TrainingConfig
    /// The run directory.
    public let directory: URL
    /// The model being trained.
    public private(set) var model: Sequential
    /// Training and validation images (validation may be empty: then no validation, no early stopping).
    public let train, validation: ImageSet
    /// Class names in label order (saved in every checkpoint).
    public let classNames: [String]
    /// Input channels and size, and the number of classes.
    public let geometry: Models.Geometry
    /// How photos become this model's inputs, saved in checkpoints (nil for Fashion-MNIST runs).
    public let preprocessor: Preprocessor?
    /// What `--from` loaded, when fine-tuning.
    public private(set) var transfer: FineTuning.Report?
    /// Where per-epoch lines go.
    public var log: (String) -> Void = { print($0) }
    /// Draw a live progress bar (only sensible on a terminal).
    public var showProgress = false

    /// The records of the finished epochs, as written to history.csv.
    public private(set) var history = History()

    private var optimizer: any Optimizer
    private let schedule: LearningRateSchedule
    private var bestAccuracy = -1.0
    /// Per-class loss weights (`balance` weighted), else nil.
    private let classWeights: [Float]?

    /// A trainer for `config` writing into `directory`; `train` and `validation` are already split,
    /// their labels index `classNames`. With `config.from`, the model starts from those weights.
    public init(config: TrainingConfig, directory: URL, train: ImageSet, validation: ImageSet,
                classNames: [String] = FashionMNIST.classNames, preprocessor: Preprocessor? = nil) throws {
        try config.validate()
        guard train.count > 0 else { throw TrainingError(description: "no training images") }
        guard validation.count > 0 || config.earlyStoppingPatience == nil else {
            throw TrainingError(description: "early stopping needs validation images")
        }
        guard train.height == train.width, validation.count == 0
                || [validation.channels, validation.height, validation.width] == [train.channels, train.height, train.width] else {
            throw TrainingError(description: "training and validation images must be square and of one size")
        }
        self.config = config
        self.directory = directory
        self.train = train
        self.validation = validation
        self.classNames = classNames
        self.preprocessor = preprocessor
        geometry = Models.Geometry(channels: train.channels, size: train.height, classes: classNames.count)
        do { model = try Models.named(config.model).make(geometry, seed: config.seed) } catch {
            throw TrainingError(description: "\(error)")
        }
        // Batch norm cannot normalise a batch of one image (at a 1×1 map, as PyTorch also refuses).
        usesBatchStatistics = !model.buffers.isEmpty
        if usesBatchStatistics && (config.batchSize < 2 || train.count < 2) {
            throw TrainingError(description: "\(config.model) has batch norm, which needs batches of at least 2 images (--batch-size and the training images)")
        }
        optimizer = config.makeOptimizer()
        schedule = config.learningRateSchedule
        let counts = train.classCounts(classes: classNames.count)
        if config.balance == .weighted {
            guard !counts.contains(0) else { throw TrainingError(description: "--balance weighted needs training images of every class") }
            classWeights = counts.map { Float(train.count) / Float(classNames.count * $0) }
        } else {
            classWeights = nil
        }
        if let from = config.from {
            let source = try source(from)
            transfer = try FineTuning.transfer(from: source, into: model, keepHead: source.classNames == classNames)
        }
        try FineTuning.setLearningRateScales(model, report: transfer, loadedScale: config.fromLearningRateScale, freeze: config.freeze)
    }

    /// The checkpoint `--from` names.
    private func source(_ path: String) throws -> ModelCheckpoint {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError(description: "--from \(path): no such file (train those weights first, e.g. `fashion train --recipe photo` for runs/photo, or name others with --from)")
        }
        let loaded: ModelCheckpoint
        do {
            loaded = try ModelCheckpoint.load(URL(fileURLWithPath: path), defaultClassNames: FashionMNIST.classNames)
        } catch {
            throw TrainingError(description: "--from: \(error)")
        }
        guard loaded.int8Layers.isEmpty else {
            throw TrainingError(description: "--from \(path): int8 weights (fashion quantize) are for inference; train from the fp32 file they came from")
        }
        return loaded
    }

    /// True for models with batch norm: an epoch's last batch is left out when it would hold one image.
    private let usesBatchStatistics: Bool

    /// The images of an epoch that are trained on (all but a lone last one for batch norm).
    private var imagesPerEpoch: Int {
        usesBatchStatistics && train.count % config.batchSize == 1 ? train.count - 1 : train.count
    }

    /// Optimiser steps in one epoch.
    public var stepsPerEpoch: Int { (imagesPerEpoch + config.batchSize - 1) / config.batchSize }

    /// Loads `last.safetensors` from the run directory: weights, optimiser state, history and best accuracy.
    public func resume() throws {
        let url = directory.appendingPathComponent(RunFiles.last)
        let saved = try ModelCheckpoint.load(url, defaultClassNames: FashionMNIST.classNames)
        guard saved.architecture.name == config.model else {
            throw TrainingError(description: "\(url.path) holds a \(saved.architecture.name), not a \(config.model)")
        }
        guard let step = saved.metadata[ModelCheckpoint.Key.optimizerStep].flatMap(Int.init),
              let best = saved.metadata[ModelCheckpoint.Key.bestValidationAccuracy].flatMap(Double.init),
              let historyJSON = saved.metadata[ModelCheckpoint.Key.history],
              let records = try? JSONDecoder().decode([EpochRecord].self, from: Data(historyJSON.utf8)) else {
            throw TrainingError(description: "\(url.path) lacks the training state needed to resume")
        }
        guard saved.metadata[ModelCheckpoint.Key.optimizer] == optimizer.name else {
            throw TrainingError(description: "\(url.path) was trained with \(saved.metadata[ModelCheckpoint.Key.optimizer] ?? "another optimizer"), not \(optimizer.name)")
        }
        try ModelCheckpoint.validate(optimizerState: saved.optimizerState, for: saved.model)
        try optimizer.restore(state: saved.optimizerState, step: step)
        guard saved.geometry == geometry, saved.classNames == classNames else {
            throw TrainingError(description: "\(url.path) holds a model for \(saved.geometry) (\(saved.classNames.joined(separator: ", "))), not for these images")
        }
        model = saved.model  // dropout is reseeded every epoch, so the loaded model continues exactly
        // The same architecture and geometry: init's transfer report names the loaded layers of this
        // model too, and decides their learning rates again.
        try FineTuning.setLearningRateScales(model, report: transfer, loadedScale: config.fromLearningRateScale, freeze: config.freeze)
        history = History(records: records)
        bestAccuracy = best
    }

    /// Trains from the epoch after the last finished one up to `config.epochs`, or only up to
    /// `lastEpoch` (what a run stopped early has on disk, as after Ctrl-C).
    public func run(throughEpoch lastEpoch: Int? = nil) throws {
        let firstEpoch = (history.records.last?.epoch ?? 0) + 1
        if firstEpoch > config.epochs {
            log("already trained \(config.epochs) epochs; nothing to do")
            return
        }
        try AtomicFile.write(try encodeConfig(), to: directory.appendingPathComponent(RunFiles.config))
        // Early stopping replays the finished epochs, so a resumed run stops where it would have.
        var stopping = config.earlyStoppingPatience.map { EarlyStopping(patience: $0) }
        for record in history.records where stopping?.observe(record) == true {
            log("the run had already stopped early after epoch \(record.epoch); nothing to do")
            return
        }
        for epoch in firstEpoch...min(config.epochs, lastEpoch ?? config.epochs) {
            let record = trainEpoch(epoch)
            history.records.append(record)
            try save(record)
            var line = String(format: "epoch %3d/%d  loss %.4f  acc %6.2f%%", epoch, config.epochs,
                              record.trainLoss, record.trainAccuracy * 100)
            if let loss = record.validationLoss, let accuracy = record.validationAccuracy {
                line += String(format: "  val_loss %.4f  val_acc %6.2f%%", loss, accuracy * 100)
            }
            log(line + String(format: "  %6.1fs  lr %.2e", record.seconds, optimizer.learningRate))
            if stopping?.observe(record) == true {
                log("early stopping: no better validation accuracy for \(config.earlyStoppingPatience!) epochs")
                break
            }
        }
    }

    /// One pass over the shuffled training images, then validation (if there are validation images).
    func trainEpoch(_ epoch: Int) -> EpochRecord {
        // Shuffle and dropout depend only on (seed, epoch), so a resumed run repeats them exactly.
        let epochSeed = config.seed &* 1_000_003 &+ UInt64(epoch)
        var generator = SeededGenerator(seed: epochSeed)
        var order = Array(0..<train.count)
        order.shuffle(using: &generator)
        if config.balance == .sampled { order = balancedDraw(using: &generator) }
        var augmentationGenerator = SeededGenerator(seed: epochSeed ^ 0xA0A0_5EED)
        model.reseed(epochSeed)
        let totalSteps = stepsPerEpoch * config.epochs

        var bar = ProgressBar(total: imagesPerEpoch, label: String(format: "epoch %3d/%d", epoch, config.epochs))
        let start = Date()
        var totalLoss: Double = 0, correct = 0, seen = 0
        for batchStart in stride(from: 0, to: imagesPerEpoch, by: config.batchSize) {
            let indices = order[batchStart ..< min(imagesPerEpoch, batchStart + config.batchSize)]
            var (images, labels) = train.batch(indices)
            config.augmentation.apply(to: &images, using: &augmentationGenerator)  // no-op without augmentation
            let logits = model.forward(images, phase: .training)
            let outcome = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: config.labelSmoothing,
                                              classWeights: classWeights)
            model.zeroGradients()
            _ = model.backward(outcome.gradient, needsInputGradient: false)
            if let clipNorm = config.clipNorm { _ = clipGradientNorm(model.parameters, maxNorm: clipNorm) }
            optimizer.learningRate = schedule.rate(step: optimizer.step, totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch)
            optimizer.update(model.parameters)
            totalLoss += Double(outcome.loss) * Double(labels.count)
            correct += outcome.correct
            seen += labels.count
            if showProgress {
                bar.update(seen, extra: String(format: " loss %.4f acc %.2f%%", totalLoss / Double(seen),
                                               100 * Double(correct) / Double(seen)))
            }
        }
        let seconds = Date().timeIntervalSince(start)
        if showProgress { bar.clear() }
        let checked = validation.count > 0 ? predict(model, on: validation) : nil
        Allocator.returnFreeMemory()  // freed activations of many sizes would otherwise pile up between epochs
        return EpochRecord(epoch: epoch, trainLoss: totalLoss / Double(seen), trainAccuracy: Double(correct) / Double(seen),
                           validationLoss: checked.map { Double($0.loss) }, validationAccuracy: checked.map { Double($0.accuracy) },
                           seconds: seconds)
    }

    /// `train.count` image indices drawn with replacement, each class equally likely and each image
    /// of a class equally likely within it.
    private func balancedDraw(using generator: inout SeededGenerator) -> [Int] {
        var members = [[Int]](repeating: [], count: classNames.count)
        for (i, label) in train.labels.enumerated() { members[label].append(i) }
        let present = members.filter { !$0.isEmpty }
        return (0 ..< train.count).map { _ in
            let group = present[Int(generator.next() % UInt64(present.count))]
            return group[Int(generator.next() % UInt64(group.count))]
        }
    }

    /// Writes the best weights (if improved; every epoch without validation), then the resume
    /// checkpoint, then the history.
    func save(_ record: EpochRecord) throws {
        typealias Key = ModelCheckpoint.Key
        var metadata = [Key.seed: String(config.seed), Key.epoch: String(record.epoch),
                        Key.validationImages: String(config.images == nil ? config.validationCount : validation.count)]
        if let preprocessor {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            metadata[Key.preprocessing] = String(decoding: try encoder.encode(preprocessor), as: UTF8.self)
        }
        let improved = record.validationAccuracy.map { $0 > bestAccuracy } ?? true
        if improved {
            if let accuracy = record.validationAccuracy {
                bestAccuracy = accuracy
                metadata[Key.validationAccuracy] = String(accuracy)
            }
            try ModelCheckpoint.save(model, architecture: config.model, classNames: classNames,
                                     channels: geometry.channels, size: geometry.size,
                                     metadata: metadata, to: directory.appendingPathComponent(RunFiles.best))
        }
        metadata[Key.optimizer] = optimizer.name
        metadata[Key.optimizerStep] = String(optimizer.step)
        metadata[Key.bestValidationAccuracy] = String(bestAccuracy)
        metadata[Key.history] = String(decoding: try JSONEncoder().encode(history.records), as: UTF8.self)
        try ModelCheckpoint.save(model, architecture: config.model, classNames: classNames,
                                 channels: geometry.channels, size: geometry.size,
                                 metadata: metadata, optimizerState: optimizer.state,
                                 to: directory.appendingPathComponent(RunFiles.last))
        try AtomicFile.write(history.csv, to: directory.appendingPathComponent(RunFiles.history))
    }

    private func encodeConfig() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(config)
    }
}
