// Matrix products through the platform BLAS: OpenBLAS (cblas.h) on Linux,
// Accelerate on macOS. All matrices are row-major.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
#if canImport(CDNNL)
import CDNNL
#endif

/// Row-major single-precision matrix product `C = alpha * op(A) * op(B) + beta * C`,
/// where op(A) is m×k, op(B) is k×n and C is m×n.
///
/// The BLAS itself runs single-threaded; the product is split into blocks of C's columns
/// (or rows, when C is tall and narrow, or of the inner dimension when C is small)
/// computed on `Threads.count` threads. Keeping all
/// threading in one place stops idle BLAS worker threads from spinning against the
/// engine's own parallel loops on a small machine.
public func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 1 {
        rowTimesMatrix(transposeA, transposeB, n, k, alpha, a, lda, b, ldb, beta, c)
        return
    }
    let threads = Threads.count
    let work = m * n * k
    // Below ~2 M multiply-adds a split costs more than it saves.
    guard threads > 1, work >= 1 << 21 else {
        sgemmSerial(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    if max(m, n) >= 32 * threads {
        if n >= m {
            // Column block j0..<j1 of C needs column block j0..<j1 of op(B).
            parallelFor(n / 16) { blocks in
                let j0 = blocks.lowerBound * 16
                let j1 = blocks.upperBound == n / 16 ? n : blocks.upperBound * 16
                sgemmSerial(transposeA, transposeB, m, j1 - j0, k, alpha, a, lda,
                            transposeB ? b + j0 * ldb : b + j0, ldb, beta, c + j0, ldc)
            }
        } else {
            // Row block i0..<i1 of C needs row block i0..<i1 of op(A).
            parallelFor(m / 16) { blocks in
                let i0 = blocks.lowerBound * 16
                let i1 = blocks.upperBound == m / 16 ? m : blocks.upperBound * 16
                sgemmSerial(transposeA, transposeB, i1 - i0, n, k, alpha,
                            transposeA ? a + i0 : a + i0 * lda, lda, b, ldb, beta, c + i0 * ldc, ldc)
            }
        }
        return
    }
    // C is small and the inner dimension long (e.g. a weight gradient summed over a batch):
    // each thread sums its share of k into its own partial C, then the partials are added.
    var partials = [Float](repeating: 0, count: threads * m * n)
    partials.withUnsafeMutableBufferPointer { partial in
        parallelFor(threads) { ts in
            for t in ts {
                let p0 = k * t / threads, p1 = k * (t + 1) / threads
                sgemmSerial(transposeA, transposeB, m, n, p1 - p0, alpha,
                            transposeA ? a + p0 * lda : a + p0, lda,
                            transposeB ? b + p0 : b + p0 * ldb, ldb,
                            0, partial.baseAddress! + t * m * n, n)
            }
        }
        for i in 0..<m {
            for j in 0..<n {
                var sum = beta == 0 ? 0 : beta * c[i * ldc + j]
                for t in 0..<threads { sum += partial[(t * m + i) * n + j] }
                c[i * ldc + j] = sum
            }
        }
    }
}

/// The one-row case (a single image through a dense layer) as matrix-vector products, which
/// read B once instead of packing it as GEMM does: cᵀ = op(B)ᵀ · aᵀ, split over C's columns.
private func rowTimesMatrix(
    _ transposeA: Bool, _ transposeB: Bool, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>
) {
    let aStride = Int32(transposeA ? lda : 1)
    parallelFor(n, minimumPerThread: n * k >= 1 << 18 ? 64 : n) { columns in
        let j0 = columns.lowerBound, count = Int32(columns.count)
        if transposeB {
            // B is stored [n, k]: c[j] = Σ_p B[j, p] · a[p].
            cblas_sgemv(CblasRowMajor, CblasNoTrans, count, Int32(k), alpha, b + j0 * ldb, Int32(ldb),
                        a, aStride, beta, c + j0, 1)
        } else {
            // B is stored [k, n]: c[j] = Σ_p B[p, j] · a[p].
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), count, alpha, b + j0, Int32(ldb),
                        a, aStride, beta, c + j0, 1)
        }
    }
}

@inline(__always)
private func sgemmSerial(
    _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
) {
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}

/// Thread settings for the engine's parallel loops and oneDNN (the BLAS itself is kept single-threaded).
///
/// A process-wide setting made at start-up (`--threads`); reads and writes are lock-guarded, so
/// concurrent inference passes may read it while nothing changes it.
public enum Threads {
    /// The number of threads kernels use (default: all cores).
    public static var count: Int { setting.withLock { $0 } }

    /// Use `n` threads in the engine's loops and matrix products (1 disables parallelism).
    public static func set(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1")
        setting.withLock { $0 = n }
        #if canImport(CDNNL)
        omp_set_num_threads(Int32(n))  // oneDNN's threads
        #endif
    }

    /// Gives OpenMP on the calling thread the same count. OpenMP's setting belongs to the thread that
    /// makes it, so a thread other than the one that called `set` (a server's inference thread)
    /// calls this before it runs oneDNN primitives.
    public static func applyToCurrentThread() {
        #if canImport(CDNNL)
        omp_set_num_threads(Int32(count))
        #endif
    }

    /// Made on first use, which also configures the BLAS.
    private static let setting = LockedValue(defaultCount())

    private static func defaultCount() -> Int {
        #if !canImport(Accelerate)
        BLASCore.repairFallback()
        openblas_set_num_threads(1)
        #endif
        return ProcessInfo.processInfo.activeProcessorCount
    }
}

/// A value behind a lock: the engine's process-wide settings, readable from any thread.
public final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// A lock around `value`.
    public init(_ value: Value) { self.value = value }

    /// Runs `body` on the value while holding the lock.
    public func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

import Foundation
import Dispatch

/// Runs `body` over `0..<count` split into contiguous blocks, one per thread
/// (`Threads.count` threads). `body` must only write memory no other block writes.
public func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = min(Threads.count, max(1, count / max(1, minimumPerThread)))
    if threads <= 1 || count <= 1 {
        body(0..<count)
        return
    }
    withoutActuallyEscaping(body) { body in
        let work = ParallelWork(count: count, threads: threads, body: body)
        #if canImport(CDNNL)
        // On OpenMP's threads, which oneDNN also uses.
        GOMP_parallel({ context in
            Unmanaged<ParallelWork>.fromOpaque(context!).takeUnretainedValue().run(Int(omp_get_thread_num()))
        }, Unmanaged.passUnretained(work).toOpaque(), UInt32(threads), 0)
        #else
        DispatchQueue.concurrentPerform(iterations: threads) { work.run($0) }
        #endif
    }
}

/// One parallel loop: which block thread `t` runs.
private final class ParallelWork {
    let count, threads: Int
    let body: (Range<Int>) -> Void

    init(count: Int, threads: Int, body: @escaping (Range<Int>) -> Void) {
        self.count = count
        self.threads = threads
        self.body = body
    }

    func run(_ t: Int) {
        let start = count * t / threads, end = count * (t + 1) / threads
        if start < end { body(start..<end) }
    }
}

#if canImport(CMalloc)
import CMalloc
#endif

/// Process-wide memory settings for training.
public enum Allocator {
    /// Keeps large tensors on the heap instead of fresh `mmap`s: glibc otherwise maps (and the
    /// kernel zero-fills, page by page) a new region for every multi-megabyte activation.
    public static func keepLargeBlocks() {
        #if canImport(CMalloc)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }

    /// Hands freed heap memory back to the system (after loading a large file, whose parsing
    /// leaves freed buffers that `keepLargeBlocks` would otherwise keep resident).
    public static func returnFreeMemory() {
        #if canImport(CMalloc)
        _ = malloc_trim(0)
        #endif
    }
}
