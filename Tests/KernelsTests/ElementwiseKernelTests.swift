import Kernels
import Tensor
import XCTest

/// The C loops (vectorised for this CPU) give bit for bit what the plain formulas give.
final class ElementwiseKernelTests: XCTestCase {
    /// Values of every sign, zeros, and NaN, at an odd count so the vector loops' tails run too.
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        var x = (0..<count).map { _ in g.nextUnitFloat() * 4 - 2 }
        for i in stride(from: 0, to: count, by: 13) { x[i] = 0 }
        for i in stride(from: 5, to: count, by: 97) { x[i] = -0.0 }
        return x
    }

    func testTheLoaderChoseAVariant() {
        XCTAssertTrue(["avx512f", "avx2", "baseline"].contains(elementwiseInstructionSet), elementwiseInstructionSet)
    }

    func testAdamMatchesTheFormula() {
        let n = 300_001  // above one thread's minimum, so the loop is split too
        var p = values(n, seed: 1), m = values(n, seed: 3).map { $0 * 0.1 }, v = values(n, seed: 4).map { abs($0) * 0.01 }
        let g = values(n, seed: 2)
        var (pe, me, ve) = (p, m, v)
        let (lr, b1, b2, eps, c1, c2, wd): (Float, Float, Float, Float, Float, Float, Float) = (0.001, 0.9, 0.999, 1e-7, 0.19, 0.002, 0.01)
        let stepSize = lr / c1, inverseRoot = 1 / c2.squareRoot(), keep = 1 - lr * wd
        for i in 0..<n {
            me[i] = b1 * me[i] + (1 - b1) * g[i]
            ve[i] = b2 * ve[i] + (1 - b2) * g[i] * g[i]
            pe[i] = pe[i] * keep - stepSize * me[i] / (ve[i].squareRoot() * inverseRoot + eps)
        }
        adamUpdate(parameter: &p, gradient: g, firstMoment: &m, secondMoment: &v, count: n, learningRate: lr, beta1: b1,
                   beta2: b2, epsilon: eps, correction1: c1, correction2: c2, weightDecay: wd)
        XCTAssertEqual(p, pe)
        XCTAssertEqual(m, me)
        XCTAssertEqual(v, ve)
    }

    func testSGDMatchesTheFormula() {
        let n = 70_001
        let g = values(n, seed: 5)
        for (first, nesterov) in [(true, false), (false, false), (false, true)] {
            var p = values(n, seed: 6), b = values(n, seed: 7)
            var (pe, be) = (p, b)
            let (lr, mu, wd): (Float, Float, Float) = (0.05, 0.9, 5e-4)
            for i in 0..<n {
                let d = g[i] + wd * pe[i]
                be[i] = first ? d : mu * be[i] + d
                pe[i] -= lr * (nesterov ? d + mu * be[i] : be[i])
            }
            sgdUpdate(parameter: &p, gradient: g, momentumBuffer: &b, count: n, learningRate: lr, momentum: mu,
                      firstStep: first, weightDecay: wd, nesterov: nesterov)
            XCTAssertEqual(p, pe, "first \(first), nesterov \(nesterov)")
            XCTAssertEqual(b, be)
        }
    }

    func testReLUMultiplyAndAdd() {
        let n = 300_003
        var x = values(n, seed: 8)
        x[17] = .nan
        let original = x
        x.withUnsafeMutableBufferPointer { reluForward($0) }
        XCTAssertTrue(x[17].isNaN)
        for i in 0..<n where i != 17 { XCTAssertEqual(x[i].bitPattern, max(original[i], 0).bitPattern, "at \(i)") }
        var dy = values(n, seed: 9)
        let dyOriginal = dy
        dy.withUnsafeMutableBufferPointer { d in x.withUnsafeBufferPointer { reluBackward(d, output: $0) } }
        XCTAssertEqual(dy, (0..<n).map { x[$0] > 0 ? dyOriginal[$0] : 0 })
        var y = values(n, seed: 10)
        let yOriginal = y
        y.withUnsafeMutableBufferPointer { yp in dyOriginal.withUnsafeBufferPointer { add($0, into: yp) } }
        XCTAssertEqual(y, (0..<n).map { yOriginal[$0] + dyOriginal[$0] })
        y.withUnsafeMutableBufferPointer { yp in dyOriginal.withUnsafeBufferPointer { multiply(yp, by: $0) } }
        XCTAssertEqual(y, (0..<n).map { (yOriginal[$0] + dyOriginal[$0]) * dyOriginal[$0] })
    }
}
