import Data
import Foundation
import Imaging
import PhotoDataset
import Preprocessing
import TestSupport
import XCTest

final class FolderDatasetTests: XCTestCase {
    let colour = Preprocessor(method: .letterbox, size: 16, channels: 3)

    func testLoadsClassFoldersSkipsBadFilesAndListsThem() throws {
        let folder = try ShopPhotos.make(in: TestSupport.temporaryDirectory(), perClass: 5)
        try Data("not a photo".utf8).write(to: folder.appendingPathComponent("hat/notes.txt"))
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2]).write(to: folder.appendingPathComponent("skirt/cut.jpg"))
        try Data("hidden".utf8).write(to: folder.appendingPathComponent("hat/.DS_Store"))
        let (dataset, cached) = try FolderDataset.load(folder, preprocessor: colour)
        XCTAssertFalse(cached)
        XCTAssertEqual(dataset.classNames, ShopPhotos.classes)
        XCTAssertEqual(dataset.classCounts, [5, 5, 5])
        XCTAssertEqual(dataset.images.channels, 3)
        XCTAssertEqual(dataset.images.height, 16)
        XCTAssertEqual(dataset.files.first, "hat/hat-000.png")
        XCTAssertEqual(dataset.skipped.map(\.file), ["hat/notes.txt", "skirt/cut.jpg"], "hidden files are not photos")
        XCTAssertTrue(dataset.skippedList.hasPrefix("hat/notes.txt: "), dataset.skippedList)
        // A red disk on a beige floor: the first plane (red) is brighter than the third (blue) at the centre.
        let plane = 16 * 16, centre = 8 * 16 + 8
        XCTAssertGreaterThan(Int(dataset.images.pixels[centre]), Int(dataset.images.pixels[2 * plane + centre]) + 80)
    }

    func testSecondLoadComesFromTheCacheUntilAFileChanges() throws {
        let root = try TestSupport.temporaryDirectory()
        let folder = try ShopPhotos.make(in: root.appendingPathComponent("shop"), perClass: 4)
        let cache = PhotoCache(directory: root.appendingPathComponent("cache"))
        let first = try FolderDataset.load(folder, preprocessor: colour, cache: cache)
        XCTAssertFalse(first.cached)
        let second = try FolderDataset.load(folder, preprocessor: colour, cache: cache)
        XCTAssertTrue(second.cached)
        XCTAssertEqual(second.dataset.images.pixels, first.dataset.images.pixels)
        XCTAssertEqual(second.dataset.images.labels, first.dataset.images.labels)
        XCTAssertEqual(second.dataset.files, first.dataset.files)
        XCTAssertFalse(try FolderDataset.load(folder, preprocessor: Preprocessor(method: .letterbox, size: 12, channels: 3), cache: cache).cached,
                       "other settings are another entry")
        // A photo replaced by another: its size and time change, so the cache is not used.
        let changed = folder.appendingPathComponent("hat/hat-000.png")
        try FileManager.default.removeItem(at: changed)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("skirt/skirt-001.png"), to: changed)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: changed.path)
        let third = try FolderDataset.load(folder, preprocessor: colour, cache: cache)
        XCTAssertFalse(third.cached)
        XCTAssertNotEqual(third.dataset.images.pixels, first.dataset.images.pixels)
        // A damaged cache file is rebuilt, not trusted.
        for file in try FileManager.default.contentsOfDirectory(at: cache.directory, includingPropertiesForKeys: nil) {
            try Data("garbage".utf8).write(to: file)
        }
        let rebuilt = try FolderDataset.load(folder, preprocessor: colour, cache: cache)
        XCTAssertFalse(rebuilt.cached)
        XCTAssertEqual(rebuilt.dataset.images.pixels, third.dataset.images.pixels)
    }

    func testBadFoldersAreRefusedWithOneLine() throws {
        let root = try TestSupport.temporaryDirectory()
        func refusal(_ folder: URL) -> String {
            do {
                _ = try FolderDataset.load(folder, preprocessor: colour)
                return "(loaded)"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal(root.appendingPathComponent("missing")).contains("no such folder"))
        let one = try ShopPhotos.make(in: root.appendingPathComponent("one"), perClass: 2)
        for name in ShopPhotos.classes.dropFirst() { try FileManager.default.removeItem(at: one.appendingPathComponent(name)) }
        XCTAssertTrue(refusal(one).contains("only one class folder ('hat')"), refusal(one))
        let empty = try ShopPhotos.make(in: root.appendingPathComponent("empty"), perClass: 2)
        try FileManager.default.createDirectory(at: empty.appendingPathComponent("shoes"), withIntermediateDirectories: true)
        XCTAssertTrue(refusal(empty).contains("shoes: the class folder is empty"), refusal(empty))
        let clash = try ShopPhotos.make(in: root.appendingPathComponent("clash"), perClass: 2)
        try FileManager.default.copyItem(at: clash.appendingPathComponent("hat"), to: clash.appendingPathComponent("Hat "))
        XCTAssertTrue(refusal(clash).contains("'Hat ' and 'hat' are the same class"), refusal(clash))
        let unreadable = try ShopPhotos.make(in: root.appendingPathComponent("unreadable"), perClass: 2)
        for file in try FileManager.default.contentsOfDirectory(at: unreadable.appendingPathComponent("skirt"), includingPropertiesForKeys: nil) {
            try Data("x".utf8).write(to: file)
        }
        XCTAssertTrue(refusal(unreadable).contains("skirt: none of its 2 files is a readable image"), refusal(unreadable))
    }

    func testStratifiedSplitIsSeededAndKeepsEveryClass() throws {
        let labels = Array(repeating: 0, count: 50) + Array(repeating: 1, count: 10) + Array(repeating: 2, count: 2)
        let set = ImageSet(pixels: [UInt8](repeating: 0, count: labels.count), labels: labels, height: 1, width: 1)
        let (train, validation) = try set.stratifiedSplit(.fraction(0.2), classes: 3, seed: 7)
        XCTAssertEqual(Set(train).union(validation), Set(0 ..< labels.count))
        XCTAssertTrue(Set(train).isDisjoint(with: validation))
        XCTAssertEqual(validation.map { labels[$0] }.reduce(into: [0, 0, 0]) { $0[$1] += 1 }, [10, 2, 1],
                       "20% of each class, at least one, never all")
        XCTAssertEqual(try set.stratifiedSplit(.fraction(0.2), classes: 3, seed: 7).validation, validation)
        XCTAssertNotEqual(try set.stratifiedSplit(.fraction(0.2), classes: 3, seed: 8).validation, validation)
        let counted = try set.stratifiedSplit(.count(31), classes: 3, seed: 1).validation
        XCTAssertEqual(counted.count, 31)
        XCTAssertEqual(counted.map { labels[$0] }.reduce(into: [0, 0, 0]) { $0[$1] += 1 }, [25, 5, 1])
        XCTAssertEqual(try set.stratifiedSplit(.fraction(0), classes: 3, seed: 1).validation, [])
        XCTAssertThrowsError(try set.stratifiedSplit(.count(62), classes: 3, seed: 1))
        XCTAssertEqual(try ValidationSize(0.25), .fraction(0.25))
        XCTAssertEqual(try ValidationSize(600), .count(600))
        XCTAssertThrowsError(try ValidationSize(2.5))
        XCTAssertThrowsError(try ValidationSize(-1))
    }
}
