#if canImport(CDNNL)
import Kernels
import Tensor
import XCTest

/// oneDNN's int8 convolution and inner product against fp32 on the same values. Inputs are
/// quantized to 7 bits (0…127): without VNNI, u8·s8 pairs summed in 16 bits saturate at 8 bits
/// (the inner product was 10–13% off with 0…255).
final class Int8Tests: XCTestCase {
    private func quantized(_ w: [Float], outputs: Int) -> (values: [Int8], scales: [Float]) {
        let per = w.count / outputs
        var values = [Int8](repeating: 0, count: w.count), scales = [Float](repeating: 1, count: outputs)
        for k in 0..<outputs {
            let largest = w[k * per ..< (k + 1) * per].map(abs).max()!
            scales[k] = 127 / largest
            for i in k * per ..< (k + 1) * per { values[i] = Int8((w[i] * scales[k]).rounded()) }
        }
        return (values, scales)
    }

    /// Largest difference relative to the largest magnitude of `reference`.
    private func relativeError(_ a: [Float], _ reference: [Float]) -> Float {
        zip(a, reference).map { abs($0 - $1) }.max()! / reference.map(abs).max()!
    }

    func testConvolutionAgreesWithFP32() {
        var g = SeededGenerator(seed: 4)
        let geometry = ConvGeometry(channels: 16, height: 10, width: 10, kernelHeight: 3, kernelWidth: 3, strideHeight: 1,
                                    strideWidth: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
        let (n, k) = (3, 24)
        let x = (0..<(n * 16 * 100)).map { _ in g.nextUnitFloat() }  // non-negative, as after a ReLU
        let w = (0..<(k * 16 * 9)).map { _ in g.nextUnitFloat() - 0.5 }
        let b = (0..<k).map { _ in g.nextUnitFloat() - 0.5 }
        let (q, scales) = quantized(w, outputs: k)
        let int8 = DNNLInt8Primitive(batch: n, geometry: geometry, outputChannels: k, hasBias: true,
                                     scales: Int8Scales(inputScale: 127 / x.max()!, weightScales: scales))
        var y = [Float](repeating: 0, count: n * k * 100), reference = y
        int8.forward(x: x, weights: q, bias: b, y: &y)
        DNNLConvolution(batch: n, geometry: geometry, outputChannels: k, hasBias: true, training: false)
            .forward(x: x, weights: w, bias: b, y: &reference)
        let error = relativeError(y, reference)
        XCTAssertGreaterThan(error, 0, int8.implementation)
        XCTAssertLessThan(error, 0.02, int8.implementation)
    }

    func testInnerProductAgreesWithFP32() {
        var g = SeededGenerator(seed: 5)
        let (n, inputs, outputs) = (5, 300, 40)
        let x = (0..<(n * inputs)).map { _ in g.nextUnitFloat() }
        let w = (0..<(outputs * inputs)).map { _ in g.nextUnitFloat() - 0.5 }
        let b = (0..<outputs).map { _ in g.nextUnitFloat() - 0.5 }
        let (q, scales) = quantized(w, outputs: outputs)
        let int8 = DNNLInt8Primitive(batch: n, inputs: inputs, outputs: outputs,
                                     scales: Int8Scales(inputScale: 127 / x.max()!, weightScales: scales))
        var y = [Float](repeating: 0, count: n * outputs)
        int8.forward(x: x, weights: q, bias: b, y: &y)
        var reference = [Float](repeating: 0, count: n * outputs)
        for i in 0..<n {
            for o in 0..<outputs {
                reference[i * outputs + o] = b[o] + (0..<inputs).reduce(0) { $0 + x[i * inputs + $1] * w[o * inputs + $1] }
            }
        }
        let error = relativeError(y, reference)
        XCTAssertGreaterThan(error, 0, int8.implementation)
        XCTAssertLessThan(error, 0.02, int8.implementation)
    }
}
#endif
