import ArgumentParser
import Checkpoint
import Decoding
import Foundation
import Imaging
import Preprocessing

extension Fashion {
    /// `fashion preprocess`: draws each step from photo to model input, so a person sees what the model sees.
    struct Preprocess: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw each preprocessing step of photos side by side into a PNG (what the model sees).",
            discussion: "One row per photo and method: the decoded photo, each intermediate step, and the 28×28 input.")

        @Argument(help: "Photo files.") var photos: [String]
        @Option(help: "Output PNG file.") var out: String = "steps.png"
        @Option(help: "Pipeline to draw: photo, paper, or both (one row each) (default photo).") var method: String = "photo"
        @Option(help: "Height of each step's picture in pixels (default 112).") var cellHeight: Int = 112

        func validate() throws {
            if photos.isEmpty { throw ValidationError("name at least one photo") }
            if photos.count > 100 { throw ValidationError("at most 100 photos in one picture") }
            if !["photo", "paper", "both"].contains(method) { throw ValidationError("--method must be photo, paper or both") }
            if !(28...512).contains(cellHeight) { throw ValidationError("--cell-height must be between 28 and 512") }
        }

        func run() throws {
            let methods: [PreprocessingMethod] = method == "both" ? [.paper, .photo] : [PreprocessingMethod(rawValue: method)!]
            var rows: [[PreprocessingStep]] = []
            for path in photos {
                let image: RGBImage
                do { image = try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: path), limits: .default) } catch {
                    throw UsageError("\(path): \(error)")
                }
                for method in methods { rows.append(Preprocessor(method: method).steps(image)) }
            }
            let sheet = stepsSheet(rows, cellHeight: cellHeight)
            try writePNG(sheet, to: out)
            print("wrote \(out) (\(sheet.width)×\(sheet.height)): \(rows.count) rows of \(rows.first?.count ?? 0) steps")
        }
    }
}
