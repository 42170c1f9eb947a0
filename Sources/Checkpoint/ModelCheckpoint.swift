import Foundation
import Models
import NN
import Tensor

/// Model weights in a safetensors file, with the architecture and class names in the metadata.
///
/// Tensor names are the model's dotted parameter names (`conv_1.weight`…); a training
/// checkpoint adds the optimiser state under `optimizer.` and resume information in the metadata.
public struct ModelCheckpoint {
    /// Metadata key for the architecture name (`seed-cnn`).
    public static let architectureKey = "architecture"
    /// Metadata key for the class names, a JSON array of strings.
    public static let classesKey = "classes"
    /// Metadata key for the number of input channels (absent: 1).
    public static let channelsKey = "input_channels"
    /// Metadata key for the input side in pixels (absent: 28).
    public static let sizeKey = "input_size"
    /// Prefix of optimiser state tensors in training checkpoints.
    public static let optimizerPrefix = "optimizer."

    /// Metadata keys a training run writes beside the architecture and class names.
    public enum Key {
        /// The training seed.
        public static let seed = "seed"
        /// The epoch the weights are from.
        public static let epoch = "epoch"
        /// Images held out for validation; "0": the validation split was trained on too.
        public static let validationImages = "validation_images"
        /// Validation accuracy of these weights.
        public static let validationAccuracy = "val_accuracy"
        /// The optimiser's name (training checkpoints).
        public static let optimizer = "optimizer"
        /// The optimiser's step count (training checkpoints).
        public static let optimizerStep = "optimizer_step"
        /// The best validation accuracy so far (training checkpoints).
        public static let bestValidationAccuracy = "best_val_accuracy"
        /// The epoch records so far, as JSON (training checkpoints).
        public static let history = "history"
        /// The calibration temperature that divides the logits (`fashion calibrate`).
        public static let temperature = "temperature"
        /// How the temperature was fitted and the calibration error before and after, as JSON.
        public static let calibration = "calibration"
        /// The photo preprocessing the model expects, as JSON (`Preprocessor`).
        public static let preprocessing = "preprocessing"
        /// How the weights were quantized (`fashion quantize`), as JSON.
        public static let quantization = "quantization"
    }

    /// Suffix of the per-output-channel scales beside an int8 layer's I8 `weight`.
    public static let weightScaleSuffix = ".weight_scale"
    /// Suffix of the input scale (one number) beside an int8 layer's I8 `weight`.
    public static let inputScaleSuffix = ".input_scale"

    /// The architecture the weights belong to.
    public var architecture: Models.Entry
    /// The model, built for `architecture` and `geometry` and holding the loaded weights.
    public var model: Sequential
    /// What the model takes and gives: input channels and size (from the metadata; 1 × 28 × 28 when
    /// absent, as in checkpoints written before they were recorded) and the number of classes.
    public var geometry: Models.Geometry
    /// Class names in label order.
    public var classNames: [String]
    /// Everything else in the metadata.
    public var metadata: [String: String]
    /// Optimiser state tensors (names without the `optimizer.` prefix).
    public var optimizerState: [String: Tensor]
    /// The layers whose weights the file holds in int8 (`fashion quantize`), in model order; empty for fp32 files.
    public var int8Layers: [String] = []

    /// Reads `url`; the architecture comes from the metadata, or from `architecture` for files
    /// without one (such as a plain `safetensors.torch.save_file` of a PyTorch state dict).
    public static func load(_ url: URL, architecture override: String? = nil,
                            defaultClassNames: [String]) throws -> ModelCheckpoint {
        try load(SafeTensors.read(url), file: url.path, architecture: override, defaultClassNames: defaultClassNames)
    }

    /// `load(_:architecture:defaultClassNames:)` on a file already parsed; `path` names it in errors.
    public static func load(_ file: SafeTensors, file path: String, architecture override: String? = nil,
                            defaultClassNames: [String]) throws -> ModelCheckpoint {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: path, problem: problem) }
        let notWeights = file.raw.filter { $0.value.dtype != "I8" || !$0.key.hasSuffix(".weight") }
        if let (name, tensor) = notWeights.min(by: { $0.key < $1.key }) {
            throw fail("tensor '\(name)' has dtype \(tensor.dtype); checkpoints hold F32 tensors and I8 weights only")
        }
        guard let name = override ?? file.metadata[architectureKey] else {
            throw fail("no architecture in the metadata; name one with --model")
        }
        let entry: Models.Entry
        do { entry = try Models.named(name) } catch { throw fail("\(error)") }
        var classNames = defaultClassNames
        if let text = file.metadata[classesKey] {
            guard let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
                throw fail("metadata 'classes' is not a JSON array of strings")
            }
            classNames = names
        }
        func number(_ key: String, default value: Int) throws -> Int {
            guard let text = file.metadata[key] else { return value }
            guard let number = Int(text) else { throw fail("metadata '\(key)' is not a whole number: '\(text.prefix(40))'") }
            return number
        }
        let geometry = Models.Geometry(channels: try number(channelsKey, default: 1), size: try number(sizeKey, default: 28),
                                       classes: classNames.count)
        let model: Sequential
        do { model = try entry.make(geometry, seed: 0) } catch { throw fail("\(error)") }
        var weights: [String: Tensor] = [:]
        var optimizerState: [String: Tensor] = [:]
        for (key, tensor) in file.tensors {
            if key.hasPrefix(optimizerPrefix) {
                optimizerState[String(key.dropFirst(optimizerPrefix.count))] = tensor
            } else {
                weights[key] = tensor
            }
        }
        let int8 = try int8Weights(file, taking: &weights, fail: fail)
        do { try assign(weights, to: model) } catch let error as StateMismatch {
            if let outputs = headOutputs(weights, of: model), outputs != classNames.count {
                throw fail("the checkpoint names \(classNames.count) classes but its model has \(outputs) outputs")
            }
            throw fail("does not fit \(entry.name) (\(geometry)): \(error.description)")
        }
        var int8Layers: [String] = []
        for (name, layer) in Int8Quantization.layers(model) {
            guard let weights = int8[name] else { continue }
            guard weights.values.count == layer.weight.value.count, weights.scales.weightScales.count == layer.weight.value.shape[0] else {
                throw fail("int8 '\(name).weight' has \(weights.values.count) values and \(weights.scales.weightScales.count) scales; the layer has \(layer.weight.value.count) weights in \(layer.weight.value.shape[0]) channels")
            }
            layer.int8 = weights
            int8Layers.append(name)
        }
        if !optimizerState.isEmpty && !int8Layers.isEmpty { throw fail("an int8 file holds no optimizer state") }
        var metadata = file.metadata
        metadata[architectureKey] = nil
        metadata[classesKey] = nil
        metadata[channelsKey] = nil
        metadata[sizeKey] = nil
        return ModelCheckpoint(architecture: entry, model: model, geometry: geometry, classNames: classNames,
                               metadata: metadata, optimizerState: optimizerState, int8Layers: int8Layers)
    }

    /// The file's I8 weights as int8 layers by name, each with its scales; their dequantized fp32
    /// values (what a build without oneDNN computes with) are put in `weights` in their place.
    private static func int8Weights(_ file: SafeTensors, taking weights: inout [String: Tensor],
                                    fail: (String) -> SafeTensorsError) throws -> [String: Int8Weights] {
        var found: [String: Int8Weights] = [:]
        for (key, raw) in file.raw {
            let name = String(key.dropLast(".weight".count))
            guard let values = raw.int8Values, let outputs = raw.shape.first, outputs > 0 else {
                throw fail("int8 '\(key)' has no output channels")
            }
            guard let weightScales = weights.removeValue(forKey: name + weightScaleSuffix),
                  let inputScale = weights.removeValue(forKey: name + inputScaleSuffix) else {
                throw fail("int8 '\(key)' needs '\(name)\(weightScaleSuffix)' and '\(name)\(inputScaleSuffix)' beside it")
            }
            guard weightScales.shape == [outputs], inputScale.shape == [1] else {
                throw fail("int8 '\(key)': '\(name)\(weightScaleSuffix)' must be [\(outputs)] and '\(name)\(inputScaleSuffix)' [1]")
            }
            guard (weightScales.scalars + inputScale.scalars).allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw fail("int8 '\(key)' has a scale that is not a positive number")
            }
            let int8 = Int8Weights(values: values, inputScale: inputScale.scalars[0], weightScales: weightScales.scalars)
            found[name] = int8
            weights[key] = Tensor(shape: raw.shape, scalars: int8.dequantized)
        }
        return found
    }

    /// The output count of the file's last weight matrix (the head), when the model's head has
    /// the same name: how many classes the weights were trained for.
    private static func headOutputs(_ weights: [String: Tensor], of model: Sequential) -> Int? {
        guard let head = model.parameters.last(where: { $0.name.hasSuffix(".weight") && $0.parameter.value.rank == 2 }),
              let tensor = weights[head.name], tensor.rank == 2 else { return nil }
        return tensor.shape[0]
    }

    /// Writes the model's parameters and buffers (and optional optimiser state) to `url` atomically,
    /// with the architecture, class names and input geometry in the metadata. Layers with an int8
    /// form are written as it: I8 `weight`, F32 `weight_scale` [K] and `input_scale` [1].
    public static func save(_ model: any Layer, architecture: String, classNames: [String],
                            channels: Int = 1, size: Int = 28,
                            metadata: [String: String] = [:], optimizerState: [String: Tensor] = [:],
                            to url: URL) throws {
        var file = SafeTensors(metadata: metadata)
        file.metadata[architectureKey] = architecture
        file.metadata[classesKey] = String(decoding: try JSONEncoder().encode(classNames), as: UTF8.self)
        file.metadata[channelsKey] = String(channels)
        file.metadata[sizeKey] = String(size)
        for (name, parameter) in model.parameters + model.buffers { file.tensors[name] = parameter.value }
        for (name, tensor) in optimizerState { file.tensors[optimizerPrefix + name] = tensor }
        for (name, layer) in Int8Quantization.layers(model) {
            guard let int8 = layer.int8 else { continue }
            file.tensors[name + ".weight"] = nil
            file.raw[name + ".weight"] = RawTensor(int8: int8.values, shape: layer.weight.value.shape)
            file.tensors[name + weightScaleSuffix] = Tensor(shape: [int8.scales.weightScales.count], scalars: int8.scales.weightScales)
            file.tensors[name + inputScaleSuffix] = Tensor(shape: [1], scalars: [int8.scales.inputScale])
        }
        try file.write(to: url)
    }

    /// Copies `tensors` into the model's parameters and buffers; every name must be present
    /// with the right shape, and no extra names are allowed.
    public static func assign(_ tensors: [String: Tensor], to model: any Layer) throws {
        let slots = model.parameters + model.buffers
        let expected = Set(slots.map(\.name))
        let missing = expected.subtracting(tensors.keys).sorted()
        let extra = Set(tensors.keys).subtracting(expected).sorted()
        guard missing.isEmpty else { throw StateMismatch(description: "missing tensors \(missing.joined(separator: ", "))") }
        guard extra.isEmpty else { throw StateMismatch(description: "unexpected tensors \(extra.joined(separator: ", "))") }
        for (name, parameter) in slots {
            let tensor = tensors[name]!
            guard tensor.shape == parameter.value.shape else {
                throw StateMismatch(description: "'\(name)' has shape \(tensor.shape), expected \(parameter.value.shape)")
            }
            parameter.value = tensor
        }
    }

    /// Checks that optimiser `state` names (`<parameter>.<slot>`) refer to parameters of `model` with their shapes.
    public static func validate(optimizerState state: [String: Tensor], for model: any Layer) throws {
        let shapes = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.parameter.value.shape) })
        for (key, tensor) in state {
            guard let dot = key.lastIndex(of: "."), let shape = shapes[String(key[..<dot])] else {
                throw StateMismatch(description: "optimizer state '\(key)' names no parameter")
            }
            guard shape == tensor.shape else {
                throw StateMismatch(description: "optimizer state '\(key)' has shape \(tensor.shape), expected \(shape)")
            }
        }
    }
}

/// Tensors that do not match a model's parameters.
public struct StateMismatch: Error, CustomStringConvertible {
    /// What does not match.
    public var description: String
}
