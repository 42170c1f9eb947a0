@testable import Imaging
import XCTest

final class BitmapFontTests: XCTestCase {
    /// Space to tilde.
    private let printable: [Character] = (0x20 ... 0x7E).map { Character(Unicode.Scalar(UInt8($0))) }

    /// The pixels of `image` that are not white, as (x, y) pairs in reading order.
    private func inked(_ image: RGBImage) -> [[Int]] {
        var points = [[Int]]()
        for y in 0 ..< image.height {
            for x in 0 ..< image.width where image[x, y] != .white { points.append([x, y]) }
        }
        return points
    }

    /// The pixels a drawing (rows of "#" and ".") covers when placed at (x, y) blown up `scale` times.
    private func expected(_ drawing: [String], x: Int, y: Int, scale: Int) -> [[Int]] {
        var points = [[Int]]()
        for (row, line) in drawing.enumerated() {
            for dy in 0 ..< scale {
                for (column, pixel) in line.enumerated() where pixel == "#" {
                    for dx in 0 ..< scale { points.append([x + column * scale + dx, y + row * scale + dy]) }
                }
            }
        }
        return points.sorted { ($0[1], $0[0]) < ($1[1], $1[0]) }
    }

    func testEveryPrintableCharacterHasAGlyph() {
        for c in printable where c != " " {
            guard let rows = BitmapFont.glyph(c) else { XCTFail("no glyph for \(c)"); continue }
            XCTAssertEqual(rows.count, BitmapFont.glyphHeight, "rows of \(c)")
            XCTAssertTrue(rows.contains { $0 != 0 }, "\(c) is blank")
            XCTAssertTrue(rows.allSatisfy { $0 < 1 << BitmapFont.glyphWidth }, "\(c) is wider than 5 columns")
        }
    }

    func testSpaceIsBlank() {
        XCTAssertEqual(BitmapFont.glyph(" "), [UInt8](repeating: 0, count: 7))
    }

    func testNoTwoGlyphsAreAlike() {
        var seen = [[UInt8]: Character]()
        for c in printable {
            guard let rows = BitmapFont.glyph(c) else { continue }
            if let other = seen[rows] { XCTFail("\(other) and \(c) have the same glyph") }
            seen[rows] = c
        }
        XCTAssertEqual(seen.count, printable.count)
        XCTAssertFalse(seen.keys.contains(BitmapFont.missingGlyph), "a glyph looks like the missing-glyph box")
    }

    func testCharactersOutsideASCIIHaveNoGlyph() {
        XCTAssertNil(BitmapFont.glyph("é"))
        XCTAssertNil(BitmapFont.glyph("\n"))
        XCTAssertNil(BitmapFont.glyph("\u{7F}"))
    }

    func testDrawsIAtScale2() {
        var image = RGBImage(width: 16, height: 18)
        image.draw(text: "I", x: 3, y: 2, color: .black, scale: 2)
        let drawing = [".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."]
        XCTAssertEqual(inked(image), expected(drawing, x: 3, y: 2, scale: 2))
        // Spot checks: the top bar and its blank left corner, the stem (x 7 and 8) and the gaps
        // beside it, the bottom bar, and nothing in the spacing column.
        XCTAssertEqual(image[5, 2], .black)
        XCTAssertEqual(image[6, 3], .black)
        XCTAssertEqual(image[4, 2], .white)
        XCTAssertEqual(image[6, 5], .white)
        XCTAssertEqual(image[7, 5], .black)
        XCTAssertEqual(image[8, 5], .black)
        XCTAssertEqual(image[9, 5], .white)
        XCTAssertEqual(image[9, 14], .black)
        XCTAssertEqual(image[3, 15], .white)
        XCTAssertEqual(image[13, 15], .white)
    }

    func testDrawsAAtScale2() {
        var image = RGBImage(width: 14, height: 16)
        image.draw(text: "A", x: 1, y: 1, color: .wrong, scale: 2)
        let drawing = [".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"]
        XCTAssertEqual(inked(image), expected(drawing, x: 1, y: 1, scale: 2))
        XCTAssertEqual(image[1, 1], .white)   // top-left corner is rounded off
        XCTAssertEqual(image[3, 1], .wrong)   // top bar
        XCTAssertEqual(image[1, 3], .wrong)   // left leg
        XCTAssertEqual(image[5, 5], .white)   // inside the counter
        XCTAssertEqual(image[5, 7], .wrong)   // crossbar
        XCTAssertEqual(image[10, 14], .wrong) // bottom of the right leg
        XCTAssertEqual(image[11, 14], .white) // just past the glyph
    }

    func testSecondCharacterStartsOneAdvanceLater() {
        var pair = RGBImage(width: 30, height: 10)
        pair.draw(text: "AB", x: 2, y: 1, color: .black)
        var single = RGBImage(width: 30, height: 10)
        single.draw(text: "A", x: 2, y: 1, color: .black)
        single.draw(text: "B", x: 2 + BitmapFont.advance, y: 1, color: .black)
        XCTAssertEqual(pair, single)
        // The spacing column between them stays blank.
        for y in 0 ..< 10 { XCTAssertEqual(pair[2 + 5, y], .white) }
    }

    func testTextWidth() {
        XCTAssertEqual(BitmapFont.textWidth("", scale: 1), 0)
        XCTAssertEqual(BitmapFont.textWidth("", scale: 3), 0)
        XCTAssertEqual(BitmapFont.textWidth("A", scale: 1), 5)
        XCTAssertEqual(BitmapFont.textWidth("A", scale: 2), 10)
        XCTAssertEqual(BitmapFont.textWidth("Ankle boot", scale: 1), 59)
        XCTAssertEqual(BitmapFont.textWidth("T-shirt", scale: 3), 7 * 18 - 3)
        XCTAssertEqual(BitmapFont.textWidth("é!", scale: 1), 11)
    }

    func testTextWidthMatchesTheInk() {
        var image = RGBImage(width: 80, height: 20)
        image.draw(text: "HUH", x: 4, y: 3, color: .black, scale: 2)  // H and U reach both edges
        let xs = inked(image).map { $0[0] }
        XCTAssertEqual(xs.min(), 4)
        XCTAssertEqual(xs.max(), 4 + BitmapFont.textWidth("HUH", scale: 2) - 1)
    }

    func testClipsAtEveryEdge() {
        // The text drawn whole on a big canvas, at (300, 300).
        let whole = { () -> RGBImage in
            var image = RGBImage(width: 600, height: 600)
            image.draw(text: "Bag #9", x: 300, y: 300, color: .black, scale: 2)
            return image
        }()
        // The same text on a small image, running off each edge in turn: every pixel must be
        // the matching one of the whole text, and nothing may crash.
        for (tx, ty) in [(-7, 15), (50, 15), (20, -5), (20, 35), (-5, -3), (-60, 10), (100, 100), (-200, -200)] {
            var image = RGBImage(width: 60, height: 40)
            image.draw(text: "Bag #9", x: tx, y: ty, color: .black, scale: 2)
            for y in 0 ..< 40 {
                for x in 0 ..< 60 where image[x, y] != whole[300 + x - tx, 300 + y - ty] {
                    XCTFail("text at (\(tx), \(ty)): pixel (\(x), \(y)) wrong")
                    return
                }
            }
        }
        // A one-pixel image: the only pixel drawn is W's left stroke (font column 0, row 2).
        var tiny = RGBImage(width: 1, height: 1)
        tiny.draw(text: "W", x: -2, y: -6, color: .black, scale: 3)
        XCTAssertEqual(tiny[0, 0], .black)
        // The 17th of a row of boxes, at its column 2 and row 3: inside the box, so left alone.
        tiny.draw(text: String(repeating: "é", count: 50), x: -(16 * 6 + 2), y: -3, color: .white)
        XCTAssertEqual(tiny[0, 0], .black)
        // One column further left puts the box's right edge there.
        tiny.draw(text: String(repeating: "é", count: 50), x: -(16 * 6 + 4), y: -3, color: .white)
        XCTAssertEqual(tiny[0, 0], .white)
    }

    func testUnknownCharacterDrawsABox() {
        var image = RGBImage(width: 20, height: 20)
        image.draw(text: "é", x: 2, y: 3, color: .black, scale: 2)
        let box = ["#####", "#...#", "#...#", "#...#", "#...#", "#...#", "#####"]
        XCTAssertEqual(inked(image), expected(box, x: 2, y: 3, scale: 2))
        XCTAssertEqual(image[6, 9], .white)  // the box is hollow
    }
}
