import Kernels
import Tensor

/// How a convolution or dense layer carries out `Precision.current`: fp32, bf16 in the kernels
/// themselves (oneDNN on AVX512-BF16), or bf16 by rounding the operands for the fp32 kernels.
enum Arithmetic: Equatable {
    case fp32, nativeBF16, roundedBF16

    /// What convolutions do now (dense layers always round: `Dense` uses `Precision.current` alone).
    static var current: Arithmetic {
        guard Precision.current == .bf16 else { return .fp32 }
        return Precision.nativeBF16Convolutions ? .nativeBF16 : .roundedBF16
    }

    /// The format the kernels are asked for.
    var kernelPrecision: Precision { self == .nativeBF16 ? .bf16 : .fp32 }
}

extension Tensor {
    /// A copy with every element rounded to the nearest bfloat16 value (ties to even).
    func roundedToBFloat16() -> Tensor {
        var y = Tensor.uninitialized(shape)
        scalars.withUnsafeBufferPointer { x in y.scalars.withUnsafeMutableBufferPointer { roundToBFloat16(x, into: $0) } }
        return y
    }
}
