import Foundation
import Kernels
import Tensor

/// A layer that can run its inference pass in int8: Conv2D and Dense.
public protocol Int8Quantizable: Layer {
    /// The fp32 weights [K, …], output channel first.
    var weight: Parameter { get }
    /// The int8 form inference uses (nil: fp32).
    var int8: Int8Weights? { get set }
}

extension Conv2D: Int8Quantizable {}
extension Dense: Int8Quantizable {}

/// Post-training int8 quantization of a model's convolutions and dense layers: each layer's input
/// range is calibrated on sample batches, then its weights are quantized per output channel.
public enum Int8Quantization {
    /// Every Conv2D and Dense inside `model` (through chains and residual blocks), in order, with
    /// the prefix of its parameter names (`conv_2` for `conv_2.weight`).
    public static func layers(_ model: any Layer) -> [(name: String, layer: any Int8Quantizable)] {
        func joined(_ prefix: String, _ found: [(name: String, layer: any Int8Quantizable)]) -> [(name: String, layer: any Int8Quantizable)] {
            found.map { (prefix + ($0.name.isEmpty ? "" : "." + $0.name), $0.layer) }
        }
        switch model {
        case let chain as Sequential:
            return chain.layers.flatMap { joined($0.name, layers($0.layer)) }
        case let block as Residual:
            return layers(block.body) + (block.shortcut.map { joined("downsample", layers($0)) } ?? [])
        case let layer as any Int8Quantizable:
            return [("", layer)]
        default:
            return []
        }
    }

    /// What happened to one layer.
    public struct LayerReport: Sendable, Equatable {
        /// The layer's name (`conv_2`).
        public var name: String
        /// The smallest and largest input it saw while calibrating.
        public var inputMinimum, inputMaximum: Float
        /// Why it stays fp32, or nil when it now runs int8.
        public var keptFP32: String?
    }

    /// Runs `batches` through `model` (inference) and gives every convolution and dense layer that
    /// can take it its int8 form, from the largest input it saw. Layers stay fp32 when they saw a
    /// negative input (u8 inputs cannot hold it) or have one input channel (oneDNN's int8 kernel for
    /// them is slower than its fp32 one: seed-cnn's conv_1 at batch 256, 5.9 against ~3.2 ms).
    /// `outputs` sees the model's fp32 output for each calibration batch.
    public static func quantize(_ model: any Layer, calibration batches: [Tensor],
                                outputs: (Tensor) -> Void = { _ in }) -> [LayerReport] {
        let found = layers(model)
        for (_, layer) in found { layer.int8 = nil }
        let ranges = InputRanges()
        recorder.withLock { $0 = ranges }
        defer { recorder.withLock { $0 = nil } }
        for batch in batches { outputs(model(batch)) }
        return found.map { name, layer in
            let range = ranges.range(of: layer)
            var report = LayerReport(name: name, inputMinimum: range.minimum, inputMaximum: range.maximum, keptFP32: nil)
            if let conv = layer as? Conv2D, conv.inputChannels == 1 {
                report.keptFP32 = "one input channel (oneDNN's int8 kernel is slower there)"
            } else if range.minimum < 0 {
                report.keptFP32 = String(format: "negative inputs (down to %.3g)", range.minimum)
            } else if !range.maximum.isFinite || !(range.maximum > 0) {
                report.keptFP32 = range.maximum > 0 ? "infinite inputs" : "no positive input in the calibration images"
            } else if !layer.weight.value.scalars.allSatisfy(\.isFinite) {
                report.keptFP32 = "weights that are not finite numbers"
            } else {
                layer.int8 = Int8Weights(quantizing: layer.weight.value, inputMaximum: range.maximum)
            }
            return report
        }
    }

    /// The ranges being recorded, while `quantize` calibrates.
    private static let recorder = LockedValue<InputRanges?>(nil)

    /// Called by convolutions and dense layers on their inference inputs.
    static func observe(_ layer: AnyObject, _ x: Tensor) {
        guard let ranges = recorder.withLock({ $0 }) else { return }
        ranges.record(layer, x)
    }
}

/// The smallest and largest input each layer saw.
final class InputRanges: @unchecked Sendable {
    private var ranges: [ObjectIdentifier: (minimum: Float, maximum: Float)] = [:]
    private let lock = NSLock()

    func record(_ layer: AnyObject, _ x: Tensor) {
        let low = x.scalars.min() ?? 0, high = x.scalars.max() ?? 0
        lock.withLock {
            let old = ranges[ObjectIdentifier(layer)] ?? (low, high)
            ranges[ObjectIdentifier(layer)] = (min(old.minimum, low), max(old.maximum, high))
        }
    }

    func range(of layer: AnyObject) -> (minimum: Float, maximum: Float) {
        lock.withLock { ranges[ObjectIdentifier(layer)] ?? (0, 0) }
    }
}
