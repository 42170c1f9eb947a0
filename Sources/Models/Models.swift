import NN
import Tensor

/// The named architectures the program can build, train and load.
public enum Models {
    /// A registered architecture.
    public struct Entry: Sendable {
        /// The name used on the command line and in checkpoint metadata.
        public let name: String
        /// One line describing it.
        public let summary: String
        /// The input shape of one image, [C, H, W].
        public let inputShape: [Int]
        /// Builds a freshly initialised model.
        public let make: @Sendable (_ seed: UInt64) -> Sequential
    }

    /// Every known architecture.
    public static let all: [Entry] = [
        Entry(name: "seed-cnn", summary: "the notebook's 2-conv CNN with dropout (3.27 M parameters)",
              inputShape: [1, 28, 28], make: { seedCNN(seed: $0) }),
    ]

    /// The architecture called `name`, or an error listing the known ones.
    public static func named(_ name: String) throws -> Entry {
        guard let entry = all.first(where: { $0.name == name }) else {
            throw UnknownModel(name: name)
        }
        return entry
    }

    /// A model name that is not registered.
    public struct UnknownModel: Error, CustomStringConvertible {
        /// The name asked for.
        public let name: String
        public var description: String {
            "unknown model '\(name)' (known: \(Models.all.map(\.name).joined(separator: ", ")))"
        }
    }
}
