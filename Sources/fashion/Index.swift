import ApproximateSearch
import ArgumentParser
import Foundation
import Kernels
import Similarity

extension Fashion {
    /// `fashion embed`: unit embeddings of photos or dataset images, written as a catalogue file.
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed photos or dataset images: L2-normalised feature vectors of the model's embedding layer.",
            discussion: "Writes a safetensors file with `vectors` [N, D] F32, the ids, predicted labels and probabilities: "
                + "the catalogue format, so the file also serves as an index (docs/SIMILARITY.md).")

        @OptionGroup var items: ItemOptions
        @OptionGroup var embedding: EmbeddingOptions
        @Option(help: "Output file.") var out: String

        func validate() throws {
            if items.isEmpty { throw ValidationError("name photos or folders, or --split train|test") }
        }

        func run() throws {
            try buildCatalog(items: items, builder: embedding.builder(), out: out, verb: "embedded")
        }
    }

    /// `fashion index`: build and maintain a catalogue index.
    struct Index: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build, update and inspect a catalogue index for `fashion similar` and `fashion duplicates`.",
            subcommands: [Build.self, Add.self, Remove.self, Compact.self, Info.self, Bench.self])
    }
}

/// Embeds what `items` names, writes the index to `out` (and with `graph`, an HNSW graph beside
/// it; else a stale graph there is removed) and says what it did.
func buildCatalog(items: ItemOptions, builder: CatalogBuilder, out: String, verb: String, graph: GraphOptions? = nil) throws {
    let started = Date()
    let (made, failures) = try items.items(builder)
    reportFailures(failures)
    guard !made.isEmpty else { throw UsageError("no image could be embedded; \(out) not written") }
    var catalog = CatalogIndex(source: builder.source, dimension: builder.dimension)
    try catalog.add(made)
    let url = URL(fileURLWithPath: out)
    let graphURL = CatalogGraph.url(for: url)
    // A graph of the file being replaced must not outlive it (even if this run is killed).
    if FileManager.default.fileExists(atPath: graphURL.path) { try FileManager.default.removeItem(at: graphURL) }
    try IndexFile.write(catalog, to: url)
    print(String(format: "%@ %d images (%d values each, %@) in %.1f s → %@", verb, catalog.count, catalog.dimension,
                 catalog.source.summary, Date().timeIntervalSince(started), out)
          + (failures.isEmpty ? "" : "; \(failures.count) files failed"))
    if let graph {
        let started = Date()
        try graph.build(catalog).write(to: graphURL)
        print(String(format: "approximate index (HNSW, M %d, efConstruction %d) in %.1f s → %@", graph.hnswM, graph.efConstruction,
                     Date().timeIntervalSince(started), graphURL.relativePath))
    }
    if !failures.isEmpty { throw ExitCode.failure }
}

/// Freed slots are dropped when they are more than this fraction of the index.
let compactionFraction = 0.25

/// The HNSW graph beside the index at `url`, if there is one (checked against `catalog`).
func existingGraph(of url: URL, _ catalog: CatalogIndex) throws -> CatalogGraph? {
    let graphURL = CatalogGraph.url(for: url)
    guard FileManager.default.fileExists(atPath: graphURL.path) else { return nil }
    return try CatalogGraph(reading: graphURL, for: catalog)
}

/// Compacts `catalog` when freed slots pass `compactionFraction`, brings its graph (if any) up to
/// date, and writes the graph and then the index, each atomically.
func save(_ catalog: inout CatalogIndex, graph: CatalogGraph?, to url: URL) throws {
    var graph = graph
    if Double(catalog.slotCount - catalog.count) > compactionFraction * Double(catalog.slotCount) {
        catalog.compact()
        if graph != nil { graph = try CatalogGraph(building: catalog) }
    } else {
        try graph?.update(for: catalog)
    }
    try graph?.write(to: CatalogGraph.url(for: url))
    try IndexFile.write(catalog, to: url)
}

/// Settings of the approximate index (FAISS HNSW).
struct GraphOptions: ParsableArguments {
    @Option(help: "With --approximate: graph neighbours per node (HNSW M).") var hnswM = HNSWIndex.defaultNeighbours
    @Option(help: "With --approximate: candidate list while building (efConstruction).") var efConstruction = HNSWIndex.defaultEfConstruction

    func validate() throws {
        if !(4...256).contains(hnswM) { throw ValidationError("--hnsw-m must be between 4 and 256") }
        if !(8...4096).contains(efConstruction) { throw ValidationError("--ef-construction must be between 8 and 4096") }
    }

    /// The graph of `catalog` with these settings.
    func build(_ catalog: CatalogIndex) throws -> CatalogGraph {
        HNSWIndex.threads = Threads.count
        return try CatalogGraph(building: catalog, neighbours: hnswM, efConstruction: efConstruction)
    }
}

extension Fashion.Index {
    /// `fashion index build`.
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed photos or dataset images into a new catalogue index (written atomically).")

        @OptionGroup var items: ItemOptions
        @OptionGroup var embedding: EmbeddingOptions
        @Option(help: "Output index file.") var out: String
        @Flag(help: "Also build an approximate index (an HNSW graph, FAISS) beside it, OUT.hnsw, which `similar` then uses: for catalogues too large for exact search.")
        var approximate = false
        @OptionGroup var graph: GraphOptions

        func validate() throws {
            if items.isEmpty { throw ValidationError("name photos or folders, or --split train|test") }
        }

        func run() throws {
            try buildCatalog(items: items, builder: embedding.builder(), out: out, verb: "indexed", graph: approximate ? graph : nil)
        }
    }

    /// `fashion index add`.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add photos or dataset images to an index (an id already there is replaced); the file is replaced atomically.")

        @OptionGroup var index: IndexOptions
        @OptionGroup var items: ItemOptions

        func validate() throws {
            if items.isEmpty { throw ValidationError("name photos or folders, or --split train|test") }
        }

        func run() throws {
            var catalog = try index.load()
            let graph = try existingGraph(of: index.url, catalog)
            let (made, failures) = try items.items(index.builder(for: catalog))
            reportFailures(failures)
            let (added, replaced) = try catalog.add(made)
            try save(&catalog, graph: graph, to: index.url)
            print("added \(added), replaced \(replaced)\(failures.isEmpty ? "" : ", \(failures.count) failed"): \(catalog.count) items in \(index.index)")
            if !failures.isEmpty { throw ExitCode.failure }
        }
    }

    /// `fashion index remove`.
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove items by id; freed slots are reclaimed once they exceed a quarter of the index, or by `index compact`.")

        @Option(help: "A catalogue index.") var index: String
        @Argument(help: "Ids to remove (file paths as indexed, or train:N / test:N).") var ids: [String]

        func run() throws {
            let url = URL(fileURLWithPath: index)
            var catalog = try IndexFile.read(url)
            let graph = try existingGraph(of: url, catalog)
            try catalog.remove(ids)
            try save(&catalog, graph: graph, to: url)
            print("removed \(Set(ids).count): \(catalog.count) items in \(index)")
        }
    }

    /// `fashion index compact`.
    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop the slots freed by removals and rewrite the index.")

        @Option(help: "A catalogue index.") var index: String

        func run() throws {
            let url = URL(fileURLWithPath: index)
            var catalog = try IndexFile.read(url)
            let before = catalog.slotCount
            let hadGraph = FileManager.default.fileExists(atPath: CatalogGraph.url(for: url).path)
            catalog.compact()
            if hadGraph { try CatalogGraph(building: catalog).write(to: CatalogGraph.url(for: url)) }
            try IndexFile.write(catalog, to: url)
            print("dropped \(before - catalog.slotCount) freed slots: \(catalog.count) items in \(index)")
        }
    }

    /// `fashion index info`.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What an index holds: embedding, items, classes, size.")

        @Option(help: "A catalogue index.") var index: String

        func run() throws {
            let url = URL(fileURLWithPath: index)
            let catalog = try IndexFile.read(url)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            print("index: \(index) (\(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB)")
            print("embedding: \(catalog.source.summary), \(catalog.dimension) values")
            if !catalog.source.weightsPath.isEmpty { print("weights: \(catalog.source.weightsPath) sha256 \(catalog.source.weightsSHA256)") }
            print("items: \(catalog.count) (\(catalog.slotCount - catalog.count) freed slots)")
            if let graph = try existingGraph(of: url, catalog) {
                print("approximate index: \(CatalogGraph.url(for: url).relativePath), HNSW over \(graph.graph.count) slots")
            }
            let classes = catalog.source.classNames
            if !classes.isEmpty {
                var counts = [Int](repeating: 0, count: classes.count)
                for slot in 0..<catalog.slotCount where catalog.live[slot] && catalog.labels[slot] >= 0 { counts[Int(catalog.labels[slot])] += 1 }
                print("predicted classes: " + zip(classes, counts).map { "\($0) \($1)" }.joined(separator: ", "))
            }
        }
    }
}
