import ApproximateSearch
import ArgumentParser
import Foundation
import Kernels
import Similarity
import Training

extension Fashion.Index {
    /// `fashion index bench`: exact search speed and the index's memory.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time exact search: queries/s one query at a time and in batches, and resident memory against the raw vectors.",
            discussion: "benchmarks/reference/similarity_compare.sh runs it beside FAISS IndexFlatIP on the same vectors.")

        @Option(help: "A catalogue index.") var index: String
        @Option(help: "Queries: the live vectors of this catalogue file (default: the index's own first vectors).") var queries: String?
        @Option(help: "Queries searched one at a time.") var single = 200
        @Option(help: "Queries searched in batches.") var count = 2048
        @Option(help: "Batch size.") var batch = 256
        @Option(help: "Neighbours per query.") var k = 10
        @Flag(help: "Also time the approximate index (INDEX.hnsw, built and written first when missing): recall@k against exact search and queries/s.")
        var approximate = false
        @Option(help: "With --approximate: candidate list sizes to time, comma-separated.") var efSearch = "16,32,64,128,256"
        @OptionGroup var graphOptions: GraphOptions
        @OptionGroup var threadOptions: ThreadOptions

        func validate() throws {
            if single < 1 || count < 1 || batch < 1 || k < 1 { throw ValidationError("--single, --count, --batch and --k must be at least 1") }
            if efSearchValues == nil { throw ValidationError("--ef-search: give positive whole numbers separated by commas, e.g. 32,64,128") }
        }

        func run() throws {
            threadOptions.apply()
            let before = residentMiB()
            let catalog = try IndexFile.read(URL(fileURLWithPath: index))
            Allocator.returnFreeMemory()
            let rss = residentMiB() - before
            let source = try queries.map { try IndexFile.read(URL(fileURLWithPath: $0)) } ?? catalog
            guard source.dimension == catalog.dimension else {
                throw UsageError("queries have \(source.dimension) values, the index \(catalog.dimension)")
            }
            let slots = (0..<source.slotCount).filter { source.live[$0] }
            guard !slots.isEmpty else { throw UsageError("no query vectors") }
            func vectors(_ n: Int, from start: Int = 0) -> [Float] {
                (0..<n).flatMap { source.vector(at: slots[(start + $0) % slots.count]) }
            }
            let raw = Double(catalog.slotCount * catalog.dimension * 4) / 1_048_576
            print(String(format: "index: %d vectors × %d, raw vectors %.1f MiB, index memory (resident growth while loading) %.1f MiB (%.2f×)",
                         catalog.count, catalog.dimension, raw, rss, rss / raw))
            _ = try catalog.search(vectors(1), k: k)  // warm-up
            let one = (0..<single).map { vectors(1, from: $0) }
            var started = Date()
            for query in one { _ = try catalog.search(query, k: k) }
            var seconds = Date().timeIntervalSince(started)
            print(String(format: "single queries: %d in %.3f s, %.2f ms/query, %.1f queries/s", single, seconds,
                         seconds * 1000 / Double(single), Double(single) / seconds))
            let batches = stride(from: 0, to: count, by: batch).map { vectors(min(batch, count - $0), from: $0) }
            started = Date()
            for queries in batches { _ = try catalog.search(queries, k: k) }
            seconds = Date().timeIntervalSince(started)
            print(String(format: "batches of %d: %d queries in %.3f s, %.1f queries/s", batch, count, seconds, Double(count) / seconds))
            if approximate { try benchApproximate(catalog, queries: one) }
            print(String(format: "peak resident: %.1f MiB", Benchmark.peakResidentMiB()))
        }

        var efSearchValues: [Int]? {
            let values = efSearch.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
            return values.map { $0! }
        }

        /// Recall@k of the graph against exact search, and its single-query rate, at each efSearch.
        func benchApproximate(_ catalog: CatalogIndex, queries: [[Float]]) throws {
            let url = CatalogGraph.url(for: URL(fileURLWithPath: index))
            let graph: CatalogGraph
            if FileManager.default.fileExists(atPath: url.path) {
                graph = try CatalogGraph(reading: url, for: catalog)
            } else {
                let started = Date()
                graph = try graphOptions.build(catalog)
                try graph.write(to: url)
                print(String(format: "built the approximate index (HNSW, M %d, efConstruction %d) in %.1f s → %@",
                             graphOptions.hnswM, graphOptions.efConstruction, Date().timeIntervalSince(started), url.relativePath))
            }
            HNSWIndex.threads = Threads.count
            let fileMiB = Double((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0) / 1_048_576
            print(String(format: "approximate index file: %.1f MiB", fileMiB))
            let truth = try queries.map { Set(try catalog.search($0, k: k)[0].map(\.slot)) }
            for ef in efSearchValues ?? [] {
                var hits = 0
                let started = Date()
                for (query, exact) in zip(queries, truth) {
                    hits += try catalog.search(query, k: k, graph: graph, efSearch: ef)[0].filter { exact.contains($0.slot) }.count
                }
                let seconds = Date().timeIntervalSince(started)
                print(String(format: "approximate, efSearch %d: recall@%d %.4f, single queries %.3f ms/query, %.1f queries/s", ef, k,
                             Double(hits) / Double(queries.count * k), seconds * 1000 / Double(queries.count), Double(queries.count) / seconds))
            }
        }
    }
}

/// Resident memory now, in MiB (from /proc/self/status; 0 where there is none).
func residentMiB() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kib / 1024
}
