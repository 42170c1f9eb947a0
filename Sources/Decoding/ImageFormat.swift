/// Image file formats recognised from their first bytes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, gif, bmp, tiff, heic, avif

    /// The format whose magic bytes `bytes` starts with, or nil; never guessed from a file name.
    public static func sniff(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(64))
        func has(_ magic: String, at offset: Int = 0) -> Bool { has(Array(magic.utf8), at: offset) }
        func has(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset ..< offset + magic.count]) == magic
        }
        if has([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if has([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if has("RIFF") && has("WEBP", at: 8) { return .webp }
        if has("GIF87a") || has("GIF89a") { return .gif }
        if has([0x49, 0x49, 0x2A, 0x00]) || has([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if has("ftyp", at: 4) { return isoMediaFormat(head) }
        if has("BM") { return .bmp }
        return nil
    }

    /// Whether `ImageDecoder` decodes this format.
    public var isSupported: Bool { self == .jpeg || self == .png || self == .webp }

    /// What the brands of an ISO-BMFF `ftyp` box (size, "ftyp", major brand, minor version,
    /// compatible brands) say: AVIF, HEIC, or neither.
    private static func isoMediaFormat(_ head: [UInt8]) -> ImageFormat? {
        guard head.count >= 12 else { return nil }
        let boxSize = head[0 ..< 4].reduce(0) { $0 << 8 | Int($1) }
        let brands = stride(from: 8, to: min(head.count, max(12, boxSize)) - 3, by: 4)
            .filter { $0 != 12 }  // the minor version
            .map { String(decoding: head[$0 ..< $0 + 4], as: UTF8.self) }
        let major = brands[0]
        if ["avif", "avis"].contains(major) { return .avif }
        if ["mif1", "msf1"].contains(major) && brands.contains(where: { $0 == "avif" || $0 == "avis" }) { return .avif }
        if ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].contains(major) { return .heic }
        return nil
    }
}
