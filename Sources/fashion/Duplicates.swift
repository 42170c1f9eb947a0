import ArgumentParser
import Foundation
import Imaging
import Report
import Similarity

extension Fashion {
    /// `fashion duplicates`: identical and near-identical items in an index or between two.
    struct Duplicates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List pairs of identical items (same file bytes or pixels) and of items above a cosine threshold.",
            discussion: "Within one index, or between --index and --against (e.g. test images against training images: "
                + "duplicates across them inflate test accuracy). The default threshold and how it was chosen: docs/SIMILARITY.md.")

        @Option(help: "A catalogue index.") var index: String
        @Option(help: "A second index (same embedding): pairs of one item from each.") var against: String?
        @Option(help: "Cosine similarity at or above which two items are near-duplicates (default: 0.999 for raw pixels, 0.995 for model embeddings).")
        var threshold: Float?
        @Option(help: "Neighbours compared per item.") var neighbours = 16
        @Option(help: "Pairs listed (all with --json).") var list = 20
        @Flag(help: "One JSON object per pair: first, second, score, identical.") var json = false
        @Option(help: "Draw the most similar pairs into this PNG.") var out: String?
        @Option(help: "Pairs drawn with --out.") var examples = 12
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if let threshold, !(threshold > -1 && threshold <= 1) { throw ValidationError("--threshold must be above -1 and at most 1") }
            if neighbours < 1 || list < 0 || examples < 1 { throw ValidationError("--neighbours and --examples must be at least 1, --list at least 0") }
        }

        func run() throws {
            let directory = dataOptions.prepare()
            let first = try IndexFile.read(URL(fileURLWithPath: index))
            let second = try against.map { try IndexFile.read(URL(fileURLWithPath: $0)) }
            guard first.count > 0 else { throw UsageError("\(index): the index holds no items") }
            if let second, second.count == 0 { throw UsageError("\(against ?? ""): the index holds no items") }
            let cut = threshold ?? (first.source.model == EmbeddingSource.pixels.model ? 0.999 : 0.995)
            let started = Date()
            let pairs = try findDuplicates(in: first, against: second, threshold: cut, neighbours: neighbours)
            let other = second ?? first
            let identical = pairs.filter(\.identical).count
            if json {
                for pair in pairs {
                    let object: [String: Any] = ["first": first.ids[pair.first], "second": other.ids[pair.second],
                                                 "score": Double(pair.score), "identical": pair.identical]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
                }
            } else {
                print(String(format: "%d identical pairs, %d more at cosine ≥ %.4f (%@, %@%@; %.1f s)", identical, pairs.count - identical,
                             cut, first.source.summary, index, against.map { " against " + $0 } ?? "", Date().timeIntervalSince(started)))
                for pair in pairs.prefix(list) {
                    print(String(format: "  %.5f %@ %@  %@", pair.score, pair.identical ? "identical" : "near     ",
                                 first.ids[pair.first], other.ids[pair.second]))
                }
                if pairs.count > list { print("  … \(pairs.count - list) more (--list N, or --json for all)") }
            }
            if let out {
                var thumbnails = Thumbnails(directory: directory)
                let drawn = pairs.prefix(examples).map { pair in
                    [CaptionedPicture(picture: thumbnails.picture(first.ids[pair.first]), lines: [caption(first.ids[pair.first]), pair.identical ? "identical" : String(format: "%.4f", pair.score)]),
                     CaptionedPicture(picture: thumbnails.picture(other.ids[pair.second]), lines: [caption(other.ids[pair.second]), ""])]
                }
                let sheet = stride(from: 0, to: drawn.count, by: 3).map { Array(drawn[$0..<min(drawn.count, $0 + 3)].joined()) }
                try writePNG(neighbourSheet(sheet, groupSize: 2), to: out)
                print("picture of \(drawn.count) pairs → \(out)")
            }
        }
    }
}
