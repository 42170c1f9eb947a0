@testable import Data
import Foundation
import TestSupport
import XCTest

/// Walking folders for images, class folders, their seeded halves, and class maps.
final class ImageFolderTests: XCTestCase {
    func touch(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([0]).write(to: url)
    }

    func testWalksFoldersForImageNamesOnly() throws {
        let root = try TestSupport.temporaryDirectory()
        for name in ["b.JPG", "a.png", "sub/c.webp", "sub/deeper/d.jpeg", "LICENSE", "notes.txt", ".hidden.jpg", "g.gif"] {
            try touch(root.appendingPathComponent(name))
        }
        let found = try ImageFolder.images(under: root).map { String($0.path.dropFirst(root.path.count + 1)) }
        XCTAssertEqual(found, ["a.png", "b.JPG", "g.gif", "sub/c.webp", "sub/deeper/d.jpeg"])
        // Files named directly are kept whatever their name; duplicates once.
        let license = root.appendingPathComponent("LICENSE").path
        XCTAssertEqual(try ImageFolder.expand([license, license]).count, 1)
        XCTAssertThrowsError(try ImageFolder.expand([root.appendingPathComponent("missing").path])) {
            XCTAssertTrue("\($0)".contains("no such file or folder"))
        }
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder.expand([empty.path])) { XCTAssertTrue("\($0)".contains("no images")) }
    }

    func testClassFoldersAndTheirSeededHalves() throws {
        let root = try TestSupport.temporaryDirectory()
        for i in 0..<7 { try touch(root.appendingPathComponent("shoes/\(i).jpg")) }
        for i in 0..<4 { try touch(root.appendingPathComponent("dress/\(i).jpg")) }
        try touch(root.appendingPathComponent("README.md"))
        let folders = try ImageFolder.classFolders(root)
        XCTAssertEqual(folders.map(\.name), ["dress", "shoes"])
        for folder in folders {
            let val = ImageFolder.files(of: folder, subset: .val, seed: 1), test = ImageFolder.files(of: folder, subset: .test, seed: 1)
            XCTAssertEqual(val.count, (folder.files.count + 1) / 2)
            XCTAssertEqual(Set(val + test), Set(folder.files), "the halves cover the folder")
            XCTAssertTrue(Set(val).isDisjoint(with: test))
            XCTAssertEqual(val, ImageFolder.files(of: folder, subset: .val, seed: 1), "same seed, same half")
        }
        let shoes = folders[1]
        XCTAssertNotEqual((1...5).map { ImageFolder.files(of: shoes, subset: .val, seed: $0) }.count { $0 == ImageFolder.files(of: shoes, subset: .val, seed: 1) }, 5,
                          "other seeds give other halves")
        XCTAssertThrowsError(try ImageFolder.classFolders(root.appendingPathComponent("shoes"))) {
            XCTAssertTrue("\($0)".contains("no class folders"))
        }
    }

    func testClassMapsInCSVAndJSON() throws {
        let classes = ["T-shirt/top", "Trouser", "Sandal", "Sneaker", "Ankle boot"]
        let csv = try ClassMap.parse("# folder,classes\nshoes,Sandal;Sneaker; Ankle boot\npants,Trouser\n", file: "map.csv")
        let json = try ClassMap.parse(#"{"shoes": ["Sandal", "Sneaker", "Ankle boot"], "pants": "Trouser"}"#, file: "map.json")
        XCTAssertEqual(csv, json)
        let indices = try csv.indices(folders: ["shoes", "pants", "trouser", "hat"], classNames: classes)
        XCTAssertEqual(indices, ["shoes": [2, 3, 4], "pants": [1], "trouser": [1]], "unmapped folders match class names, ignoring case; others are left out")
        XCTAssertThrowsError(try ClassMap.parse("shoes,Boots\n", file: "m").indices(folders: ["shoes"], classNames: classes)) {
            XCTAssertTrue("\($0)".contains("'Boots'"))
        }
        for bad in ["shoes", "shoes,", ",Sandal", "", "{\"shoes\": 3}", "{not json"] {
            XCTAssertThrowsError(try ClassMap.parse(bad, file: "m.csv"), bad)
        }
    }
}
