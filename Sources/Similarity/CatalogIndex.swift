/// What made a catalogue's vectors: queries must come from the same weights and embedding.
public struct EmbeddingSource: Equatable, Sendable {
    /// The architecture's name, or "pixels" for the raw-pixel baseline.
    public var model: String
    /// SHA-256 of the weights file (empty for pixels).
    public var weightsSHA256: String
    /// Where the weights were read from when the index was built (a hint for later queries).
    public var weightsPath: String
    /// The layer whose output is embedded ("pixels" for the baseline).
    public var layer: String
    /// Class names of the labels, in index order (empty for pixels).
    public var classNames: [String]

    /// A description of the embedding.
    public init(model: String, weightsSHA256: String, weightsPath: String, layer: String, classNames: [String]) {
        self.model = model
        self.weightsSHA256 = weightsSHA256
        self.weightsPath = weightsPath
        self.layer = layer
        self.classNames = classNames
    }

    /// The raw-pixel baseline (no model).
    public static let pixels = EmbeddingSource(model: "pixels", weightsSHA256: "", weightsPath: "", layer: "pixels", classNames: [])

    /// Whether vectors made by `other` can be compared with these.
    public func matches(_ other: EmbeddingSource) -> Bool {
        model == other.model && weightsSHA256 == other.weightsSHA256 && layer == other.layer
    }

    /// "resnet20-w2 (weights 1a2b3c4d…)" or "raw pixels".
    public var summary: String {
        model == "pixels" ? "raw pixels" : "\(model) (weights \(weightsSHA256.prefix(12))…, layer \(layer))"
    }
}

/// One catalogue entry before it is added.
public struct CatalogItem: Equatable, Sendable {
    /// A unique name: the file path, or `train:123` for a dataset image.
    public var id: String
    /// The unit embedding (D values).
    public var vector: [Float]
    /// The predicted class index (-1 when there is no classifier).
    public var label: Int32
    /// The probability of that class.
    public var probability: Float
    /// A 64-bit fingerprint of the content (the file's bytes or the image's pixels): equal for identical content.
    public var contentHash: UInt64

    /// An entry.
    public init(id: String, vector: [Float], label: Int32, probability: Float, contentHash: UInt64) {
        self.id = id
        self.vector = vector
        self.label = label
        self.probability = probability
        self.contentHash = contentHash
    }
}

/// A searchable catalogue: N slots of unit vectors (D each) with an id, predicted label, probability
/// and content fingerprint, plus what embedded them. Removing an item frees its slot; `compact()`
/// drops the freed slots.
public struct CatalogIndex: Sendable {
    /// What made the vectors.
    public var source: EmbeddingSource
    /// The vector length D.
    public let dimension: Int
    /// Each slot's id ("" for a freed slot).
    public private(set) var ids: [String]
    /// The vectors (N, D), row-major.
    public private(set) var vectors: [Float]
    /// Each slot's predicted class, -1 when none.
    public private(set) var labels: [Int32]
    /// Each slot's probability of its predicted class.
    public private(set) var probabilities: [Float]
    /// Each slot's content fingerprint.
    public private(set) var contentHashes: [UInt64]
    /// Whether each slot holds an item (false once removed).
    public private(set) var live: [Bool]
    /// Number of items.
    public private(set) var count: Int
    /// What search filters on: each slot's predicted class (0 when none), -1 for a freed slot.
    private(set) var groups: [Int32]

    /// An empty catalogue for vectors of `dimension` values from `source`.
    public init(source: EmbeddingSource, dimension: Int) {
        precondition(dimension > 0, "dimension must be positive")
        self.source = source
        self.dimension = dimension
        ids = []
        vectors = []
        labels = []
        probabilities = []
        contentHashes = []
        live = []
        count = 0
        groups = []
    }

    /// A catalogue made of stored columns (the file reader checks them first).
    init(source: EmbeddingSource, dimension: Int, ids: [String], vectors: [Float], labels: [Int32],
         probabilities: [Float], contentHashes: [UInt64], live: [Bool]) {
        self.source = source
        self.dimension = dimension
        self.ids = ids
        self.vectors = vectors
        self.labels = labels
        self.probabilities = probabilities
        self.contentHashes = contentHashes
        self.live = live
        count = live.lazy.filter { $0 }.count
        groups = zip(live, labels).map { $0 ? max($1, 0) : -1 }
    }

    /// Number of slots, freed ones included.
    public var slotCount: Int { ids.count }

    /// Slot of each live item's id.
    public func slotsByID() -> [String: Int] {
        var result: [String: Int] = [:]
        result.reserveCapacity(ids.count)
        for (slot, id) in ids.enumerated() where live[slot] { result[id] = slot }
        return result
    }

    /// The vector in `slot`.
    public func vector(at slot: Int) -> ArraySlice<Float> {
        vectors[slot * dimension ..< (slot + 1) * dimension]
    }

    /// Adds `items`; an item whose id is already there replaces it (its old slot is freed).
    /// Returns how many were new and how many replaced. Ids must be non-empty, without line breaks.
    @discardableResult
    public mutating func add(_ items: [CatalogItem]) throws -> (added: Int, replaced: Int) {
        var slots = slotsByID()
        var added = 0, replaced = 0
        for item in items {
            guard item.vector.count == dimension else {
                throw CatalogError("\(item.id): vector has \(item.vector.count) values, the index holds \(dimension)")
            }
            guard CatalogIndex.isValidID(item.id) else {
                throw CatalogError("id '\(item.id.prefix(60))' is empty, too long or holds a line break")
            }
            if let old = slots[item.id] {
                free(old)
                replaced += 1
            } else {
                added += 1
            }
            slots[item.id] = ids.count
            ids.append(item.id)
            vectors += item.vector
            labels.append(item.label)
            probabilities.append(item.probability)
            contentHashes.append(item.contentHash)
            live.append(true)
            groups.append(max(item.label, 0))
            count += 1
        }
        return (added, replaced)
    }

    /// Removes the items called `ids`; an id that is not there is an error and nothing is removed.
    public mutating func remove(_ removed: [String]) throws {
        let slots = slotsByID()
        let missing = removed.filter { slots[$0] == nil }
        guard missing.isEmpty else {
            throw CatalogError("not in the index: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", … (\(missing.count))" : "")")
        }
        for id in Set(removed) { free(slots[id]!) }
    }

    private mutating func free(_ slot: Int) {
        live[slot] = false
        groups[slot] = -1
        count -= 1
        ids[slot] = ""
        labels[slot] = -1
        probabilities[slot] = 0
        contentHashes[slot] = 0
        for i in slot * dimension ..< (slot + 1) * dimension { vectors[i] = 0 }
    }

    /// Drops freed slots (slot numbers of later items change).
    public mutating func compact() {
        let keep = live.indices.filter { live[$0] }
        guard keep.count < slotCount else { return }
        var packed: [Float] = []
        packed.reserveCapacity(keep.count * dimension)
        for slot in keep { packed += vector(at: slot) }
        vectors = packed
        ids = keep.map { ids[$0] }
        labels = keep.map { labels[$0] }
        probabilities = keep.map { probabilities[$0] }
        contentHashes = keep.map { contentHashes[$0] }
        groups = keep.map { groups[$0] }
        live = Array(repeating: true, count: keep.count)
    }

    /// Whether `id` can name an item: 1–4096 bytes of UTF-8 without line breaks.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 4096 && !id.utf8.contains(10) && !id.utf8.contains(13)
    }
}

/// A catalogue that cannot be used or changed as asked; the message says why in one line.
public struct CatalogError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public var description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
