import Data
import Foundation
import NN
import Preprocessing

/// The settings of a training run, saved as `config.json` in the run directory.
///
/// Keys added after the first release are optional when decoding, so older run directories
/// still load (and resume) with the defaults, which reproduce the notebook's training.
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// Architecture name (see `Models.all`).
    public var model = "seed-cnn"
    /// The recipe the settings came from, if any (informational).
    public var recipe: String?
    /// Total number of epochs.
    public var epochs = 50
    /// Images per gradient step.
    public var batchSize = 64
    /// Seed of the split, initial weights, shuffling, augmentation and dropout.
    public var seed: UInt64 = 1
    /// `adam`, `adamw` or `sgd`.
    public var optimizer = "adam"
    /// The peak learning rate (the schedule's `peak`).
    public var learningRate: Float = 1e-3
    /// How the learning rate moves over the run.
    public var schedule = ScheduleKind.constant
    /// Linear warm-up at the start, in epochs (constant, step and cosine schedules).
    public var warmupEpochs = 0.0
    /// Weight decay: decoupled for AdamW, L2 added to the gradient for SGD; unused by Adam.
    public var weightDecay: Float = 0
    /// SGD momentum (Nesterov) when `optimizer` is `sgd`.
    public var momentum: Float = 0.9
    /// Label smoothing ε of the cross-entropy (0: none).
    public var labelSmoothing: Float = 0
    /// Clip the global gradient norm to this (nil: no clipping).
    public var clipNorm: Float?
    /// Stop after this many epochs without a better validation accuracy (nil: never).
    public var earlyStoppingPatience: Int?
    /// Random changes to training images.
    public var augmentation = Augmentation.none
    /// Use only the first `trainLimit` training images (nil: all 50,000).
    public var trainLimit: Int?
    /// Use only the first `validationLimit` validation images (nil: all 10,000).
    public var validationLimit: Int?
    /// Images held out from the 60,000 for validation (0: train on all 60,000, keep the last epoch's weights).
    public var validationCount = 10_000

    // A shop's own photos (`--images`) instead of Fashion-MNIST, and fine-tuning.

    /// A folder of labelled photos, one sub-folder per class, to train on (nil: Fashion-MNIST).
    public var images: String?
    /// Input side in pixels (Fashion-MNIST: 28).
    public var inputSize = 28
    /// Input channels: 1 (gray) or 3 (colour).
    public var channels = 1
    /// How photos become inputs (nil: `photo` for 1 channel, `letterbox` for 3).
    public var preprocessing: PreprocessingMethod?
    /// Photos held out for validation, stratified by class: a fraction below 1, or a count (0: none).
    public var imageValidation = 0.2
    /// How unequal class sizes are handled.
    public var balance = Balance.none
    /// A checkpoint to start from (fine-tuning); nil: fresh weights.
    public var from: String?
    /// Parameter-name prefixes kept fixed while fine-tuning (`layer1`, `features`).
    public var freeze: [String] = []
    /// Multiplies the learning rate of the layers loaded from `from` (1: as the new ones).
    public var fromLearningRateScale: Float = 1

    /// Ways to handle classes of unequal size.
    public enum Balance: String, Codable, CaseIterable, Sendable {
        /// Every image counts once.
        case none
        /// Cross-entropy weighted by N / (K · n_class), so every class weighs the same in the loss.
        case weighted
        /// Each epoch draws its images with replacement, every class equally likely.
        case sampled
    }

    /// The configuration saved in the run directory `directory`: nil when it holds no config.json,
    /// an error when that file is not a valid training configuration.
    public static func saved(in directory: URL) throws -> TrainingConfig? {
        let url = directory.appendingPathComponent(RunFiles.config)
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try parse(data, file: url.path)
    }

    /// A config.json's bytes as a configuration whose settings are all usable (`file` names them in errors).
    public static func parse(_ data: Data, file: String) throws -> TrainingConfig {
        guard let config = try? JSONDecoder().decode(TrainingConfig.self, from: data) else {
            throw TrainingError(description: "\(file): not a training configuration")
        }
        do { try config.validate() } catch { throw TrainingError(description: "\(file): \(error)") }
        return config
    }

    /// The photo preprocessing these settings describe.
    public var preprocessor: Preprocessor {
        Preprocessor(method: preprocessing ?? (channels == 3 ? .letterbox : .photo), size: inputSize, channels: channels)
    }

    /// The shapes of learning-rate schedule the command line offers.
    public enum ScheduleKind: String, Codable, CaseIterable, Sendable {
        case constant, step, cosine, oneCycle = "one-cycle"
    }

    /// The default configuration (the notebook's).
    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TrainingConfig()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        model = try c.decode(String.self, forKey: .model)
        recipe = try c.decodeIfPresent(String.self, forKey: .recipe)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        seed = try c.decode(UInt64.self, forKey: .seed)
        optimizer = try value(.optimizer, defaults.optimizer)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        schedule = try value(.schedule, defaults.schedule)
        warmupEpochs = try value(.warmupEpochs, defaults.warmupEpochs)
        weightDecay = try value(.weightDecay, defaults.weightDecay)
        momentum = try value(.momentum, defaults.momentum)
        labelSmoothing = try value(.labelSmoothing, defaults.labelSmoothing)
        clipNorm = try c.decodeIfPresent(Float.self, forKey: .clipNorm)
        earlyStoppingPatience = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience)
        augmentation = try value(.augmentation, defaults.augmentation)
        trainLimit = try c.decodeIfPresent(Int.self, forKey: .trainLimit)
        validationLimit = try c.decodeIfPresent(Int.self, forKey: .validationLimit)
        validationCount = try value(.validationCount, defaults.validationCount)
        images = try c.decodeIfPresent(String.self, forKey: .images)
        inputSize = try value(.inputSize, defaults.inputSize)
        channels = try value(.channels, defaults.channels)
        preprocessing = try c.decodeIfPresent(PreprocessingMethod.self, forKey: .preprocessing)
        imageValidation = try value(.imageValidation, defaults.imageValidation)
        balance = try value(.balance, defaults.balance)
        from = try c.decodeIfPresent(String.self, forKey: .from)
        freeze = try value(.freeze, defaults.freeze)
        fromLearningRateScale = try value(.fromLearningRateScale, defaults.fromLearningRateScale)
    }

    /// Checks the settings, with a one-line message naming the bad one.
    public func validate() throws {
        func fail(_ message: String) -> TrainingError { TrainingError(description: message) }
        guard (1...100_000).contains(epochs) else { throw fail("--epochs must be between 1 and 100000") }
        guard (1...8192).contains(batchSize) else { throw fail("--batch-size must be between 1 and 8192") }
        guard learningRate > 0, learningRate.isFinite else { throw fail("--lr must be positive") }
        guard ["adam", "adamw", "sgd"].contains(optimizer) else {
            throw fail("unknown optimizer '\(optimizer)' (known: adam, adamw, sgd)")
        }
        guard weightDecay >= 0 else { throw fail("--weight-decay must be 0 or more") }
        guard (0..<1).contains(momentum) else { throw fail("--momentum must be in [0, 1)") }
        guard (0..<1).contains(labelSmoothing) else { throw fail("--label-smoothing must be in [0, 1)") }
        guard warmupEpochs >= 0, warmupEpochs < Double(epochs) else { throw fail("--warmup-epochs must be in [0, epochs)") }
        if let clipNorm, !(clipNorm > 0) { throw fail("--clip-norm must be positive") }
        if let earlyStoppingPatience, earlyStoppingPatience < 1 { throw fail("--patience must be at least 1") }
        if images == nil {
            guard (0..<60_000).contains(validationCount) else { throw fail("--validation must be from 0 to 59999 images") }
            guard validationCount > 0 || earlyStoppingPatience == nil else { throw fail("--patience needs validation images (--validation above 0)") }
            guard inputSize == 28, channels == 1 else {
                throw fail("--input-size and --channels are for --images datasets; Fashion-MNIST's images are 1 × 28 × 28")
            }
        } else {
            guard imageValidation >= 0, imageValidation.isFinite else { throw fail("--validation must be a fraction below 1 or a count of photos") }
            guard imageValidation > 0 || earlyStoppingPatience == nil else { throw fail("--patience needs validation photos (--validation above 0)") }
        }
        guard [1, 3].contains(channels) else { throw fail("--channels must be 1 or 3, got \(channels)") }
        guard (8...256).contains(inputSize) else { throw fail("--input-size must be from 8 to 256 pixels, got \(inputSize)") }
        guard fromLearningRateScale > 0, fromLearningRateScale <= 10 else { throw fail("--from-lr-scale must be above 0 and at most 10") }
        guard from != nil || (freeze.isEmpty && fromLearningRateScale == 1) else {
            throw fail("--freeze and --from-lr-scale apply to layers loaded with --from")
        }
        do { try augmentation.validate() } catch { throw fail("\(error)") }
    }

    /// The optimiser these settings describe, at its peak learning rate.
    public func makeOptimizer() -> any Optimizer {
        switch optimizer {
        case "adamw": return AdamW(learningRate: learningRate, weightDecay: weightDecay)
        case "sgd": return SGD(learningRate: learningRate, momentum: momentum, nesterov: momentum > 0, weightDecay: weightDecay)
        default: return Adam(learningRate: learningRate)
        }
    }

    /// The learning-rate schedule these settings describe.
    public var learningRateSchedule: LearningRateSchedule {
        let shape: LearningRateSchedule.Shape
        switch schedule {
        case .constant: shape = .constant
        case .step: shape = .step(everyEpochs: max(1, epochs / 3), gamma: 0.1)
        case .cosine: shape = .cosine(minimum: 0)
        case .oneCycle: shape = .oneCycle(warmupFraction: 0.25, divFactor: 25, finalDivFactor: 1e4)
        }
        return LearningRateSchedule(shape: shape, peak: learningRate, warmupEpochs: warmupEpochs)
    }

    /// A one-line description for logs.
    public var summary: String {
        var parts = ["\(optimizer) lr \(learningRate) \(schedule.rawValue)"]
        if warmupEpochs > 0 { parts.append("warm-up \(warmupEpochs) epochs") }
        if weightDecay > 0 { parts.append("weight decay \(weightDecay)") }
        if labelSmoothing > 0 { parts.append("label smoothing \(labelSmoothing)") }
        if let clipNorm { parts.append("clip \(clipNorm)") }
        if let earlyStoppingPatience { parts.append("patience \(earlyStoppingPatience)") }
        parts.append("augmentation: \(augmentation.summary)")
        if images == nil && validationCount == 0 { parts.append("no validation: training on all 60,000 images") }
        if images != nil {
            parts.append("input \(channels)×\(inputSize)×\(inputSize) (\(preprocessor.method.rawValue))")
            if balance != .none { parts.append("balance: \(balance.rawValue)") }
        }
        if let from {
            var text = "from \(from)"
            if fromLearningRateScale != 1 { text += " (lr × \(fromLearningRateScale))" }
            if !freeze.isEmpty { text += ", frozen: \(freeze.joined(separator: ", "))" }
            parts.append(text)
        }
        return parts.joined(separator: ", ")
    }
}
