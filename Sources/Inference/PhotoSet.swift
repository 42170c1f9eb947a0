import Data
import Dispatch
import Foundation
import Models
import NN
import Preprocessing

/// A folder of labelled photos (one sub-folder per class), decoded and preprocessed into model inputs.
public struct LabelledPhotos {
    /// The folders used, each with the class indices that count as right for its photos.
    public var folders: [(name: String, accepted: [Int])]
    /// The photo files that became inputs.
    public var files: [URL]
    /// The model input of each file.
    public var inputs: [ModelInput]
    /// The folder (index into `folders`) of each input.
    public var folderOfInput: [Int]
    /// Files that could not be decoded, with the reason.
    public var failures: [(file: URL, error: String)]
    /// Folders left out: neither a class of the model nor in the class map.
    public var skippedFolders: [String]

    /// The accepted class indices of each input.
    public var accepted: [[Int]] { folderOfInput.map { folders[$0].accepted } }

    /// Loads `directory`'s class folders for `classifier`: folder names matched to class names (or
    /// mapped by `classMap`), the `subset` of each folder, decoded and preprocessed on all cores.
    public static func load(_ directory: URL, for classifier: Classifier, classMap: ClassMap?,
                            subset: ImageFolder.Subset = .all, seed: UInt64 = 1) throws -> LabelledPhotos {
        let classFolders = try ImageFolder.classFolders(directory)
        let map = try (classMap ?? ClassMap([:])).indices(folders: classFolders.map(\.name), classNames: classifier.classNames)
        var set = LabelledPhotos(folders: [], files: [], inputs: [], folderOfInput: [], failures: [], skippedFolders: [])
        var jobs: [(file: URL, folder: Int)] = []
        for folder in classFolders {
            guard let accepted = map[folder.name] else { set.skippedFolders.append(folder.name); continue }
            let files = ImageFolder.files(of: folder, subset: subset, seed: seed)
            jobs += files.map { ($0, set.folders.count) }
            set.folders.append((folder.name, accepted))
        }
        guard !set.folders.isEmpty else {
            throw ImageFolderError("\(directory.path): no folder matches a class of the model (\(classifier.classNames.joined(separator: ", "))); map them with --class-map")
        }
        let decoded = concurrentMap(jobs.map(\.file)) { file in Result { try classifier.input(photoAt: file) } }
        for (job, result) in zip(jobs, decoded) {
            switch result {
            case .success(let input):
                set.files.append(job.file)
                set.inputs.append(input)
                set.folderOfInput.append(job.folder)
            case .failure(let error):
                set.failures.append((job.file, "\(error)"))
            }
        }
        return set
    }
}

/// Accuracy of a classifier on labelled photos whose folders may accept several classes: per folder,
/// per predicted class, the confusion matrix (rows = folders, columns = classes) and the calibration error.
public struct PhotoEvaluation: Codable {
    /// One folder's figures.
    public struct Folder: Codable {
        /// The folder name.
        public var name: String
        /// The class names that count as right.
        public var accepted: [String]
        /// Photos evaluated.
        public var images: Int
        /// Fraction predicted as an accepted class.
        public var accuracy: Double
    }

    /// Fraction of photos predicted as an accepted class.
    public var accuracy: Double
    /// Mean −log of the probability given to the accepted classes together.
    public var loss: Double
    /// Expected calibration error (15 bins) of the top probability.
    public var expectedCalibrationError: Double
    /// Photos evaluated.
    public var images: Int
    /// Per-folder figures, in folder order.
    public var folders: [Folder]
    /// The model's class names (the confusion matrix's columns).
    public var classNames: [String]
    /// confusion[folder][predicted class] counts.
    public var confusion: [[Int]]
    /// Of the photos predicted as each class, the fraction whose folder accepts it (nil when none was).
    public var precision: [Double?]
    /// What `--min-confidence` would do: for each threshold, the fraction of photos still tagged and
    /// the accuracy of those tags.
    public var abstention: [Abstention]

    /// Tagging only the photos whose top probability reaches `minimumConfidence`.
    public struct Abstention: Codable {
        /// The threshold.
        public var minimumConfidence: Double
        /// Fraction of photos tagged.
        public var coverage: Double
        /// Accuracy of the tagged photos (nil when none is).
        public var accuracy: Double?

        enum CodingKeys: String, CodingKey { case minimumConfidence = "min_confidence", coverage, accuracy }
    }

    enum CodingKeys: String, CodingKey {
        case accuracy, loss, expectedCalibrationError = "ece", images, folders, classNames = "class_names", confusion, precision, abstention
    }

    /// The evaluation of `probabilities` (`photos.inputs.count × classes`) on `photos`.
    public init(_ photos: LabelledPhotos, probabilities: [Float], classNames: [String]) {
        let classes = classNames.count
        let accepted = photos.accepted
        let (confidence, correct) = Calibration.confidenceAndCorrectness(probabilities, classes: classes, accepted: accepted)
        var confusion = Array(repeating: Array(repeating: 0, count: classes), count: photos.folders.count)
        for (row, folder) in photos.folderOfInput.enumerated() {
            let p = probabilities[row * classes ..< (row + 1) * classes]
            confusion[folder][argmax(p)] += 1
        }
        images = accepted.count
        accuracy = images == 0 ? 0 : Double(correct.filter { $0 }.count) / Double(images)
        loss = Calibration.negativeLogLikelihood(probabilities, classes: classes, accepted: accepted)
        expectedCalibrationError = Calibration.expectedCalibrationError(confidence: confidence, correct: correct)
        folders = photos.folders.enumerated().map { f, folder in
            let total = confusion[f].reduce(0, +)
            let right = folder.accepted.reduce(0) { $0 + confusion[f][$1] }
            return Folder(name: folder.name, accepted: folder.accepted.map { classNames[$0] }, images: total,
                          accuracy: total == 0 ? 0 : Double(right) / Double(total))
        }
        self.classNames = classNames
        self.confusion = confusion
        precision = (0..<classes).map { c in
            let predicted = confusion.reduce(0) { $0 + $1[c] }
            let right = photos.folders.indices.filter { photos.folders[$0].accepted.contains(c) }.reduce(0) { $0 + confusion[$1][c] }
            return predicted == 0 ? nil : Double(right) / Double(predicted)
        }
        let total = accepted.count
        abstention = [0.3, 0.5, 0.7, 0.9].map { threshold in
            let kept = confidence.indices.filter { Double(confidence[$0]) >= threshold }
            let right = kept.filter { correct[$0] }.count
            return Abstention(minimumConfidence: threshold, coverage: total == 0 ? 0 : Double(kept.count) / Double(total),
                              accuracy: kept.isEmpty ? nil : Double(right) / Double(kept.count))
        }
    }

    /// A plain-text table: accuracy, loss, calibration error, per-folder accuracy and the confusion matrix.
    public func text() -> String {
        var lines = [String(format: "accuracy %.2f%%   loss %.4f   ECE %.4f   (%d photos)", accuracy * 100, loss,
                            expectedCalibrationError, images), ""]
        let width = max(12, folders.map(\.name.count).max() ?? 0)
        lines.append(padded("folder", to: width, alignRight: true) + "  images  accuracy  counts as right")
        for f in folders {
            lines.append(padded(f.name, to: width, alignRight: true)
                         + String(format: "  %6d  %7.2f%%  ", f.images, f.accuracy * 100) + f.accepted.joined(separator: ", "))
        }
        lines.append("")
        lines.append("confusion matrix (rows = folders, columns = predicted class)")
        lines.append(padded("", to: width) + classNames.indices.map { padded(String($0), to: 6, alignRight: true) }.joined())
        for (f, row) in confusion.enumerated() {
            lines.append(padded(folders[f].name, to: width) + row.map { padded(String($0), to: 6, alignRight: true) }.joined())
        }
        lines.append(padded("precision", to: width) + precision.map {
            padded($0.map { String(format: "%.2f", $0) } ?? "-", to: 6, alignRight: true)
        }.joined())
        lines.append("")
        lines.append("with --min-confidence P: " + abstention.map {
            String(format: "P %.1f tags %.1f%% at %@", $0.minimumConfidence, $0.coverage * 100,
                   $0.accuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "-")
        }.joined(separator: "; "))
        lines.append("classes: " + classNames.enumerated().map { "\($0) \($1)" }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
