import Foundation
import Tensor

/// Finding image files: walking folders, and labelled photos in the "image folder" layout (one
/// sub-folder per class, the folder name is the label). Only paths are handled here; decoding is elsewhere.
public enum ImageFolder {
    /// File name extensions taken as images when walking a folder (lower case). Files named on the
    /// command line are always tried: their format is read from their bytes, not their name.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "jpe", "jfif", "png", "webp",
                                                      "gif", "bmp", "tif", "tiff", "heic", "heif", "avif"]

    /// Whether `url`'s name ends in an image extension.
    public static func looksLikeImage(_ url: URL) -> Bool {
        imageExtensions.contains(url.pathExtension.lowercased())
    }

    /// The image files under `directory`, recursively, sorted by path; hidden files and folders are skipped.
    public static func images(under directory: URL) throws -> [URL] {
        let manager = FileManager.default
        guard let walker = manager.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey],
                                              options: [.skipsHiddenFiles]) else {
            throw ImageFolderError("\(directory.path): cannot read the folder")
        }
        var found: [URL] = []
        for case let url as URL in walker where looksLikeImage(url) {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(url) }
        }
        return found.sorted { $0.path < $1.path }
    }

    /// The files to work on for `paths`: a folder contributes its images (recursively), a file itself.
    /// Throws for a path that does not exist, or when nothing at all is found.
    public static func expand(_ paths: [String]) throws -> [URL] {
        var files: [URL] = []
        var seen = Set<String>()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ImageFolderError("\(path): no such file or folder")
            }
            let url = URL(fileURLWithPath: path)
            let found = isDirectory.boolValue ? try images(under: url) : [url]
            if isDirectory.boolValue && found.isEmpty { throw ImageFolderError("\(path): no images in this folder") }
            for file in found where seen.insert(file.standardizedFileURL.path).inserted { files.append(file) }
        }
        return files
    }

    /// One class folder and its image files.
    public struct ClassFolder: Equatable, Sendable {
        /// The folder's name, the label.
        public var name: String
        /// Its image files, sorted.
        public var files: [URL]
    }

    /// The class folders directly under `directory` (sorted by name) with their images (recursively).
    /// Throws when the folder is missing or holds no class folder with images.
    public static func classFolders(_ directory: URL) throws -> [ClassFolder] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImageFolderError("\(directory.path): no such folder")
        }
        let entries = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isDirectoryKey],
                                                                  options: [.skipsHiddenFiles])
        var folders: [ClassFolder] = []
        for entry in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent })
        where (try? entry.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
            let files = try images(under: entry)
            if !files.isEmpty { folders.append(ClassFolder(name: entry.lastPathComponent, files: files)) }
        }
        guard !folders.isEmpty else {
            throw ImageFolderError("\(directory.path): no class folders with images (expected one sub-folder of images per class)")
        }
        return folders
    }

    /// Which part of each class folder to use: a seeded half for choosing settings (`val`), the other
    /// half for reporting (`test`), or everything.
    public enum Subset: String, CaseIterable, Sendable {
        case all, val, test
    }

    /// The files of `folder` in `subset`: the sorted files shuffled by `seed` (and the folder's name),
    /// the first half (rounded up) being `val`, the rest `test`.
    public static func files(of folder: ClassFolder, subset: Subset, seed: UInt64) -> [URL] {
        guard subset != .all else { return folder.files }
        var generator = SeededGenerator(seed: seed ^ stableHash(folder.name))
        let shuffled = folder.files.shuffled(using: &generator)
        let half = (shuffled.count + 1) / 2
        let part = subset == .val ? shuffled[..<half] : shuffled[half...]
        return part.sorted { $0.path < $1.path }
    }

    /// FNV-1a of a string's UTF-8 bytes (stable across runs, unlike `hashValue`).
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// Which model classes count as right for each folder of labelled photos.
public struct ClassMap: Equatable, Sendable {
    /// Folder name → accepted class names (several for a group, e.g. shoes → Sandal, Sneaker, Ankle boot).
    public var accepted: [String: [String]]

    /// A map given directly.
    public init(_ accepted: [String: [String]]) { self.accepted = accepted }

    /// Reads a class map: JSON `{"folder": "Class"}` or `{"folder": ["Class", …]}`, or CSV lines
    /// `folder,Class[;Class…]` (a `#` starts a comment). Throws a one-line error naming the problem.
    public static func read(_ url: URL) throws -> ClassMap {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ImageFolderError("\(url.path): cannot read the class map")
        }
        return try parse(text, file: url.path)
    }

    /// Parses the text of a class map (see `read`).
    public static func parse(_ text: String, file: String) throws -> ClassMap {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
                throw ImageFolderError("\(file): not a JSON object of folder → class name(s)")
            }
            var accepted: [String: [String]] = [:]
            for (folder, value) in object {
                if let name = value as? String {
                    accepted[folder] = [name]
                } else if let names = value as? [String], !names.isEmpty {
                    accepted[folder] = names
                } else {
                    throw ImageFolderError("\(file): '\(folder)' must map to a class name or a non-empty list of them")
                }
            }
            return ClassMap(accepted)
        }
        var accepted: [String: [String]] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let fields = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let names = fields.count == 2 ? fields[1].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } : []
            guard fields.count == 2, !fields[0].isEmpty, !names.isEmpty else {
                throw ImageFolderError("\(file):\(number + 1): expected 'folder,Class[;Class…]', got '\(line)'")
            }
            accepted[fields[0]] = names
        }
        guard !accepted.isEmpty else { throw ImageFolderError("\(file): the class map is empty") }
        return ClassMap(accepted)
    }

    /// For each folder name, the accepted class indices among `classNames`: the map's entry, else a
    /// class of the same name (ignoring case); folders with neither are left out. Throws when the map
    /// names a class the model does not have.
    public func indices(folders: [String], classNames: [String]) throws -> [String: [Int]] {
        func index(_ name: String) -> Int? {
            classNames.firstIndex(of: name) ?? classNames.firstIndex { $0.lowercased() == name.lowercased() }
        }
        var result: [String: [Int]] = [:]
        for folder in folders {
            if let names = accepted[folder] {
                result[folder] = try names.map { name in
                    guard let i = index(name) else {
                        throw ImageFolderError("class map: '\(name)' (for folder '\(folder)') is not one of the model's classes (\(classNames.joined(separator: ", ")))")
                    }
                    return i
                }
            } else if let i = index(folder) {
                result[folder] = [i]
            }
        }
        return result
    }
}

/// A folder or class map that cannot be used; the message names the path.
public struct ImageFolderError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, in one line.
    public var description: String
    public init(_ description: String) { self.description = description }
}
