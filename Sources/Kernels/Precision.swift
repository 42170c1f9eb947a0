// The number format of the products in convolutions and dense layers.
import CKernels

/// How convolutions and dense layers multiply: fp32 throughout (the default), or bf16 operands
/// with fp32 sums. Weights, their gradients, the optimiser and every other layer stay fp32.
public enum Precision: String, Sendable, CaseIterable {
    /// Float32 operands and sums.
    case fp32
    /// Operands (inputs, weights, output gradients) rounded to bfloat16, products summed in float32.
    /// Native on CPUs with AVX512-BF16 through oneDNN's bf16 convolutions; elsewhere, and in the
    /// dense layers, the operands are rounded to bf16 values and multiplied by the fp32 kernels
    /// (the same numbers, more time).
    case bf16

    /// The format in use: a process-wide setting made at start-up (`--precision`), lock-guarded
    /// like `Threads.count`; tests switch it to compare the two.
    public static var current: Precision {
        get { setting.withLock { $0 } }
        set { setting.withLock { $0 = newValue } }
    }

    private static let setting = LockedValue<Precision>(.fp32)

    /// True when the CPU has AVX512-BF16, so oneDNN's bf16 convolution kernels can run.
    public static let cpuHasBF16 = fashion_cpu_has_bf16() != 0

    /// True when bf16 convolutions run on oneDNN's bf16 kernels (the backend in use is oneDNN and
    /// it has them for this CPU); otherwise bf16 is emulated by rounding the operands.
    public static var nativeBF16Convolutions: Bool {
        #if canImport(CDNNL)
        return ConvolutionBackend.current == .oneDNN && DNNLConvolution.hasBF16Kernels
        #else
        return false
        #endif
    }

    /// How bf16 runs here, in a sentence for progress lines and docs.
    public static var bf16Implementation: String {
        if nativeBF16Convolutions { return "native bf16 convolutions (AVX512-BF16, oneDNN); dense layers on bf16-rounded operands" }
        return cpuHasBF16
            ? "emulated: operands rounded to bf16 values, multiplied by the fp32 kernels (no oneDNN bf16 kernels in use)"
            : "emulated: operands rounded to bf16 values, multiplied by the fp32 kernels (this CPU has no AVX512-BF16)"
    }
}

/// y[i] = x[i] rounded to the nearest bfloat16 value (ties to even), kept as Float32. In place when
/// x and y are the same buffer.
public func roundToBFloat16(_ x: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>) {
    precondition(y.count == x.count, "roundToBFloat16: \(x.count) values into \(y.count)")
    guard let source = x.baseAddress, let target = y.baseAddress else { return }
    parallelFor(x.count, minimumPerThread: 1 << 18) { range in
        fashion_round_bf16(source + range.lowerBound, target + range.lowerBound, range.count)
    }
}
