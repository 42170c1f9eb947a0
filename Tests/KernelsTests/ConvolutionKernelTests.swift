import Kernels
import Tensor
import XCTest

/// The im2col/GEMM convolution path against a plain six-loop reference convolution.
final class ConvolutionKernelTests: XCTestCase {
    /// y[n,k,p,q] = Σ_{c,r,s} x[n,c,p·stride−top+r, q·stride−left+s] · w[k,c,r,s] (zero outside the image).
    func referenceConvolution(_ x: [Float], _ w: [Float], batch: Int, outputChannels: Int, _ g: ConvGeometry) -> [Float] {
        var y = [Float](repeating: 0, count: batch * outputChannels * g.outputPlane)
        for n in 0..<batch { for k in 0..<outputChannels { for p in 0..<g.outputHeight { for q in 0..<g.outputWidth {
            var sum: Float = 0
            for c in 0..<g.channels { for r in 0..<g.kernelHeight { for s in 0..<g.kernelWidth {
                let h = p * g.strideHeight - g.padTop + r, v = q * g.strideWidth - g.padLeft + s
                if h >= 0 && h < g.height && v >= 0 && v < g.width {
                    sum += x[((n * g.channels + c) * g.height + h) * g.width + v]
                        * w[((k * g.channels + c) * g.kernelHeight + r) * g.kernelWidth + s]
                }
            }}}
            y[((n * outputChannels + k) * g.outputHeight + p) * g.outputWidth + q] = sum
        }}}}
        return y
    }

    func im2colConvolution(_ x: [Float], _ w: [Float], batch: Int, outputChannels: Int, _ g: ConvGeometry) -> [Float] {
        let columns = batch * g.outputPlane
        var col = [Float](repeating: .nan, count: g.patchSize * columns)
        var product = [Float](repeating: 0, count: outputChannels * columns)
        var y = [Float](repeating: .nan, count: batch * outputChannels * g.outputPlane)
        x.withUnsafeBufferPointer { xp in col.withUnsafeMutableBufferPointer { cp in
            im2col(xp.baseAddress!, images: 0..<batch, geometry: g, into: cp.baseAddress!)
        }}
        w.withUnsafeBufferPointer { wp in col.withUnsafeBufferPointer { cp in product.withUnsafeMutableBufferPointer { pp in
            sgemm(transposeA: false, transposeB: false, m: outputChannels, n: columns, k: g.patchSize,
                  a: wp.baseAddress!, lda: g.patchSize, b: cp.baseAddress!, ldb: columns, beta: 0, c: pp.baseAddress!, ldc: columns)
        }}}
        product.withUnsafeBufferPointer { pp in y.withUnsafeMutableBufferPointer { yp in
            scatterChannels(pp.baseAddress!, bias: nil, images: 0..<batch, channels: outputChannels, plane: g.outputPlane, into: yp.baseAddress!)
        }}
        return y
    }

    func check(batch: Int, _ g: ConvGeometry, outputChannels: Int = 3, file: StaticString = #filePath, line: UInt = #line) {
        var generator = SeededGenerator(seed: 5)
        let x = (0..<batch * g.inputSize).map { _ in generator.nextUnitFloat() - 0.5 }
        let w = (0..<outputChannels * g.patchSize).map { _ in generator.nextUnitFloat() - 0.5 }
        let expected = referenceConvolution(x, w, batch: batch, outputChannels: outputChannels, g)
        let actual = im2colConvolution(x, w, batch: batch, outputChannels: outputChannels, g)
        let worst = zip(expected, actual).map { abs($0 - $1) }.max() ?? .nan
        XCTAssertLessThan(worst, 1e-5, "largest difference", file: file, line: line)
    }

    func testSamePadding5x5() {
        check(batch: 2, ConvGeometry(channels: 2, height: 7, width: 6, kernelHeight: 5, kernelWidth: 5,
                                     padTop: 2, padBottom: 2, padLeft: 2, padRight: 2))
    }

    func testStride2AsymmetricPadding() {
        check(batch: 3, ConvGeometry(channels: 3, height: 8, width: 9, kernelHeight: 3, kernelWidth: 3,
                                     strideHeight: 2, strideWidth: 2, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1))
    }

    func testKernelWiderThanImageWithPadding() {
        check(batch: 1, ConvGeometry(channels: 1, height: 3, width: 2, kernelHeight: 5, kernelWidth: 5,
                                     padTop: 2, padBottom: 2, padLeft: 2, padRight: 3))
    }

    func testStride3NoPadding() {
        check(batch: 2, ConvGeometry(channels: 2, height: 10, width: 11, kernelHeight: 2, kernelWidth: 4,
                                     strideHeight: 3, strideWidth: 3))
    }

    /// col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for all x, c.
    func testCol2imIsTheAdjointOfIm2col() {
        let g = ConvGeometry(channels: 2, height: 6, width: 7, kernelHeight: 3, kernelWidth: 3,
                             strideHeight: 2, strideWidth: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
        let batch = 2, columns = batch * g.outputPlane
        var generator = SeededGenerator(seed: 9)
        let x = (0..<batch * g.inputSize).map { _ in generator.nextUnitFloat() - 0.5 }
        let c = (0..<g.patchSize * columns).map { _ in generator.nextUnitFloat() - 0.5 }
        var col = [Float](repeating: 0, count: c.count)
        var back = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in col.withUnsafeMutableBufferPointer { im2col(xp.baseAddress!, images: 0..<batch, geometry: g, into: $0.baseAddress!) } }
        c.withUnsafeBufferPointer { cp in back.withUnsafeMutableBufferPointer { col2im(cp.baseAddress!, images: 0..<batch, geometry: g, into: $0.baseAddress!) } }
        let lhs = zip(col, c).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let rhs = zip(x, back).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-4)
    }

    func testSeededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 11), b = SeededGenerator(seed: 11), c = SeededGenerator(seed: 12)
        let sa = (0..<5).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<5).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<5).map { _ in c.next() })
    }
}
