import Checkpoint
import Foundation
import Hummingbird
import Imaging
import NN
import Similarity

/// Similar items and catalogue updates: `POST /v1/similar`, `GET /v1/items/{id}/similar`,
/// `GET /v1/items/{id}/image`, `PUT /v1/items/{id}` and `DELETE /v1/items/{id}` (the last two
/// need the bearer token when the service has one).
struct CatalogueController<Context: RequestContext> {
    let state: ServiceState

    /// One similar item.
    struct Neighbour: Codable, Sendable {
        var id: String
        var label: String?
        var score: Float
        /// Where its thumbnail is.
        var image: String
    }

    /// The answer to a search.
    struct Similar: ResponseEncodable {
        /// The query's predicted class (photo queries) or its indexed one (item queries).
        var label: String?
        var probability: Float?
        var neighbours: [Neighbour]
        var model: String
        var elapsedMilliseconds: Double

        enum CodingKeys: String, CodingKey {
            case label, probability, neighbours, model, elapsedMilliseconds = "elapsed_ms"
        }
    }

    /// The answer to an update.
    struct Updated: ResponseEncodable {
        var id: String
        var label: String?
        var probability: Float?
        var replaced: Bool?
        var deleted: Bool?
        var items: Int
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("similar", use: similarToPhoto)
        group.get("items/{id}/similar", use: similarToItem)
        group.get("items/{id}/image", use: image)
        group.put("items/{id}", use: put)
        group.delete("items/{id}", use: delete)
    }

    /// `?k=10` neighbours of the posted photo; `?same_label=1` only those of its predicted class.
    @Sendable func similarToPhoto(_ request: Request, context: Context) async throws -> Similar {
        let started = ContinuousClock.now
        let catalogue = try state.requireCatalogue()
        let (k, sameLabel) = try searchParameters(request)
        let photo = try await ImageUpload.read(request, limits: state.configuration.body)
        let inferred = try await state.infer(photo: photo)
        guard let vector = inferred.vector else { throw APIError.notFound("no_index", "the model cannot embed photos") }
        let label = argmax(inferred.probabilities)
        let found = try search(catalogue.snapshot, vector, k: k, label: sameLabel ? Int32(label) : nil, excluding: nil)
        return Similar(label: state.model.classifier.classNames[label], probability: inferred.probabilities[label],
                       neighbours: found, model: state.model.name, elapsedMilliseconds: milliseconds(since: started))
    }

    /// The neighbours of an indexed item (itself left out).
    @Sendable func similarToItem(_ request: Request, context: Context) async throws -> Similar {
        let started = ContinuousClock.now
        let catalogue = try state.requireCatalogue()
        let id = try context.itemID()
        let (k, sameLabel) = try searchParameters(request)
        let (index, slot) = catalogue.snapshot(locating: id)
        guard let slot else { throw unknownItem(id) }
        let label = index.labels[slot]
        let found = try search(index, Array(index.vector(at: slot)), k: k, label: sameLabel ? label : nil, excluding: slot)
        return Similar(label: name(label), probability: index.probabilities[slot], neighbours: found, model: state.model.name,
                       elapsedMilliseconds: milliseconds(since: started))
    }

    /// A PNG thumbnail of an item, `?size=` pixels square (16–512, default 128).
    @Sendable func image(_ request: Request, context: Context) async throws -> Response {
        let catalogue = try state.requireCatalogue()
        let id = try context.itemID()
        let side = try request.integer("size", in: 16...512, default: 128)
        guard catalogue.snapshot(locating: id).slot != nil else { throw unknownItem(id) }
        let png: Data? = try await ServiceState.offLoop { catalogue.picture(id, side: side).map(PNG.encode) }
        guard let png else { throw APIError.notFound("no_image", "the image of item '\(id.prefix(200))' cannot be read") }
        return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "max-age=60"],
                        body: .init(byteBuffer: ByteBuffer(bytes: png)))
    }

    /// Adds or replaces an item from the photo in the body.
    @Sendable func put(_ request: Request, context: Context) async throws -> Response {
        try authorize(request)
        let catalogue = try state.requireCatalogue()
        let id = try context.itemID()
        let photo = try await ImageUpload.read(request, limits: state.configuration.body)
        let inferred = try await state.infer(photo: photo)
        guard let vector = inferred.vector else { throw APIError.notFound("no_index", "the model cannot embed photos") }
        let label = argmax(inferred.probabilities)
        let item = CatalogItem(id: id, vector: vector, label: Int32(label), probability: inferred.probabilities[label],
                               contentHash: UInt64(SHA256.hex(photo).prefix(16), radix: 16) ?? 0)
        let (replaced, count) = try await ServiceState.offLoop {
            do { return try catalogue.put(item, photo: photo) } catch { throw saveFailed(error) }
        }
        let answer = Updated(id: id, label: state.model.classifier.classNames[label], probability: inferred.probabilities[label],
                             replaced: replaced, deleted: nil, items: count)
        var response = try answer.response(from: request, context: context)
        response.status = replaced ? .ok : .created
        return response
    }

    /// Removes an item.
    @Sendable func delete(_ request: Request, context: Context) async throws -> Updated {
        try authorize(request)
        let catalogue = try state.requireCatalogue()
        let id = try context.itemID()
        let count = try await ServiceState.offLoop {
            do { return try catalogue.delete(id) } catch { throw saveFailed(error) }
        }
        guard let count else { throw unknownItem(id) }
        return Updated(id: id, label: nil, probability: nil, replaced: nil, deleted: true, items: count)
    }

    // MARK: Helpers

    private func searchParameters(_ request: Request) throws -> (k: Int, sameLabel: Bool) {
        (try request.integer("k", in: 1...state.configuration.maxK, default: min(10, state.configuration.maxK)), try request.flag("same_label"))
    }

    private func search(_ index: CatalogIndex, _ vector: [Float], k: Int, label: Int32?, excluding: Int?) throws -> [Neighbour] {
        guard index.count - (excluding == nil ? 0 : 1) > 0 else { return [] }
        let found: [Similarity.Neighbour]
        do {
            found = try index.search(vector, k: min(k + (excluding == nil ? 0 : 1), index.count), sameLabelAs: label.map { [$0] },
                                     excluding: [excluding])[0]
        } catch let error as CatalogError {
            throw APIError.badRequest("bad_search", error.description)
        }
        return found.prefix(k).map { n in
            Neighbour(id: n.id, label: name(n.label), score: n.score,
                      image: "/v1/items/\(n.id.addingPercentEncoding(withAllowedCharacters: .itemIDAllowed) ?? "")/image")
        }
    }

    private func name(_ label: Int32) -> String? {
        let names = state.model.classifier.classNames
        return names.indices.contains(Int(label)) ? names[Int(label)] : nil
    }

    private func unknownItem(_ id: String) -> APIError {
        APIError.notFound("unknown_item", "the index holds no item '\(id.prefix(200))'")
    }

    /// 401 without a bearer token, 403 with another one (when the service has a token).
    private func authorize(_ request: Request) throws {
        guard let token = state.configuration.token else { return }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError(.unauthorized, "unauthorized", "this change needs 'Authorization: Bearer <token>'",
                           headers: [.wwwAuthenticate: #"Bearer realm="fashion""#])
        }
        guard constantTimeEqual(Array(header.utf8.dropFirst(7)), Array(token.utf8)) else {
            throw APIError(.forbidden, "forbidden", "the bearer token is not the service's")
        }
    }
}

/// 500 for an index or photo that could not be saved (the index is unchanged).
private func saveFailed(_ error: any Error) -> APIError {
    APIError(.internalServerError, "save_failed", "the change could not be saved, the index is unchanged: \(error)")
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
}

extension CharacterSet {
    /// What an id may keep unescaped in a path segment.
    static let itemIDAllowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
}
