import Foundation
import Kernels
import Tensor

/// Post-training int8 quantization of a model's convolutions and dense layers: each layer's input
/// range is calibrated on sample batches, then its weights are quantized per output channel.
public enum Int8Quantization {
    /// Every Conv2D and Dense inside `model` (through chains and residual blocks), in order.
    public static func quantizableLayers(_ model: any Layer) -> [any Layer] {
        switch model {
        case let chain as Sequential: return chain.layers.flatMap { quantizableLayers($0.layer) }
        case let block as Residual: return quantizableLayers(block.body) + (block.shortcut.map(quantizableLayers) ?? [])
        case is Conv2D, is Dense: return [model]
        default: return []
        }
    }

    /// Runs `batches` through `model` (inference) and gives every convolution and dense layer its
    /// int8 form, from the largest input it saw. Fails when a layer saw a negative input (u8 inputs
    /// cannot hold it).
    public static func quantize(_ model: any Layer, calibration batches: [Tensor]) throws {
        let layers = quantizableLayers(model)
        for layer in layers { (layer as? Conv2D)?.int8 = nil; (layer as? Dense)?.int8 = nil }
        let ranges = InputRanges()
        recorder.withLock { $0 = ranges }
        defer { recorder.withLock { $0 = nil } }
        for batch in batches { _ = model(batch) }
        for layer in layers {
            let range = ranges.range(of: layer)
            guard range.minimum >= 0 else { throw Int8QuantizationError.negativeInput(range.minimum) }
            // A one-channel convolution stays fp32: oneDNN's int8 kernel for it is slower than its fp32 one
            // (seed-cnn's conv_1 at batch 256: 5.9 vs ~3.2 ms).
            if let conv = layer as? Conv2D, conv.inputChannels > 1 {
                conv.int8 = Int8Weights(quantizing: conv.weight.value, inputMaximum: range.maximum)
            }
            if let dense = layer as? Dense { dense.int8 = Int8Weights(quantizing: dense.weight.value, inputMaximum: range.maximum) }
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

/// Why a model cannot be quantized.
public enum Int8QuantizationError: Error, CustomStringConvertible {
    case negativeInput(Float)
    public var description: String {
        switch self {
        case .negativeInput(let value):
            return "a convolution or dense layer gets negative inputs (down to \(value)); int8 needs non-negative ones"
        }
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
