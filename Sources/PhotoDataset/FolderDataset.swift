import Checkpoint
import Data
import Decoding
import Foundation
import Imaging
import Preprocessing

/// A shop's labelled photos as training data: one folder per class (the folder name is the class),
/// every file decoded and preprocessed once into model inputs; files that are not readable images
/// are skipped and listed.
public struct FolderDataset: Sendable {
    /// Class names in label order: the folder names, sorted.
    public var classNames: [String]
    /// Every usable photo as a model input (`channels × size × size` bytes) with its class.
    public var images: ImageSet
    /// Each image's file, relative to the dataset folder (`class/name.jpg`).
    public var files: [String]
    /// Files that were skipped, relative to the folder, with the reason.
    public var skipped: [Skipped]

    /// A file left out and why.
    public struct Skipped: Codable, Equatable, Sendable {
        /// The file, relative to the dataset folder.
        public var file: String
        /// Why it was left out, in one line.
        public var reason: String
    }

    /// How many photos each class has.
    public var classCounts: [Int] { images.classCounts(classes: classNames.count) }

    /// Loads the class folders under `directory`, preprocessing every file with `preprocessor`
    /// on all cores. With `cache`, a previous result for the same files (paths, sizes, modification
    /// times) and settings is read from it instead, and a new result is written to it.
    /// Throws a one-line error for a missing folder, fewer than two classes, an empty class
    /// folder, class names that clash, or a class with no readable photo.
    public static func load(_ directory: URL, preprocessor: Preprocessor, limits: DecodingLimits = .default,
                            cache: PhotoCache? = nil) throws -> (dataset: FolderDataset, cached: Bool) {
        if let problem = preprocessor.problem { throw ImageFolderError(problem) }
        let listing = try FolderListing(directory)
        let key = cache.map { _ in listing.key(preprocessor: preprocessor, limits: limits) }
        let side = max(1, preprocessor.size), planes = preprocessor.channels == 3 ? 3 : 1
        if let cache, let key, let found = cache.read(key: key, classNames: listing.classNames, imageShape: [planes, side, side]) {
            return (found, true)
        }

        let jobs = listing.classes.enumerated().flatMap { label, folder in folder.files.map { (file: $0, label: label) } }
        let decoded = concurrentMap(jobs.map { $0.file.url }) { url in
            Result { () throws -> ModelInput in
                let image = try ImageDecoder.decode(try ImageDecoder.read(url, limits: limits), limits: limits,
                                                    minimumSide: preprocessor.decodeMinimumSide)
                return preprocessor(image)
            }
        }
        var pixels: [UInt8] = [], labels: [Int] = [], files: [String] = [], skipped: [Skipped] = []
        for (job, result) in zip(jobs, decoded) {
            switch result {
            case .success(let input):
                pixels += input.pixels
                labels.append(job.label)
                files.append(job.file.relativePath)
            case .failure(let error):
                skipped.append(Skipped(file: job.file.relativePath, reason: "\(error)".replacingOccurrences(of: "\n", with: " ")))
            }
        }
        let dataset = FolderDataset(classNames: listing.classNames,
                                    images: ImageSet(pixels: pixels, labels: labels, channels: planes, height: side, width: side),
                                    files: files, skipped: skipped)
        let counts = dataset.classCounts
        if let empty = counts.indices.first(where: { counts[$0] == 0 }) {
            throw ImageFolderError("\(directory.path)/\(listing.classNames[empty]): none of its \(listing.classes[empty].files.count) files is a readable image")
        }
        if let cache, let key { try cache.write(dataset, key: key) }
        return (dataset, false)
    }

    /// The skipped files as text, one `file: reason` line each (for the run directory).
    public var skippedList: String { skipped.map { "\($0.file): \($0.reason)\n" }.joined() }
}

/// The class folders and files of a dataset folder, with what identifies their contents.
struct FolderListing {
    /// One regular file and what identifies its contents cheaply.
    struct File {
        var url: URL
        var relativePath: String
        var bytes: Int
        var modified: Double
    }

    /// A class folder and its files, sorted by path.
    struct ClassFolder {
        var name: String
        var files: [File]
    }

    var directory: URL
    var classes: [ClassFolder]
    var classNames: [String] { classes.map(\.name) }

    /// Lists `directory`: every non-hidden sub-folder is a class; every regular file under it
    /// (recursively, hidden ones skipped) is a candidate photo.
    init(_ directory: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImageFolderError("\(directory.path): no such folder")
        }
        self.directory = directory.standardizedFileURL
        let entries = try FileManager.default.contentsOfDirectory(at: self.directory, includingPropertiesForKeys: [.isDirectoryKey],
                                                                  options: [.skipsHiddenFiles])
        let keys: Set<URLResourceKey> = [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey]
        classes = []
        for entry in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent })
        where (try? entry.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
            guard let walker = FileManager.default.enumerator(at: entry, includingPropertiesForKeys: Array(keys),
                                                              options: [.skipsHiddenFiles]) else {
                throw ImageFolderError("\(entry.path): cannot read the folder")
            }
            var files: [File] = []
            for case let url as URL in walker {
                guard let values = try? url.resourceValues(forKeys: keys), values.isRegularFile == true else { continue }
                let relative = entry.lastPathComponent + "/" + String(url.standardizedFileURL.path.dropFirst(entry.standardizedFileURL.path.count + 1))
                files.append(File(url: url, relativePath: relative, bytes: values.fileSize ?? 0,
                                  modified: values.contentModificationDate?.timeIntervalSince1970 ?? 0))
            }
            guard !files.isEmpty else {
                throw ImageFolderError("\(entry.path): the class folder is empty (add photos of '\(entry.lastPathComponent)' or remove the folder)")
            }
            classes.append(ClassFolder(name: entry.lastPathComponent, files: files.sorted { $0.relativePath < $1.relativePath }))
        }
        guard classes.count >= 2 else {
            let found = classes.count == 1 ? "only one class folder ('\(classes[0].name)')" : "no class folders"
            throw ImageFolderError("\(directory.path): \(found); training needs at least two, one sub-folder of photos per class")
        }
        var seen: [String: String] = [:]
        for name in classNames {
            let normal = FolderListing.normalised(name)
            if let other = seen[normal] {
                throw ImageFolderError("\(directory.path): class folders '\(other)' and '\(name)' are the same class once case, spaces, '-' and '_' are ignored ('\(normal)'); rename or merge them")
            }
            seen[normal] = name
        }
    }

    /// A class name as compared for clashes: Unicode-normalised, lower case, with runs of spaces,
    /// '-', '_' and '.' folded to one '-' and trimmed.
    static func normalised(_ name: String) -> String {
        let folded = name.precomposedStringWithCompatibilityMapping.lowercased()
        var result = "", pendingDash = false
        for character in folded {
            if character.isWhitespace || "-_.".contains(character) {
                pendingDash = !result.isEmpty
            } else {
                if pendingDash { result.append("-") }
                pendingDash = false
                result.append(character)
            }
        }
        return result
    }

    /// What the cached result of these files under `preprocessor` and `limits` is filed under:
    /// the SHA-256 of the folder's path, the settings and every file's path, size and modification time.
    func key(preprocessor: Preprocessor, limits: DecodingLimits) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var text = "fashion-photo-cache 1\n\(directory.path)\n"
        text += String(decoding: (try? encoder.encode(preprocessor)) ?? Data(), as: UTF8.self) + "\n"
        text += "\(limits.maxFileBytes) \(limits.maxPixels)\n"
        for folder in classes {
            for file in folder.files { text += "\(file.relativePath)\t\(file.bytes)\t\(file.modified)\n" }
        }
        return SHA256.hex(Data(text.utf8))
    }
}
