import ApproximateSearch
import ArgumentParser
import Checkpoint
import Data
import Foundation
import Imaging
import Inference
import Kernels
import Report
import Similarity

extension Fashion {
    /// `fashion similar`: the catalogue items most like each query.
    struct Similar: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the catalogue items most similar to photos or dataset images (exact cosine search).",
            discussion: "Queries are embedded with the weights the index was built from (their SHA-256 is checked). A query "
                + "that is itself in the index (same id) is left out of its own results. --evaluate measures "
                + "precision@k and mean average precision against the true classes instead (docs/SIMILARITY.md). A query photo "
                + "that cannot be read gets an 'Error:' line on stderr; the others are still answered, and the exit status is then 1.")

        @OptionGroup var index: IndexOptions
        @OptionGroup var items: ItemOptions
        @Option(help: "Neighbours per query.") var k = 10
        @Flag(help: "Only items whose predicted class is the query's.") var sameLabel = false
        @Flag(help: "One JSON object per query: id, label, probability, neighbours [{id, label, score}].") var json = false
        @Option(help: "Draw the first queries beside their neighbours into this PNG.") var out: String?
        @Option(help: "Queries drawn with --out.") var rows = 8
        @Flag(help: "Search exactly even when the index has an approximate graph (INDEX.hnsw).") var exact = false
        @Option(help: "Approximate search: candidate list size (more finds more true neighbours, slower).") var efSearch = HNSWIndex.defaultEfSearch
        @Flag(help: "Measure retrieval quality: precision@k by true class and mean average precision (queries: those named, else every item of the index against the rest).")
        var evaluate = false

        func validate() throws {
            if k < 1 { throw ValidationError("--k must be at least 1") }
            if rows < 1 { throw ValidationError("--rows must be at least 1") }
            if !(1...100_000).contains(efSearch) { throw ValidationError("--ef-search must be between 1 and 100000") }
            if items.isEmpty && !evaluate { throw ValidationError("name query photos or folders, or --split train|test (or --evaluate)") }
        }

        func run() throws {
            let catalog = try index.load()
            guard catalog.count > 0 else { throw UsageError("\(index.index): the index holds no items") }
            guard k <= catalog.count else { throw UsageError("--k \(k) is more than the \(catalog.count) items in \(index.index)") }
            if sameLabel && catalog.source.classNames.isEmpty {
                throw UsageError("--same-label: \(index.index) holds \(catalog.source.summary), without predicted classes")
            }
            var queries: [CatalogItem] = []
            var failed = 0
            if !items.isEmpty {
                let (made, failures) = try items.items(index.builder(for: catalog))
                reportFailures(failures)
                if made.isEmpty { throw UsageError("no query could be embedded") }
                queries = made
                failed = failures.count
            }
            let slots = catalog.slotsByID()
            if evaluate {
                try evaluateQuality(catalog, queries: queries, slots: slots)
                if failed > 0 { throw ExitCode.failure }
                return
            }
            let vectors = queries.flatMap(\.vector), labels = sameLabel ? queries.map(\.label) : nil
            let excluded = queries.map { slots[$0.id] }
            let found: [[Neighbour]]
            if !exact, let graph = try existingGraph(of: index.url, catalog) {
                HNSWIndex.threads = Threads.count
                found = try catalog.search(vectors, k: k, graph: graph, efSearch: efSearch, sameLabelAs: labels, excluding: excluded)
            } else {
                found = try catalog.search(vectors, k: k, sameLabelAs: labels, excluding: excluded)
            }
            let names = catalog.source.classNames
            func name(_ label: Int32) -> String { names.indices.contains(Int(label)) ? names[Int(label)] : "-" }
            for (query, neighbours) in zip(queries, found) {
                if json {
                    let object: [String: Any] = [
                        "id": query.id, "label": name(query.label), "probability": Double(query.probability),
                        "neighbours": neighbours.map { ["id": $0.id, "label": name($0.label), "score": Double($0.score)] as [String: Any] },
                    ]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(names.isEmpty ? query.id : String(format: "%@  (%@ %.3f)", query.id, name(query.label), query.probability))
                    if neighbours.isEmpty { print("   (no other item qualifies)") }
                    for (rank, n) in neighbours.enumerated() {
                        print(String(format: "  %2d. %.4f  %@  %@", rank + 1, n.score, name(n.label), n.id))
                    }
                }
            }
            if let out {
                var thumbnails = Thumbnails(directory: items.dataOptions.prepare())
                let sheet = zip(queries, found).prefix(rows).map { query, neighbours in
                    [CaptionedPicture(picture: thumbnails.picture(query.id), lines: ["query", caption(query.id), name(query.label)],
                                      frame: RGB(0x09, 0x69, 0xda))]
                    + neighbours.map { n in
                        CaptionedPicture(picture: thumbnails.picture(n.id), lines: [String(format: "%.3f", n.score), caption(n.id), name(n.label)],
                                         frame: names.isEmpty ? nil : (n.label == query.label ? RGB.right : RGB.wrong))
                    }
                }
                try writePNG(neighbourSheet(sheet), to: out)
                print("picture of \(min(rows, queries.count)) queries → \(out)")
            }
            if failed > 0 { throw ExitCode.failure }
        }

        /// Precision@k per true class and mAP, for the named queries or every item against the rest.
        func evaluateQuality(_ catalog: CatalogIndex, queries: [CatalogItem], slots: [String: Int]) throws {
            var classes = TrueClasses(directory: items.dataOptions.prepare())
            let itemNames = catalog.ids.indices.map { catalog.live[$0] ? classes.name(of: catalog.ids[$0]) : nil }
            let leaveOneOut = queries.isEmpty
            let queryIDs = leaveOneOut ? catalog.ids.indices.filter { catalog.live[$0] }.map { catalog.ids[$0] } : queries.map(\.id)
            let queryNames = queryIDs.map { classes.name(of: $0) }
            let seen = Set((itemNames + queryNames).compactMap { $0 })
            // The index's class order (the dataset's for raw pixels) when the true classes are its classes, else alphabetical.
            let order = catalog.source.classNames.isEmpty ? FashionMNIST.classNames : catalog.source.classNames
            let known = seen.isSubset(of: order) ? order.filter(seen.contains) : seen.sorted()
            guard !known.isEmpty, queryNames.allSatisfy({ $0 != nil }) else {
                throw UsageError("--evaluate needs true classes: dataset ids (train:N, test:N) or photos in class folders")
            }
            let code = Dictionary(uniqueKeysWithValues: known.enumerated().map { ($1, $0) })
            let vectors = leaveOneOut ? queryIDs.flatMap { catalog.vector(at: slots[$0]!) } : queries.flatMap(\.vector)
            let started = Date()
            let quality = RetrievalQuality.measure(
                index: catalog, queries: vectors, queryClasses: queryNames.map { code[$0!]! },
                itemClasses: itemNames.map { $0.flatMap { code[$0] } ?? -1 }, classCount: known.count, k: k,
                excluding: queryIDs.map { slots[$0] })
            print("retrieval quality of \(catalog.source.summary): \(queryIDs.count) queries against \(catalog.count) items"
                  + (leaveOneOut ? " (each item against the rest)" : ""))
            let width = max(12, known.map(\.count).max() ?? 0)
            func padded(_ text: String) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
            print(padded("class") + "  queries     P@\(k)")
            for (c, className) in known.enumerated() where quality.queriesByClass[c] > 0 {
                print(padded(className) + String(format: "  %7d  %8.4f", quality.queriesByClass[c], quality.precisionByClass[c] ?? 0))
            }
            print(String(format: "precision@%d %.4f, mean average precision %.4f (%.1f s)", k, quality.precision,
                         quality.meanAveragePrecision, Date().timeIntervalSince(started)))
        }
    }
}

/// The true class of an item from its id: the dataset label of `train:N` / `test:N`, else the
/// photo's folder name.
struct TrueClasses {
    let directory: URL
    private var labels: [String: [Int]] = [:]

    init(directory: URL) { self.directory = directory }

    mutating func name(of id: String) -> String? {
        let parts = id.split(separator: ":", maxSplits: 1).map(String.init)
        if parts.count == 2, let split = DatasetSplit(rawValue: parts[0]), let index = Int(parts[1]) {
            if labels[split.rawValue] == nil { labels[split.rawValue] = (try? FashionMNIST.load(split.part, from: directory))?.labels ?? [] }
            guard let all = labels[split.rawValue], all.indices.contains(index) else { return nil }
            return FashionMNIST.classNames[all[index]]
        }
        let folder = URL(fileURLWithPath: id).deletingLastPathComponent().lastPathComponent
        return folder.isEmpty || folder == "." || folder == "/" ? nil : folder
    }
}

/// The last path component of a photo id, or the dataset id, shortened to 18 characters.
func caption(_ id: String) -> String {
    let name = id.contains("/") ? URL(fileURLWithPath: id).lastPathComponent : id
    return name.count > 18 ? String(name.prefix(8)) + ".." + String(name.suffix(8)) : name
}
