// Convolutions through oneDNN (Debian's libdnnl-dev), when the package is built with it.
//
// The rest of the engine keeps NCHW tensors; each call reorders its operands into the blocked
// layouts oneDNN's AVX-512 kernels prefer (nChw16c, OIhw16i16o…) and back, which costs far less
// than the kernels save. Primitives are created once per shape and reused.
import Foundation

/// Which implementation runs the convolutions.
public enum ConvolutionBackend: String, Sendable {
    /// Portable: im2col + BLAS matrix products (Convolution.swift).
    case im2col
    /// oneDNN's kernels (this file), when the package was built with libdnnl-dev.
    case oneDNN

    /// True when the package was built with oneDNN.
    public static var isOneDNNAvailable: Bool {
        #if canImport(CDNNL)
        return true
        #else
        return false
        #endif
    }

    /// The backend in use: oneDNN when available, unless `FASHION_CONV=im2col` is set. A process-wide
    /// setting (tests switch it to compare the two), lock-guarded like `Threads.count`.
    public static var current: ConvolutionBackend {
        get { setting.withLock { $0 } }
        set { setting.withLock { $0 = newValue } }
    }

    private static let setting = LockedValue<ConvolutionBackend>(
        isOneDNNAvailable && ProcessInfo.processInfo.environment["FASHION_CONV"] != "im2col" ? .oneDNN : .im2col)
}

#if canImport(CDNNL)
import CDNNL

/// Fails loudly on a oneDNN error: these calls only fail on a programming error or out of memory.
@inline(__always)
func check(_ status: dnnl_status_t, _ what: StaticString) {
    precondition(status == dnnl_success, "oneDNN \(what) failed (status \(status.rawValue))")
}

/// The CPU engine every primitive is made for (each convolution has its own stream: a oneDNN
/// stream is not thread-safe).
final class DNNLContext: @unchecked Sendable {
    static let shared = DNNLContext()
    var engine: dnnl_engine_t?

    init() {
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "engine_create")
    }
}

/// A plain-layout operand (NCHW, OIHW or a vector) and, when the primitive wants another
/// layout (`wanted`; nil means the plain one), a blocked copy with the reorders between them.
/// The blocked copy's memory is kept (`persistent`: a training input, which backward reads again)
/// or borrowed for each call (`borrowScratch`/`returnScratch`), so that idle primitives hold no
/// other activations.
final class Operand {
    private var plain: dnnl_memory_t?
    private var blocked: dnnl_memory_t?
    private var toBlocked: dnnl_primitive_t?
    private var toPlain: dnnl_primitive_t?
    private let persistent: Bool
    private var blockedBytes = 0
    private var scratch: UnsafeMutableRawPointer?
    /// For a blocked output whose only blocking is by channel (nChw8c, nChw16c): the block and the
    /// channel count padded to it.
    private(set) var channelBlocking: (block: Int, paddedChannels: Int)?

    /// `scale`: the input's reorder multiplies by it (int8 quantization of activations).
    init(plain plainDescriptor: dnnl_memory_desc_t, wanted: UnsafePointer<dnnl_memory_desc_t>? = nil, output: Bool,
         persistent: Bool = true, scale: Float? = nil) {
        self.persistent = persistent
        let engine = DNNLContext.shared.engine
        var p = plainDescriptor
        check(dnnl_memory_create(&plain, &p, engine, nil), "memory_create")
        guard let wanted, dnnl_memory_desc_equal(&p, wanted) == 0 else { return }
        blockedBytes = dnnl_memory_desc_get_size(wanted)
        let blocking = wanted.pointee.format_desc.blocking
        let (block, dims) = (blocking.inner_blks.0, wanted.pointee.padded_dims)
        let strides = blocking.strides
        // [N][C / block][H][W][block], densely packed (aBcd8b, aBcd16b; NHWC is acdb, not this)
        if wanted.pointee.format_kind == dnnl_blocked, wanted.pointee.ndims == 4, blocking.inner_nblks == 1, blocking.inner_idxs.0 == 1,
           strides.3 == block, strides.2 == dims.3 * block, strides.1 == dims.2 * dims.3 * block, strides.0 == dims.1 * dims.2 * dims.3 {
            channelBlocking = (Int(block), Int(dims.1))
        }
        // DNNL_MEMORY_ALLOCATE (-1) when kept, else no memory (a handle is set per call).
        check(dnnl_memory_create(&blocked, wanted, engine, persistent ? UnsafeMutableRawPointer(bitPattern: -1) : nil), "memory_create")
        var descriptor: dnnl_primitive_desc_t?
        if output {
            check(dnnl_reorder_primitive_desc_create(&descriptor, wanted, engine, &p, engine, nil), "reorder")
            check(dnnl_primitive_create(&toPlain, descriptor), "primitive_create")
        } else {
            var attributes: dnnl_primitive_attr_t?
            if var scale {
                check(dnnl_primitive_attr_create(&attributes), "attr_create")
                check(dnnl_primitive_attr_set_output_scales(attributes, 1, 0, &scale), "set_output_scales")
            }
            defer { dnnl_primitive_attr_destroy(attributes) }
            check(dnnl_reorder_primitive_desc_create(&descriptor, &p, engine, wanted, engine, attributes), "reorder")
            check(dnnl_primitive_create(&toBlocked, descriptor), "primitive_create")
        }
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The memory a primitive should read: `pointer`'s contents, reordered if needed.
    func input(_ pointer: UnsafeRawPointer, on stream: dnnl_stream_t?) -> dnnl_memory_t? {
        check(dnnl_memory_set_data_handle(plain, UnsafeMutableRawPointer(mutating: pointer)), "set_data_handle")
        guard let toBlocked else { return plain }
        run(toBlocked, on: stream, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: plain), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: blocked)])
        return blocked
    }

    /// The memory the last `input` call gave, for a pointer to the same contents: its blocked copy
    /// (kept when `persistent`), or the plain memory pointed at `pointer`.
    func again(_ pointer: UnsafeRawPointer) -> dnnl_memory_t? {
        guard toBlocked == nil else { return blocked }
        check(dnnl_memory_set_data_handle(plain, UnsafeMutableRawPointer(mutating: pointer)), "set_data_handle")
        return plain
    }

    /// The memory a primitive should write; call `finish()` after it ran to land the result at `pointer`.
    func output(_ pointer: UnsafeMutableRawPointer) -> dnnl_memory_t? {
        check(dnnl_memory_set_data_handle(plain, pointer), "set_data_handle")
        return toPlain == nil ? plain : blocked
    }

    /// The blocked copy as a primitive's output, read at `scratchPointer` (no reorder to the plain buffer).
    var blockedOutput: dnnl_memory_t? { blocked }

    /// The blocked copy's memory while it is borrowed (between `borrowScratch` and `returnScratch`).
    var scratchPointer: UnsafeRawPointer? { scratch.map { UnsafeRawPointer($0) } }

    /// Reorders a blocked output back into the plain buffer.
    func finish(on stream: dnnl_stream_t?) {
        guard let toPlain else { return }
        run(toPlain, on: stream, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: blocked), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: plain)])
    }

    /// Gives a borrowed blocked copy its memory for one call.
    func borrowScratch() {
        guard !persistent, blocked != nil, scratch == nil else { return }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(blockedBytes, 1), alignment: 64)
        scratch = memory
        check(dnnl_memory_set_data_handle(blocked, memory), "set_data_handle")
    }

    /// Frees the memory `borrowScratch` gave.
    func returnScratch() {
        scratch?.deallocate()
        scratch = nil
    }

    deinit {
        returnScratch()
        dnnl_primitive_destroy(toBlocked)
        dnnl_primitive_destroy(toPlain)
        dnnl_memory_destroy(blocked)
        dnnl_memory_destroy(plain)
    }
}

func run(_ primitive: dnnl_primitive_t?, on stream: dnnl_stream_t?, _ arguments: [dnnl_exec_arg_t]) {
    check(dnnl_primitive_execute(primitive, stream, Int32(arguments.count), arguments), "execute")
}

func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t = dnnl_f32) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map(Int64.init), type, tag), "memory_desc_init")
    return md
}

/// A 2-D convolution of one shape (batch size included) as oneDNN primitives:
/// forward, and for training backward-data and backward-weights, with NCHW/OIHW buffers on the outside.
///
/// An object is used by one thread at a time (its operands and stream are its state); inference
/// borrows its objects from `DNNLInferencePool`, which hands each caller its own.
public final class DNNLConvolution {
    private var forwardPrimitive, backwardDataPrimitive, backwardWeightsPrimitive: dnnl_primitive_t?
    private var stream: dnnl_stream_t?
    private let source, weights, bias, destination: Operand
    private let backward: Backward?
    private let hasBias: Bool

    /// The operands of the backward primitives; nil for the weights' source (or output gradient)
    /// when it is wanted in the same layout as forward's source (or backward-data's output gradient).
    private struct Backward {
        let gradientOutputForData, weightsForData, gradientInput: Operand
        let sourceForWeights, gradientOutputForWeights: Operand?
        let gradientWeights, gradientBias: Operand
    }

    /// Whether oneDNN runs bf16 convolutions on this CPU with its own kernels (AVX512-BF16): probed
    /// once with a small convolution; false where only its slow reference code would.
    public static let hasBF16Kernels: Bool = {
        guard Precision.cpuHasBF16, let engine = DNNLContext.shared.engine else { return false }
        var source = descriptor([2, 16, 8, 8], dnnl_format_tag_any, dnnl_bf16)
        var weights = descriptor([16, 16, 3, 3], dnnl_format_tag_any, dnnl_bf16)
        var destination = descriptor([2, 16, 8, 8], dnnl_format_tag_any)
        var convolution = dnnl_convolution_desc_t()
        let one: [Int64] = [1, 1]
        guard dnnl_convolution_forward_desc_init(&convolution, dnnl_forward_training, dnnl_convolution_direct, &source, &weights,
                                                 nil, &destination, one, one, one) == dnnl_success else { return false }
        var primitiveDescriptor: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&primitiveDescriptor, &convolution, nil, engine, nil) == dnnl_success else { return false }
        defer { dnnl_primitive_desc_destroy(primitiveDescriptor) }
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(primitiveDescriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success,
              let name else { return false }
        return !String(cString: name).contains("ref")
    }()

    /// Primitives for input [batch, C, H, W] (`geometry`), `outputChannels` filters, with or without
    /// bias; the backward ones only when `training`. With `precision` bf16 the operands (input,
    /// weights, output gradient) are converted to bf16 by the reorders into the kernels' layouts
    /// and the results (output, gradients) are fp32; callers check `hasBF16Kernels` first.
    public init(batch: Int, geometry g: ConvGeometry, outputChannels: Int, hasBias: Bool, training: Bool = true,
                precision: Precision = .fp32) {
        self.hasBias = hasBias
        let engine = DNNLContext.shared.engine
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream_create")
        let srcDims = [batch, g.channels, g.height, g.width]
        let weightDims = [outputChannels, g.channels, g.kernelHeight, g.kernelWidth]
        let dstDims = [batch, outputChannels, g.outputHeight, g.outputWidth]
        let plainSource = descriptor(srcDims, dnnl_nchw), plainWeights = descriptor(weightDims, dnnl_oihw)
        let plainDestination = descriptor(dstDims, dnnl_nchw)
        let plainBias = hasBias ? descriptor([outputChannels], dnnl_x) : dnnl_memory_desc_t()
        let operandType = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        var anySource = descriptor(srcDims, dnnl_format_tag_any, operandType)
        var anyWeights = descriptor(weightDims, dnnl_format_tag_any, operandType)
        var anyDestination = descriptor(dstDims, dnnl_format_tag_any)
        // Backward: the output gradient is an operand; the input and weight gradients are results.
        var anyGradientOutput = descriptor(dstDims, dnnl_format_tag_any, operandType)
        var anyGradientInput = descriptor(srcDims, dnnl_format_tag_any)
        var anyGradientWeights = descriptor(weightDims, dnnl_format_tag_any)
        var biasDescriptor = plainBias
        let strides: [Int64] = [Int64(g.strideHeight), Int64(g.strideWidth)]
        let padBefore: [Int64] = [Int64(g.padTop), Int64(g.padLeft)]
        // oneDNN wants the padding after explicitly: what makes the output size come out right.
        let padAfter: [Int64] = [Int64((g.outputHeight - 1) * g.strideHeight + g.kernelHeight - g.height - g.padTop),
                                 Int64((g.outputWidth - 1) * g.strideWidth + g.kernelWidth - g.width - g.padLeft)]

        // forward_training also for inference: it selects the nChw16c kernels, cheaper end to end here.
        var convolution = dnnl_convolution_desc_t()
        check(dnnl_convolution_forward_desc_init(&convolution, dnnl_forward_training, dnnl_convolution_direct,
                                                 &anySource, &anyWeights, &biasDescriptor, &anyDestination,
                                                 strides, padBefore, padAfter), "convolution_forward_desc_init")
        var forwardDescriptor: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&forwardDescriptor, &convolution, nil, engine, nil), "primitive_desc_create")
        check(dnnl_primitive_create(&forwardPrimitive, forwardDescriptor), "primitive_create")
        func md(_ pd: dnnl_primitive_desc_t?, _ what: dnnl_query_t) -> UnsafePointer<dnnl_memory_desc_t> {
            dnnl_primitive_desc_query_md(pd, what, 0)
        }
        // Only the blocked input is kept between calls (training's backward reuses it); every other
        // blocked copy lives for one call, so a model's idle primitives hold no activations but
        // its inputs (a resnet20 on 64×64 colour at batch 64 peaked at 2.0 GiB with all of them kept).
        source = Operand(plain: plainSource, wanted: md(forwardDescriptor, dnnl_query_src_md), output: false, persistent: training)
        weights = Operand(plain: plainWeights, wanted: md(forwardDescriptor, dnnl_query_weights_md), output: false, persistent: false)
        bias = Operand(plain: plainBias, output: false)
        destination = Operand(plain: plainDestination, wanted: md(forwardDescriptor, dnnl_query_dst_md), output: true, persistent: false)
        guard training else {
            backward = nil
            dnnl_primitive_desc_destroy(forwardDescriptor)
            return
        }

        var data = dnnl_convolution_desc_t()
        check(dnnl_convolution_backward_data_desc_init(&data, dnnl_convolution_direct, &anyGradientInput, &anyWeights,
                                                       &anyGradientOutput, strides, padBefore, padAfter), "backward_data_desc_init")
        var dataDescriptor: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&dataDescriptor, &data, nil, engine, forwardDescriptor), "primitive_desc_create")
        check(dnnl_primitive_create(&backwardDataPrimitive, dataDescriptor), "primitive_create")

        var weightGradient = dnnl_convolution_desc_t()
        var diffBiasDescriptor = plainBias
        // One input channel: left to choose, AVX2's kernels pad it to 8 blocked channels (8× the work,
        // 7.5 ms per seed-cnn step on Zen 3); from plain NCHW its GEMM kernel takes 4.1 ms. (fp32
        // only: bf16 keeps the layout the bf16 kernels choose.)
        var weightsSourceDescriptor = g.channels == 1 && precision == .fp32 ? plainSource : anySource
        check(dnnl_convolution_backward_weights_desc_init(&weightGradient, dnnl_convolution_direct, &weightsSourceDescriptor,
                                                          &anyGradientWeights, &diffBiasDescriptor, &anyGradientOutput,
                                                          strides, padBefore, padAfter),
              "backward_weights_desc_init")
        var weightsDescriptor: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&weightsDescriptor, &weightGradient, nil, engine, forwardDescriptor), "primitive_desc_create")
        check(dnnl_primitive_create(&backwardWeightsPrimitive, weightsDescriptor), "primitive_create")
        func same(_ a: UnsafePointer<dnnl_memory_desc_t>, _ b: UnsafePointer<dnnl_memory_desc_t>) -> Bool {
            dnnl_memory_desc_equal(a, b) != 0
        }
        let forwardSource = md(forwardDescriptor, dnnl_query_src_md), weightsSource = md(weightsDescriptor, dnnl_query_src_md)
        let dataGradient = md(dataDescriptor, dnnl_query_diff_dst_md), weightsGradient = md(weightsDescriptor, dnnl_query_diff_dst_md)
        backward = Backward(
            gradientOutputForData: Operand(plain: plainDestination, wanted: dataGradient, output: false, persistent: false),
            weightsForData: Operand(plain: plainWeights, wanted: md(dataDescriptor, dnnl_query_weights_md), output: false, persistent: false),
            gradientInput: Operand(plain: plainSource, wanted: md(dataDescriptor, dnnl_query_diff_src_md), output: true, persistent: false),
            sourceForWeights: same(forwardSource, weightsSource) ? nil
                : Operand(plain: plainSource, wanted: weightsSource, output: false, persistent: false),
            gradientOutputForWeights: same(dataGradient, weightsGradient) ? nil
                : Operand(plain: plainDestination, wanted: weightsGradient, output: false, persistent: false),
            gradientWeights: Operand(plain: plainWeights, wanted: md(weightsDescriptor, dnnl_query_diff_weights_md), output: true,
                                     persistent: false),
            gradientBias: Operand(plain: plainBias, output: true))

        dnnl_primitive_desc_destroy(forwardDescriptor)
        dnnl_primitive_desc_destroy(dataDescriptor)
        dnnl_primitive_desc_destroy(weightsDescriptor)
    }

    deinit {
        dnnl_primitive_destroy(forwardPrimitive)
        dnnl_primitive_destroy(backwardDataPrimitive)
        dnnl_primitive_destroy(backwardWeightsPrimitive)
        dnnl_stream_destroy(stream)
    }

    /// y [N, K, P, Q] = x [N, C, H, W] ⋆ w [K, C, R, S] + b [K].
    public func forward(x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>) {
        runForward(x: x, weights: w, bias: b, destination: destination.output(y)) { destination.finish(on: stream) }
    }

    /// Runs the forward primitive into `output` (the blocked copies borrowed for the call), then
    /// `landed` (still with them) before waiting for the stream.
    private func runForward(x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                            destination output: @autoclosure () -> dnnl_memory_t?, landed: () -> Void) {
        let operands = [source, weights, destination]
        operands.forEach { $0.borrowScratch() }
        defer { operands.forEach { $0.returnScratch() } }
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source.input(x, on: stream)),
                         dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weights.input(w, on: stream)),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: output())]
        if hasBias, let b { arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: bias.input(b, on: stream))) }
        run(forwardPrimitive, on: stream, arguments)
        landed()
        check(dnnl_stream_wait(stream), "stream_wait")
    }

    /// The forward pass with the output left in the kernel's channel-blocked layout (nChw8c or
    /// nChw16c), handed to `body` with its block and padded channel count; false (nothing run) when
    /// the kernel writes another layout.
    public func forwardBlocked(x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                               _ body: (_ y: UnsafePointer<Float>, _ block: Int, _ paddedChannels: Int) -> Void) -> Bool {
        guard let (block, padded) = destination.channelBlocking, backward == nil else { return false }
        runForward(x: x, weights: w, bias: b, destination: destination.blockedOutput) {
            check(dnnl_stream_wait(stream), "stream_wait")
            body(destination.scratchPointer!.assumingMemoryBound(to: Float.self), block, padded)
        }
        return true
    }

    /// The backward pass for input x [N, C, H, W] (the last `forward`'s) and output gradient dy
    /// [N, K, P, Q]: dw [K, C, R, S] and db [K] (overwritten), and dx [N, C, H, W] unless nil.
    /// dy is reordered once for both primitives when they want it in the same layout, and x not at
    /// all when the weights' primitive wants it as forward did (its blocked copy is still held).
    public func backward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?) {
        guard let b = backward else { preconditionFailure("DNNLConvolution made for inference has no backward pass") }
        let operands = [b.gradientOutputForData, b.weightsForData, b.gradientInput, b.gradientWeights]
            + [b.sourceForWeights, b.gradientOutputForWeights].compactMap { $0 }
        operands.forEach { $0.borrowScratch() }
        defer { operands.forEach { $0.returnScratch() } }
        let gradientOutput = dx == nil && b.gradientOutputForWeights != nil ? nil : b.gradientOutputForData.input(dy, on: stream)
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: b.sourceForWeights?.input(x, on: stream) ?? source.again(x)),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_DST, memory: b.gradientOutputForWeights?.input(dy, on: stream) ?? gradientOutput),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_WEIGHTS, memory: b.gradientWeights.output(dw))]
        if hasBias, let db { arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_BIAS, memory: b.gradientBias.output(db))) }
        run(backwardWeightsPrimitive, on: stream, arguments)
        b.gradientWeights.finish(on: stream)
        if hasBias { b.gradientBias.finish(on: stream) }
        if let dx {
            run(backwardDataPrimitive, on: stream,
                [dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_DST, memory: gradientOutput),
                 dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: b.weightsForData.input(w, on: stream)),
                 dnnl_exec_arg_t(arg: DNNL_ARG_DIFF_SRC, memory: b.gradientInput.output(dx))])
            b.gradientInput.finish(on: stream)
        }
        check(dnnl_stream_wait(stream), "stream_wait")
    }
}

/// Forward-only convolutions for inference, shared by every layer and thread: a caller checks one
/// out for its shape (made on first need), runs it, and returns it, so concurrent passes never share
/// an object. Layers keep no inference state; this pool is the only cache, and it is lock-guarded.
public final class DNNLInferencePool: @unchecked Sendable {
    /// The pool every inference pass uses.
    public static let shared = DNNLInferencePool()
    /// Idle objects kept at most (the oldest shapes are dropped first), bounding the pool's memory
    /// whatever batch sizes a server sees.
    public let capacity: Int

    private struct Key: Hashable {
        let batch, outputChannels: Int
        let geometry: ConvGeometry
        let hasBias: Bool
        let precision: Precision
    }
    private let lock = NSLock()
    private var idle: [(key: Key, convolution: DNNLConvolution)] = []

    /// A pool keeping up to `capacity` idle objects.
    public init(capacity: Int = 96) { self.capacity = capacity }

    /// y [N, K, P, Q] = x [N, C, H, W] ⋆ w [K, C, R, S] + b [K], on an object of this shape that no
    /// other caller is using.
    public func forward(batch: Int, geometry: ConvGeometry, outputChannels: Int, precision: Precision = .fp32,
                        x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>) {
        let key = Key(batch: batch, outputChannels: outputChannels, geometry: geometry, hasBias: bias != nil, precision: precision)
        let convolution = checkOut(key)
        convolution.forward(x: x, weights: weights, bias: bias, y: y)
        checkIn(key, convolution)
    }

    /// `DNNLConvolution.forwardBlocked` on an object of this shape that no other caller is using.
    public func forwardBlocked(batch: Int, geometry: ConvGeometry, outputChannels: Int, precision: Precision = .fp32,
                               x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               _ body: (_ y: UnsafePointer<Float>, _ block: Int, _ paddedChannels: Int) -> Void) -> Bool {
        let key = Key(batch: batch, outputChannels: outputChannels, geometry: geometry, hasBias: bias != nil, precision: precision)
        let convolution = checkOut(key)
        defer { checkIn(key, convolution) }
        return convolution.forwardBlocked(x: x, weights: weights, bias: bias, body)
    }

    private func checkOut(_ key: Key) -> DNNLConvolution {
        lock.withLock { () -> DNNLConvolution? in
            guard let i = idle.lastIndex(where: { $0.key == key }) else { return nil }
            return idle.remove(at: i).convolution
        } ?? DNNLConvolution(batch: key.batch, geometry: key.geometry, outputChannels: key.outputChannels, hasBias: key.hasBias,
                             training: false, precision: key.precision)
    }

    private func checkIn(_ key: Key, _ convolution: DNNLConvolution) {
        lock.withLock {
            idle.append((key, convolution))
            if idle.count > capacity { idle.removeFirst(idle.count - capacity) }
        }
    }

    /// Idle objects held now.
    public var idleCount: Int { lock.withLock { idle.count } }
}
#endif
