/// Why an approximate-search call failed; `description` is one line.
public enum ApproximateSearchError: Error, CustomStringConvertible, Equatable {
    /// A size, count or value the index cannot take.
    case invalidArgument(String)
    /// The index file could not be opened, read or written.
    case file(String)
    /// The file is not an HNSW-flat inner-product index of the expected dimension, or is damaged.
    case format(String)
    /// FAISS could not allocate memory.
    case outOfMemory
    /// FAISS failed in a way not covered above.
    case faiss(String)

    /// The one-line message.
    public var description: String {
        switch self {
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .file(let message): return "index file: \(message)"
        case .format(let message): return "bad index file: \(message)"
        case .outOfMemory: return "out of memory in FAISS"
        case .faiss(let message): return message
        }
    }
}
