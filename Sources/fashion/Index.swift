import ArgumentParser
import Foundation
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

/// Embeds what `items` names, writes the index to `out` and says what it did.
func buildCatalog(items: ItemOptions, builder: CatalogBuilder, out: String, verb: String) throws {
    let started = Date()
    let (made, failures) = try items.items(builder)
    reportFailures(failures)
    guard !made.isEmpty else { throw UsageError("no image could be embedded; \(out) not written") }
    var catalog = CatalogIndex(source: builder.source, dimension: builder.dimension)
    try catalog.add(made)
    try IndexFile.write(catalog, to: URL(fileURLWithPath: out))
    print(String(format: "%@ %d images (%d values each, %@) in %.1f s → %@", verb, catalog.count, catalog.dimension,
                 catalog.source.summary, Date().timeIntervalSince(started), out)
          + (failures.isEmpty ? "" : "; \(failures.count) files failed"))
    if !failures.isEmpty { throw ExitCode.failure }
}

/// Freed slots are dropped when they are more than this fraction of the index.
let compactionFraction = 0.25

extension Fashion.Index {
    /// `fashion index build`.
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed photos or dataset images into a new catalogue index (written atomically).")

        @OptionGroup var items: ItemOptions
        @OptionGroup var embedding: EmbeddingOptions
        @Option(help: "Output index file.") var out: String

        func validate() throws {
            if items.isEmpty { throw ValidationError("name photos or folders, or --split train|test") }
        }

        func run() throws {
            try buildCatalog(items: items, builder: embedding.builder(), out: out, verb: "indexed")
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
            let (made, failures) = try items.items(index.builder(for: catalog))
            reportFailures(failures)
            let (added, replaced) = try catalog.add(made)
            let freed = catalog.slotCount - catalog.count
            if Double(freed) > compactionFraction * Double(catalog.slotCount) { catalog.compact() }
            try IndexFile.write(catalog, to: index.url)
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
            try catalog.remove(ids)
            if Double(catalog.slotCount - catalog.count) > compactionFraction * Double(catalog.slotCount) { catalog.compact() }
            try IndexFile.write(catalog, to: url)
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
            catalog.compact()
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
            let classes = catalog.source.classNames
            if !classes.isEmpty {
                var counts = [Int](repeating: 0, count: classes.count)
                for slot in 0..<catalog.slotCount where catalog.live[slot] && catalog.labels[slot] >= 0 { counts[Int(catalog.labels[slot])] += 1 }
                print("predicted classes: " + zip(classes, counts).map { "\($0) \($1)" }.joined(separator: ", "))
            }
        }
    }
}
