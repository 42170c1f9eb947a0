import Kernels
import Tensor
import XCTest

/// The threaded `sgemm` (split over column or row blocks) against a plain triple loop.
final class GEMMTests: XCTestCase {
    func check(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, beta: Float,
               file: StaticString = #filePath, line: UInt = #line) {
        var g = SeededGenerator(seed: UInt64(m * 7 + n * 3 + k))
        let a = (0..<m * k).map { _ in g.nextUnitFloat() - 0.5 }
        let b = (0..<k * n).map { _ in g.nextUnitFloat() - 0.5 }
        let c0 = (0..<m * n).map { _ in g.nextUnitFloat() - 0.5 }
        // Row-major storage: A is m×k (or k×m when transposed), B is k×n (or n×k).
        func aAt(_ i: Int, _ p: Int) -> Float { transposeA ? a[p * m + i] : a[i * k + p] }
        func bAt(_ p: Int, _ j: Int) -> Float { transposeB ? b[j * k + p] : b[p * n + j] }
        var expected = c0
        for i in 0..<m { for j in 0..<n {
            var sum: Double = 0
            for p in 0..<k { sum += Double(aAt(i, p)) * Double(bAt(p, j)) }
            expected[i * n + j] = Float(sum) + beta * c0[i * n + j]
        }}
        var c = c0
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                  a: ap.baseAddress!, lda: transposeA ? m : k, b: bp.baseAddress!, ldb: transposeB ? k : n,
                  beta: beta, c: cp.baseAddress!, ldc: n)
        }}}
        let worst = zip(c, expected).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-3, "m \(m) n \(n) k \(k) tA \(transposeA) tB \(transposeB)", file: file, line: line)
    }

    func testWideProductsSplitByColumns() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            check(transposeA: ta, transposeB: tb, m: 37, n: 301, k: 211, beta: 0)
            check(transposeA: ta, transposeB: tb, m: 37, n: 301, k: 211, beta: 1)
        }
    }

    func testTallProductsSplitByRows() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            check(transposeA: ta, transposeB: tb, m: 299, n: 41, k: 190, beta: 1)
        }
    }

    func testSmallOutputsWithLongInnerDimensionSplitK() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            check(transposeA: ta, transposeB: tb, m: 32, n: 25, k: 3001, beta: 0)
            check(transposeA: ta, transposeB: tb, m: 9, n: 30, k: 8011, beta: 1)
        }
    }

    func testSingleRowProductsUseMatrixVector() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            check(transposeA: ta, transposeB: tb, m: 1, n: 1024, k: 700, beta: 0)
            check(transposeA: ta, transposeB: tb, m: 1, n: 10, k: 33, beta: 1)
        }
    }

    func testSmallProductsRunUnsplit() {
        check(transposeA: false, transposeB: true, m: 3, n: 5, k: 7, beta: 0)
    }
}
