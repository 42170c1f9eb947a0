// int8 inference through oneDNN: u8 activations × s8 weights summed in int32, fp32 outputs.
/// Post-training quantization of one convolution or dense layer: its input is quantized to u8 as
/// round(x · inputScale) (the inputs of these models are non-negative: images, or after a ReLU),
/// its weights to s8 per output channel as round(w · weightScales[k]).
public struct Int8Scales: Sendable, Equatable {
    /// u8 steps per unit of input (127 / the calibrated maximum: 7-bit inputs, see `Int8Weights`).
    public var inputScale: Float
    /// s8 steps per unit of weight, one per output channel (127 / its largest |w|).
    public var weightScales: [Float]

    /// Scales for an input of `inputScale` and per-channel `weightScales`.
    public init(inputScale: Float, weightScales: [Float]) {
        self.inputScale = inputScale
        self.weightScales = weightScales
    }

    /// What the kernels multiply each output channel's int32 sum by to get fp32 back.
    public var outputScales: [Float] { weightScales.map { 1 / (inputScale * $0) } }
}

#if canImport(CDNNL)
import CDNNL
import Foundation

/// An int8 inference primitive (convolution or inner product) with NCHW/NC fp32 input and output
/// and s8 OIHW/OI weights on the outside: the input is quantized by the reorder into the kernel's
/// layout, the output dequantized by the kernel's output scales, the bias added in fp32.
public final class DNNLInt8Primitive {
    private var primitive: dnnl_primitive_t?
    private var stream: dnnl_stream_t?
    private let source, weights, bias, destination: Operand
    private let hasBias: Bool
    /// True once the weights are in the kernel's layout.
    private var weightsReordered = false
    /// oneDNN 2 adds the bias to the int32 sums before the output scales: the bias is divided by them first.
    private let outputScales: [Float]
    /// The oneDNN implementation chosen (e.g. `jit_uni_int8:avx2`).
    public let implementation: String

    /// A convolution of input [batch, C, H, W]; its output is NCHW, or NHWC (the kernel's own
    /// layout, no reorder) with `nhwcOutput`.
    public convenience init(batch: Int, geometry g: ConvGeometry, outputChannels: Int, hasBias: Bool, scales: Int8Scales,
                            nhwcOutput: Bool = false) {
        let srcDims = [batch, g.channels, g.height, g.width]
        let weightDims = [outputChannels, g.channels, g.kernelHeight, g.kernelWidth]
        let dstDims = [batch, outputChannels, g.outputHeight, g.outputWidth]
        let strides: [Int64] = [Int64(g.strideHeight), Int64(g.strideWidth)]
        let padBefore: [Int64] = [Int64(g.padTop), Int64(g.padLeft)]
        let padAfter: [Int64] = [Int64((g.outputHeight - 1) * g.strideHeight + g.kernelHeight - g.height - g.padTop),
                                 Int64((g.outputWidth - 1) * g.strideWidth + g.kernelWidth - g.width - g.padLeft)]
        self.init(source: srcDims, weights: weightDims, destination: dstDims,
                  plain: (dnnl_nchw, dnnl_oihw, nhwcOutput ? dnnl_nhwc : dnnl_nchw),
                  hasBias: hasBias, scales: scales) { src, wei, bia, dst in
            var operation = dnnl_convolution_desc_t()
            check(dnnl_convolution_forward_desc_init(&operation, dnnl_forward_inference, dnnl_convolution_direct,
                                                     src, wei, bia, dst, strides, padBefore, padAfter), "int8 convolution_desc")
            return operation
        }
    }

    /// An inner product (dense layer) of input [batch, inputs] to `outputs` features.
    public convenience init(batch: Int, inputs: Int, outputs: Int, scales: Int8Scales) {
        self.init(source: [batch, inputs], weights: [outputs, inputs], destination: [batch, outputs], plain: (dnnl_nc, dnnl_oi, dnnl_nc),
                  hasBias: true, scales: scales) { src, wei, bia, dst in
            var operation = dnnl_inner_product_desc_t()
            check(dnnl_inner_product_forward_desc_init(&operation, dnnl_forward_inference, src, wei, bia, dst), "int8 inner_product_desc")
            return operation
        }
    }

    private init<Operation>(source srcDims: [Int], weights weightDims: [Int], destination dstDims: [Int],
                            plain tags: (activations: dnnl_format_tag_t, weights: dnnl_format_tag_t, destination: dnnl_format_tag_t),
                            hasBias: Bool,
                            scales: Int8Scales,
                            operation: (UnsafePointer<dnnl_memory_desc_t>, UnsafePointer<dnnl_memory_desc_t>,
                                        UnsafePointer<dnnl_memory_desc_t>, UnsafePointer<dnnl_memory_desc_t>) -> Operation) {
        precondition(scales.weightScales.count == weightDims[0], "one weight scale per output channel")
        self.hasBias = hasBias
        let engine = DNNLContext.shared.engine
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream_create")
        var anySource = descriptor(srcDims, dnnl_format_tag_any, dnnl_u8)
        var anyWeights = descriptor(weightDims, dnnl_format_tag_any, dnnl_s8)
        var anyDestination = descriptor(dstDims, dnnl_format_tag_any)
        var biasDescriptor = hasBias ? descriptor([weightDims[0]], dnnl_x) : dnnl_memory_desc_t()  // zero: no bias
        var described = operation(&anySource, &anyWeights, &biasDescriptor, &anyDestination)
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "attr_create")
        defer { dnnl_primitive_attr_destroy(attributes) }
        var outputScales = scales.outputScales
        self.outputScales = outputScales
        check(dnnl_primitive_attr_set_output_scales(attributes, Int64(outputScales.count), 1 << 1, &outputScales), "output_scales")
        var primitiveDescriptor: dnnl_primitive_desc_t?
        check(withUnsafeMutablePointer(to: &described) {
            dnnl_primitive_desc_create(&primitiveDescriptor, UnsafeRawPointer($0).assumingMemoryBound(to: Int8.self), attributes, engine, nil)
        }, "int8 primitive_desc_create")
        defer { dnnl_primitive_desc_destroy(primitiveDescriptor) }
        var name: UnsafePointer<CChar>?
        _ = dnnl_primitive_desc_query(primitiveDescriptor, dnnl_query_impl_info_str, 0, &name)
        implementation = name.map { String(cString: $0) } ?? "?"
        check(dnnl_primitive_create(&primitive, primitiveDescriptor), "primitive_create")
        func md(_ what: dnnl_query_t) -> UnsafePointer<dnnl_memory_desc_t> { dnnl_primitive_desc_query_md(primitiveDescriptor, what, 0) }
        source = Operand(plain: descriptor(srcDims, tags.activations), wanted: md(dnnl_query_src_md), output: false,
                         persistent: false, scale: scales.inputScale)
        // The weights are reordered on the first call only: a primitive belongs to one layer's
        // int8 weights (its pool is emptied when they change).
        weights = Operand(plain: descriptor(weightDims, tags.weights, dnnl_s8), wanted: md(dnnl_query_weights_md), output: false,
                          persistent: true)
        bias = Operand(plain: biasDescriptor, output: false)
        destination = Operand(plain: descriptor(dstDims, tags.destination), wanted: md(dnnl_query_dst_md), output: true,
                              persistent: false)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_stream_destroy(stream)
    }

    /// y = dequantized(u8(x · inputScale) ⋆ w) + b, with w the s8 weights.
    public func forward(x: UnsafePointer<Float>, weights w: UnsafePointer<Int8>, bias b: UnsafePointer<Float>?,
                        y: UnsafeMutablePointer<Float>) {
        let operands = [source, destination]
        operands.forEach { $0.borrowScratch() }
        defer { operands.forEach { $0.returnScratch() } }
        let weightMemory = weightsReordered ? weights.again(w) : weights.input(w, on: stream)
        weightsReordered = true
        var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source.input(x, on: stream)),
                         dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weightMemory),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: destination.output(y))]
        let scaledBias = hasBias && b != nil ? outputScales.indices.map { b![$0] / outputScales[$0] } : [0]
        scaledBias.withUnsafeBufferPointer { scaled in
            if hasBias, b != nil { arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: bias.input(scaled.baseAddress!, on: stream))) }
            run(primitive, on: stream, arguments)
            destination.finish(on: stream)
            check(dnnl_stream_wait(stream), "stream_wait")
        }
    }
}

/// Idle int8 primitives of one layer, by batch size and output layout: its scales are part of each
/// primitive, so a layer keeps its own (lock-guarded; a caller checks one out, runs it and returns it).
public final class DNNLInt8Pool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [[Int]: [DNNLInt8Primitive]] = [:]
    /// Idle objects kept per batch size.
    private let capacity = 4

    /// An empty pool.
    public init() {}

    /// Drops every idle primitive (their scales belong to weights that changed).
    public func removeAll() { lock.withLock { idle = [:] } }

    /// Runs `body` on an idle primitive for `batch` (NHWC output with `nhwc`; made by `make` when there is none).
    public func with(batch: Int, nhwc: Bool = false, make: () -> DNNLInt8Primitive, _ body: (DNNLInt8Primitive) -> Void) {
        let key = [batch, nhwc ? 1 : 0]
        let primitive = lock.withLock { idle[key]?.popLast() } ?? make()
        body(primitive)
        lock.withLock {
            if idle[key, default: []].count < capacity { idle[key, default: []].append(primitive) }
        }
    }
}
#endif
