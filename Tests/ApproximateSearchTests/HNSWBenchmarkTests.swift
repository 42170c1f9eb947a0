import ApproximateSearch
import CBLAS
import Foundation
import XCTest

/// The measurement behind HNSWIndex's defaults (docs/APPROXIMATE_SEARCH.md); skipped unless
/// FASHION_HNSW_BENCH=1. Run it in release (1M vectors near a 16-d subspace at the defaults: about
/// 10 minutes and 1.9 GB on 2 cores; uniform ones at M 32, efConstruction 80: about an hour):
///
///     FASHION_HNSW_BENCH=1 FASHION_HNSW_LATENT=16 swift test -c release -Xswiftc -enable-testing \
///         --filter HNSWBenchmarkTests
///
/// FASHION_HNSW_COUNT (1000000), FASHION_HNSW_M, FASHION_HNSW_EF_CONSTRUCTION (the index
/// defaults), FASHION_HNSW_EF_SEARCH ("16,32,…,2048"), FASHION_HNSW_THREADS (2) and
/// FASHION_HNSW_LATENT (0: uniform on the sphere; L: near an L-dimensional subspace) change the run.
/// It prints build time, file size, recall@10 against exact search and single-query rates.
final class HNSWBenchmarkTests: XCTestCase {
    func testRecallAndSingleQueryRateAgainstExactSearch() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["FASHION_HNSW_BENCH"] == "1" else { throw XCTSkip("set FASHION_HNSW_BENCH=1 to measure") }
        func setting(_ name: String, _ fallback: Int) -> Int { environment[name].flatMap { Int($0) } ?? fallback }
        let n = setting("FASHION_HNSW_COUNT", 1_000_000)
        let m = setting("FASHION_HNSW_M", HNSWIndex.defaultNeighbours)
        let efConstruction = setting("FASHION_HNSW_EF_CONSTRUCTION", HNSWIndex.defaultEfConstruction)
        let efSearches = (environment["FASHION_HNSW_EF_SEARCH"] ?? "16,32,64,128,256,512,1024,2048").split(separator: ",")
            .compactMap { Int($0) }
        let threads = setting("FASHION_HNSW_THREADS", 2)
        let latent = setting("FASHION_HNSW_LATENT", 0)
        let d = 128, k = 10, nq = 200
        HNSWIndex.threads = threads
        Vectors.prepareBLAS()
        openblas_set_num_threads(Int32(threads))  // the exact search's own threads, for this measurement
        defer { openblas_set_num_threads(1) }  // as the engine keeps it, for the tests that follow
        func say(_ line: String) { print("hnsw-bench: \(line)"); fflush(stdout) }
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        /// Wall-clock and process CPU seconds (the CPU time is what counts on a shared machine).
        func times(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
            let cpu = processCPUSeconds()
            let wall = try seconds(body)
            return (wall, processCPUSeconds() - cpu)
        }
        say("n \(n) d \(d) M \(m) efConstruction \(efConstruction) threads \(threads) data "
            + (latent > 0 ? "near a \(latent)-d subspace" : "uniform on the sphere"))

        var vectors: [Float] = [], queries: [Float] = []
        let made = seconds {
            if latent > 0 {
                vectors = Vectors.nearSubspace(n, dimension: d, latent: latent, seed: 11, basisSeed: 13)
                queries = Vectors.nearSubspace(nq, dimension: d, latent: latent, seed: 12, basisSeed: 13)
            } else {
                vectors = Vectors.randomUnit(n, dimension: d, seed: 11)
                queries = Vectors.randomUnit(nq, dimension: d, seed: 12)
            }
        }
        say(String(format: "random unit vectors made in %.1f s", made))

        let index = try HNSWIndex(dimension: d, neighbours: m, efConstruction: efConstruction)
        let built = try times { try index.add(vectors) }
        say(String(format: "build %.1f s wall, %.1f s CPU (%.0f vectors/s)", built.wall, built.cpu,
                   Double(n) / built.wall))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hnsw-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("index.faiss")
        let wrote = try seconds { try index.write(to: url) }
        let bytes = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        var read: HNSWIndex?
        let readTime = try seconds { read = try HNSWIndex.read(from: url, dimension: d) }
        say(String(format: "file %.1f MiB (vectors alone %.1f MiB), write %.2f s, checked read %.2f s",
                   Double(bytes) / 1_048_576, Double(n * d * 4) / 1_048_576, wrote, readTime))

        var exact: [Int] = []
        let exactBatch = seconds { exact = Vectors.exactTopK(queries: queries, vectors: vectors, dimension: d, k: k) }
        say(String(format: "exact top-%d of %d queries by sgemm: %.2f s", k, nq, exactBatch))

        // Exact search one query at a time: sgemv over every vector, then the top k.
        let exactQueries = 20
        var scores = [Float](repeating: 0, count: n)
        var exactSingle: [Int] = []
        let exactTime = times {
            for q in 0..<exactQueries {
                let query = Array(queries[q * d..<(q + 1) * d])
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(d), 1, vectors, Int32(d), query, 1, 0,
                            &scores, 1)
                exactSingle += Vectors.topK(scores, from: 0, count: n, k: k)
            }
        }
        // sgemv and sgemm may round differently, which can only swap near-ties.
        XCTAssertGreaterThanOrEqual(
            Vectors.recall(approximate: exactSingle, exact: Array(exact[0..<exactQueries * k]), k: k), 0.99)
        let exactRate = Double(exactQueries) / exactTime.wall, exactCPU = exactTime.cpu / Double(exactQueries)
        say(String(format: "exact single-query (sgemv + top-%d): %.1f queries/s, %.2f ms wall, %.2f ms CPU each",
                   k, exactRate, 1000 / exactRate, 1000 * exactCPU))

        for ef in efSearches {
            var ids: [Int] = []
            let computed = HNSWIndex.distanceComputations
            let single = try times {
                for q in 0..<nq { ids += try index.search(Array(queries[q * d..<(q + 1) * d]), k: k, efSearch: ef).ids }
            }
            let perQuery = Double(HNSWIndex.distanceComputations - computed) / Double(nq)
            var batchIds: [Int] = []
            let batch = try seconds { batchIds = try index.search(queries, k: k, efSearch: ef).ids }
            XCTAssertEqual(batchIds, ids)
            if let read { XCTAssertEqual(try read.search(queries, k: k, efSearch: ef).ids, ids) }
            let recall = Vectors.recall(approximate: ids, exact: exact, k: k)
            let rate = Double(nq) / single.wall, cpu = single.cpu / Double(nq)
            say(String(format: "efSearch %4d: recall@10 %.4f, %.0f distances/query (%.2f%% of n), single-query %.0f queries/s (%.3f ms wall, %.3f ms CPU; %.1f× exact by wall, %.1f× by CPU), batch of %d %.0f queries/s",
                       ef, recall, perQuery, 100 * perQuery / Double(n), rate, 1000 / rate, 1000 * cpu,
                       rate / exactRate, exactCPU / cpu, nq, Double(nq) / batch))
        }
        say("peak RSS \(peakResidentMiB()) MiB")
    }

    /// CPU seconds of every thread of this process so far.
    func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// VmHWM from /proc/self/status, in MiB (0 where there is none).
    func peakResidentMiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kB = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return kB / 1024
    }
}
