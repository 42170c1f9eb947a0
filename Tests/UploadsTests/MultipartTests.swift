import Foundation
import Uploads
import XCTest

final class MultipartTests: XCTestCase {
    func body(_ text: String) -> Data { Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

    func testPartsWithHeadersFilesAndBinaryContent() throws {
        var data = body("preamble\n--XyZ\nContent-Disposition: form-data; name=\"note\"\n\nhello\n--XyZ\n"
                        + "Content-Disposition: form-data; name=\"photo\"; filename=\"a b.jpg\"\nContent-Type: Image/JPEG; q=1\n\n")
        let binary = Data([0xff, 0xd8, 13, 10, 45, 45, 0, 13, 10, 13, 10, 0xff, 0xd9])  // CRLF, "--", blank lines inside
        data += binary + body("\n--XyZ--\nepilogue")
        let parts = try MultipartForm.parts(of: data, boundary: "XyZ")
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts[0], FormPart(name: "note", filename: nil, mediaType: nil, body: Data("hello".utf8)))
        XCTAssertEqual(parts[1].name, "photo")
        XCTAssertEqual(parts[1].filename, "a b.jpg")
        XCTAssertEqual(parts[1].mediaType, "image/jpeg")
        XCTAssertEqual(parts[1].body, binary)
    }

    func testAPartWithoutHeadersAndAnEmptyForm() throws {
        XCTAssertEqual(try MultipartForm.parts(of: body("--b\n\ncontent\n--b--"), boundary: "b"),
                       [FormPart(name: nil, filename: nil, mediaType: nil, body: Data("content".utf8))])
        XCTAssertEqual(try MultipartForm.parts(of: body("--b--\n"), boundary: "b"), [])
    }

    func testMalformedBodiesAreRefused() {
        let cases: [(String, String)] = [
            ("no delimiter at all", "b"),
            ("--b\nContent-Type: x\n\nunterminated", "b"),
            ("--b\nno blank line after headers", "b"),
            ("--bX\n\nbody\n--b--", "b"),  // the delimiter must end with CRLF or "--"
            ("--b\nbad header line\n\nx\n--b--", "b"),
            ("--b\nContent-Type: not a type\n\nx\n--b--", "b"),
            ("--b\n\nx\n--b--", ""),
            ("--b\n\nx\n--b--", String(repeating: "b", count: 71)),
        ]
        for (text, boundary) in cases {
            XCTAssertThrowsError(try MultipartForm.parts(of: body(text), boundary: boundary), text) {
                XCTAssertTrue($0 is UploadError, "\($0)")
            }
        }
        let many = (0...MultipartForm.maximumParts).map { _ in "--b\n\nx\n" }.joined() + "--b--"
        XCTAssertThrowsError(try MultipartForm.parts(of: body(many), boundary: "b"))
        let longHeaders = "--b\nX-Pad: " + String(repeating: "a", count: MultipartForm.maximumHeaderBytes) + "\n\nx\n--b--"
        XCTAssertThrowsError(try MultipartForm.parts(of: body(longHeaders), boundary: "b"))
    }

    func testMediaTypes() {
        XCTAssertEqual(MediaType("multipart/form-data; boundary=\"a b\"; charset=UTF-8")?.parameters,
                       ["boundary": "a b", "charset": "UTF-8"])
        XCTAssertEqual(MediaType(" IMAGE/PNG ")?.name, "image/png")
        for bad in ["", "image", "/png", "image/", "image/png/x", "ima ge/png", "image/p\u{0}ng"] {
            XCTAssertNil(MediaType(bad), bad)
        }
    }
}
