import Checkpoint
import Decoding
import Foundation
import Imaging
import Similarity

/// The catalogue index a service searches and updates. Searches read a snapshot (the index is a
/// value, so a search never sees half an update); updates are applied one at a time, each saved
/// atomically to the index file before it is answered. Photos uploaded with `PUT` are kept in
/// `<index>.images/`, named by the SHA-256 of their id, so an id never becomes a path.
public final class Catalogue: @unchecked Sendable {  // `index` guarded by `lock`, saves by `writer`
    /// The index file.
    public let url: URL
    /// Where uploaded item photos are kept.
    public let imagesDirectory: URL
    /// Where the Fashion-MNIST files are, for the pictures of `train:N` / `test:N` items.
    public let datasetDirectory: URL
    private let lock = NSLock()
    private let writer = NSLock()
    private var index: CatalogIndex
    private var slots: [String: Int]
    private let datasetPictures: LockedPictures

    /// The index at `url`, whose vectors must come from `source`.
    public init(url: URL, source: EmbeddingSource?, datasetDirectory: URL) throws {
        let index = try IndexFile.read(url)
        guard let source else {
            throw ServerError("\(url.path): the model cannot embed, so it cannot search an index")
        }
        guard index.source.matches(source) else {
            throw ServerError("\(url.path) was not built from these weights: it holds \(index.source.summary), the weights give "
                              + "\(source.summary); rebuild it with fashion index build --weights")
        }
        self.url = url
        self.index = index
        slots = index.slotsByID()
        imagesDirectory = URL(fileURLWithPath: url.path + ".images")
        self.datasetDirectory = datasetDirectory
        datasetPictures = LockedPictures(ItemPictures(datasetDirectory: datasetDirectory))
        _ = AtomicFile.removeLeftovers(in: imagesDirectory)
    }

    /// The index as it is now.
    public var snapshot: CatalogIndex { lock.withLock { index } }

    /// The snapshot and the slot of `id` in it (nil when the index does not hold it).
    public func snapshot(locating id: String) -> (index: CatalogIndex, slot: Int?) {
        lock.withLock { (index, slots[id]) }
    }

    /// Adds `item` (replacing an item with its id) with its photo's bytes, saves the index and
    /// returns whether it replaced one and the items now held.
    public func put(_ item: CatalogItem, photo: Data) throws -> (replaced: Bool, count: Int) {
        try writer.withLock {
            try FileManager.default.createDirectory(at: imagesDirectory, withIntermediateDirectories: true)
            try AtomicFile.write(photo, to: photoURL(item.id))
            return try update { try $0.add([item]).replaced > 0 }
        }
    }

    /// Removes the item `id` and its uploaded photo, saves the index, and returns the items left;
    /// nil when there is no such item.
    public func delete(_ id: String) throws -> Int? {
        try writer.withLock {
            guard lock.withLock({ slots[id] }) != nil else { return nil }
            let (_, count) = try update { try $0.remove([id]) }
            try? FileManager.default.removeItem(at: photoURL(id))
            return count
        }
    }

    /// Applies `change` to a copy, saves it, then makes it the index searches see (unchanged when
    /// the save fails). Called holding `writer`.
    private func update<R>(_ change: (inout CatalogIndex) throws -> R) throws -> (R, Int) {
        var changed = snapshot
        let result = try change(&changed)
        try IndexFile.write(changed, to: url)
        let newSlots = changed.slotsByID()
        lock.withLock {
            index = changed
            slots = newSlots
        }
        return (result, changed.count)
    }

    /// The picture of item `id`, `side` pixels square: its uploaded photo, its dataset image, or the
    /// photo file it was indexed from. Nil when the index does not hold it or its image cannot be read.
    public func picture(_ id: String, side: Int) -> RGBImage? {
        guard lock.withLock({ slots[id] }) != nil else { return nil }
        let uploaded = photoURL(id)
        if FileManager.default.fileExists(atPath: uploaded.path) {
            var pictures = ItemPictures(datasetDirectory: datasetDirectory, side: side)
            return pictures.picture(id, photo: uploaded)
        }
        if id.hasPrefix("train:") || id.hasPrefix("test:") { return datasetPictures.picture(id, side: side) }
        var pictures = ItemPictures(datasetDirectory: datasetDirectory, side: side)
        return pictures.picture(id)
    }

    /// Where the uploaded photo of `id` is kept.
    private func photoURL(_ id: String) -> URL {
        imagesDirectory.appendingPathComponent(SHA256.hex(Data(id.utf8)))
    }
}

/// Dataset pictures behind a lock: the Fashion-MNIST files are read once and shared.
private final class LockedPictures: @unchecked Sendable {  // `pictures` guarded by `lock`
    private let lock = NSLock()
    private var pictures: ItemPictures

    init(_ pictures: ItemPictures) { self.pictures = pictures }

    func picture(_ id: String, side: Int) -> RGBImage? {
        lock.withLock {
            pictures.side = side
            return pictures.picture(id)
        }
    }
}
