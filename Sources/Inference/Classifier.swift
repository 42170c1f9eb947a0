import Checkpoint
import Data
import Decoding
import Foundation
import Imaging
import Models
import NN
import Preprocessing
import Tensor

/// One class and the probability a model gives it.
public struct RankedClass: Codable, Equatable, Sendable {
    /// The class name.
    public var label: String
    /// The class index (label order of the checkpoint).
    public var index: Int
    /// Its calibrated probability.
    public var probability: Float
}

/// What a classifier says of one image: the top class, the top-k, and whether it abstained.
public struct Classification: Codable, Equatable, Sendable {
    /// The most probable class.
    public var label: String
    /// Its index.
    public var index: Int
    /// Its calibrated probability.
    public var probability: Float
    /// The `k` most probable classes, most probable first.
    public var topK: [RankedClass]
    /// True when the probability is below the minimum confidence asked for: no tag should be given.
    public var abstained: Bool
    /// Why it abstained, in one line (nil when it did not).
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case label, index, probability, topK = "top_k", abstained, reason
    }
}

/// A loaded model ready for photos and dataset images: its layers, class names, calibration
/// temperature and the preprocessing that turns a photo into its input.
public struct Classifier {
    /// The model, used in inference mode only.
    public let model: any Layer
    /// The architecture's name.
    public let architecture: String
    /// The layers that run int8 (a `fashion quantize` file), empty for fp32 weights.
    public let int8Layers: [String]
    /// The architecture, with its int8 layers when there are any: `seed-cnn (int8: conv_2, fc_1, fc_2)`.
    public var modelDescription: String {
        int8Layers.isEmpty ? architecture : "\(architecture) (int8: \(int8Layers.joined(separator: ", ")))"
    }
    /// Class names in label order.
    public let classNames: [String]
    /// Input channels and size, and the number of classes.
    public let geometry: Models.Geometry
    /// Divides the logits before the softmax (1: as trained; see `Calibration`).
    public var temperature: Float
    /// Photo to model input; its size and channels always follow the model's geometry.
    public var preprocessor: Preprocessor {
        didSet {
            preprocessor.size = geometry.size
            preprocessor.channels = geometry.channels
        }
    }
    /// Views whose probabilities are averaged.
    public var tta: TestTimeAugmentation
    /// Limits on photo files.
    public var limits: DecodingLimits

    /// A classifier for `checkpoint`, with the temperature and preprocessing its metadata holds (1 and
    /// the `photo` pipeline when it holds none).
    public init(_ checkpoint: ModelCheckpoint, tta: TestTimeAugmentation = .none, limits: DecodingLimits = .default) throws {
        model = checkpoint.model
        architecture = checkpoint.architecture.name
        int8Layers = checkpoint.int8Layers
        classNames = checkpoint.classNames
        geometry = checkpoint.geometry
        let outputs = checkpoint.model.outputShape(for: [1] + geometry.inputShape)[1]
        guard outputs == classNames.count else {
            throw InferenceError("the checkpoint names \(classNames.count) classes but its model has \(outputs) outputs")
        }
        temperature = 1
        if let text = checkpoint.metadata[ModelCheckpoint.Key.temperature] {
            guard let value = Float(text), value.isFinite, value > 0 else {
                throw InferenceError("metadata 'temperature' is not a positive number: '\(text)'")
            }
            temperature = value
        }
        var preprocessor = Preprocessor()
        if let text = checkpoint.metadata[ModelCheckpoint.Key.preprocessing] {
            guard let value = try? JSONDecoder().decode(Preprocessor.self, from: Data(text.utf8)) else {
                throw InferenceError("metadata 'preprocessing' is not a preprocessing description: '\(text.prefix(80))'")
            }
            preprocessor = value
        }
        // The model's input decides the output's size and planes, whatever the metadata says.
        preprocessor.size = geometry.size
        preprocessor.channels = geometry.channels
        self.preprocessor = preprocessor
        self.tta = tta
        self.limits = limits
    }

    /// The model input for the photo at `url`: decoded (reduced in size where the decoder can do so
    /// without losing what preprocessing needs), then preprocessed.
    public func input(photoAt url: URL) throws -> ModelInput {
        let photo = try ImageDecoder.decode(contentsOf: url, limits: limits, minimumSide: preprocessor.decodeMinimumSide)
        return preprocessor(photo)
    }

    /// The photo at `url` read within the limits, its SHA-256 (hex), and its model input.
    public func prepared(photoAt url: URL) throws -> (sha256: String, input: ModelInput) {
        let data = try ImageDecoder.read(url, limits: limits)
        let image = try ImageDecoder.decode(data, limits: limits, minimumSide: preprocessor.decodeMinimumSide)
        return (SHA256.hex(data), preprocessor(image))
    }

    /// Calibrated class probabilities [n, classes] of model inputs, in batches of 256.
    public func probabilities(_ inputs: [ModelInput]) -> Tensor {
        var rows: [Float] = []
        var classes = classNames.count
        for start in stride(from: 0, to: inputs.count, by: 256) {
            let batch = Array(inputs[start..<min(inputs.count, start + 256)])
            let p = Inference.probabilities(model, Classifier.tensor(batch), temperature: temperature, tta: tta)
            classes = p.shape[1]
            rows += p.scalars
        }
        return Tensor(shape: [inputs.count, classes], scalars: rows)
    }

    /// The classification of each input: the top `k` classes, abstaining when the top probability is
    /// below `minimumConfidence`.
    public func classify(_ inputs: [ModelInput], top k: Int = 1, minimumConfidence: Float? = nil) -> [Classification] {
        let p = probabilities(inputs)
        return (0..<inputs.count).map { row in
            classification(Array(p.scalars[row * p.shape[1] ..< (row + 1) * p.shape[1]]), top: k,
                           minimumConfidence: minimumConfidence)
        }
    }

    /// The classification given one row of probabilities.
    public func classification(_ probabilities: [Float], top k: Int, minimumConfidence: Float?) -> Classification {
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
        let ranked = order.prefix(max(1, k)).map { RankedClass(label: classNames[$0], index: $0, probability: probabilities[$0]) }
        let best = ranked[0]
        var result = Classification(label: best.label, index: best.index, probability: best.probability,
                                    topK: ranked, abstained: false, reason: nil)
        if let minimumConfidence, best.probability < minimumConfidence {
            result.abstained = true
            result.reason = String(format: "top probability %.3f (%@) is below the minimum confidence %.3f",
                                   best.probability, best.label, minimumConfidence)
        }
        return result
    }


    /// Inputs as a tensor [n, C, H, W] in [0, 1]; all must have the same size and planes.
    public static func tensor(_ inputs: [ModelInput]) -> Tensor {
        guard let first = inputs.first else { return Tensor(shape: [0, 1, 28, 28]) }
        precondition(inputs.allSatisfy { $0.width == first.width && $0.height == first.height && $0.channels == first.channels },
                     "inputs differ in size")
        var scalars: [Float] = []
        scalars.reserveCapacity(inputs.count * first.pixels.count)
        for input in inputs { scalars += input.pixels.map { Float($0) * (1 / 255) } }
        return Tensor(shape: [inputs.count, first.channels, first.height, first.width], scalars: scalars)
    }
}

/// A checkpoint whose metadata cannot be used for inference.
public struct InferenceError: Error, CustomStringConvertible {
    /// What is wrong, in one line.
    public var description: String
    init(_ description: String) { self.description = description }
}
