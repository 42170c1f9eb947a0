import Foundation
import Hummingbird
import Similarity

/// Query parameters and path ids, checked: a bad one is a 400 naming it.
extension Request {
    /// The integer query parameter `name` in `range`, or `fallback` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
        guard let text = uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest("bad_parameter", "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text.prefix(40))'")
        }
        return value
    }

    /// The number query parameter `name` in `range`, or nil when absent.
    func number(_ name: String, in range: ClosedRange<Float>) throws -> Float? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Float(text), value.isFinite, range.contains(value) else {
            throw APIError.badRequest("bad_parameter", "\(name) must be a number from \(range.lowerBound) to \(range.upperBound), not '\(text.prefix(40))'")
        }
        return value
    }

    /// The yes/no query parameter `name` (1, 0, true, false), false when absent.
    func flag(_ name: String) throws -> Bool {
        guard let text = uri.queryParameters.get(name) else { return false }
        switch text.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no", "": return false
        default: throw APIError.badRequest("bad_parameter", "\(name) must be 1 or 0, not '\(text.prefix(40))'")
        }
    }
}

extension RequestContext {
    /// The item id in the path (percent-decoded), or 400 when it cannot name an item.
    func itemID() throws -> String {
        guard let raw = parameters.get("id"), let id = raw.removingPercentEncoding, CatalogIndex.isValidID(id) else {
            throw APIError.badRequest("bad_id", "the item id must be 1 to 4096 bytes of percent-encoded UTF-8 without line breaks")
        }
        return id
    }
}
