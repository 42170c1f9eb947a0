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
        /// The layer whose output, L2-normalised, is the model's embedding for similarity search
        /// (a dotted path for `Sequential.split(after:)`).
        public let embeddingLayer: String
        /// Builds a freshly initialised model.
        public let make: @Sendable (_ seed: UInt64) -> Sequential
    }

    /// Every known architecture.
    public static let all: [Entry] = [
        Entry(name: "seed-cnn", summary: "the notebook's 2-conv CNN with dropout",
              inputShape: [1, 28, 28], embeddingLayer: "relu_3", make: { seedCNN(seed: $0) }),
        Entry(name: "seed-resnet50", summary: "the notebook's ResNet50 variant: 7×7/2 stem, bottlenecks 3-4-6-3, Dense 1000, Dense 10",
              inputShape: [1, 28, 28], embeddingLayer: "avgpool", make: { seedResNet50(seed: $0) }),
        Entry(name: "resnet20", summary: "CIFAR-style ResNet-20 for 28×28: 3×3 stem, 3×3 BasicBlocks of 16/32/64 channels",
              inputShape: [1, 28, 28], embeddingLayer: "avgpool", make: { resNet(seed: $0, blocksPerStage: 3, width: 16) }),
        Entry(name: "resnet20-w2", summary: "ResNet-20 twice as wide: BasicBlocks of 32/64/128 channels",
              inputShape: [1, 28, 28], embeddingLayer: "avgpool", make: { resNet(seed: $0, blocksPerStage: 3, width: 32) }),
        Entry(name: "vgg-bn", summary: "VGG-style: 2×(3×3 conv, BN, ReLU) + max-pool at 32/64/128 channels, Dense 256, dropout 0.3",
              inputShape: [1, 28, 28], embeddingLayer: "classifier.1", make: { vggBN(seed: $0, widths: [32, 64, 128], hidden: 256, dropout: 0.3) }),
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
