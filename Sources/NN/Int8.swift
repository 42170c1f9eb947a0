import Kernels
import Tensor

/// A convolution's or dense layer's int8 form for inference (post-training quantization): s8
/// weights per output channel and the u8 scale of its input, calibrated on sample images.
public struct Int8Weights: Sendable, Equatable {
    /// The weights as s8, in the layer's weight layout ([K, C, R, S] or [out, in]).
    public var values: [Int8]
    /// The input's and each output channel's scales.
    public var scales: Int8Scales

    /// `values` with `scales`, as read from a file.
    public init(values: [Int8], scales: Int8Scales) {
        self.values = values
        self.scales = scales
    }

    /// `values` with their input scale and one scale per output channel.
    public init(values: [Int8], inputScale: Float, weightScales: [Float]) {
        self.init(values: values, scales: Int8Scales(inputScale: inputScale, weightScales: weightScales))
    }

    /// Quantizes `weights` [K, …] per output channel (127 steps for the largest |w| of each) for
    /// inputs whose calibrated maximum is `inputMaximum`, quantized to 7 bits (0…127): without VNNI,
    /// u8·s8 pairs are summed in 16 bits, which saturate at 8.
    public init(quantizing weights: Tensor, inputMaximum: Float) {
        let outputs = weights.shape[0], per = weights.count / outputs
        var values = [Int8](repeating: 0, count: weights.count), scales = [Float](repeating: 1, count: outputs)
        for k in 0..<outputs {
            let row = weights.scalars[k * per ..< (k + 1) * per]
            let largest = row.map(abs).max() ?? 0
            scales[k] = largest > 0 ? 127 / largest : 1
            for i in row.indices { values[i] = Int8(max(-127, min(127, (weights.scalars[i] * scales[k]).rounded()))) }
        }
        self.init(values: values, scales: Int8Scales(inputScale: inputMaximum > 0 ? 127 / inputMaximum : 1, weightScales: scales))
    }

    /// The fp32 weights the s8 values stand for (what a build without oneDNN computes with).
    public var dequantized: [Float] {
        let per = values.count / scales.weightScales.count
        return values.indices.map { Float(values[$0]) / scales.weightScales[$0 / per] }
    }
}

/// A layer's int8 form and the oneDNN primitives made for it, which are dropped when it changes
/// (their scales and reordered weights are those of the old form).
final class Int8Slot: @unchecked Sendable {
    /// The int8 form (nil: the layer runs fp32).
    var weights: Int8Weights? {
        didSet {
            #if canImport(CDNNL)
            primitives.removeAll()
            #endif
        }
    }
    #if canImport(CDNNL)
    /// int8 inference primitives by batch size and output layout.
    let primitives = DNNLInt8Pool()
    #endif
}
