import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: enough structure to check the report's HTML and SVG.
final class XMLElement {
    let name: String
    let attributes: [String: String]
    var children: [XMLElement] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// This element and all below it, depth first.
    var all: [XMLElement] { [self] + children.flatMap(\.all) }

    /// Every element below (or at) this one called `name`.
    func elements(_ name: String) -> [XMLElement] { all.filter { $0.name == name } }

    /// The text of this element and everything inside it.
    var allText: String { text + children.map(\.allText).joined() }

    /// Parses `data` as XML; throws with the parser's line and column when it is not well-formed.
    static func parse(_ data: Data) throws -> XMLElement {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        let ok = parser.parse()
        if let error = builder.error ?? parser.parserError, !ok || builder.error != nil || parser.parserError != nil {
            throw NSError(domain: "XML", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "not well-formed at line \(parser.lineNumber), column \(parser.columnNumber): \(error)"])
        }
        guard let root = builder.root else { throw NSError(domain: "XML", code: 2) }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLElement] = []
        var root: XMLElement?
        var error: Error?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            let element = XMLElement(name: name, attributes: attributes)
            if let parent = stack.last { parent.children.append(element) } else { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
            error = parseError
        }
    }
}
