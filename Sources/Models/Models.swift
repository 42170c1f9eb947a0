import NN

/// The named architectures the program can build, train and load.
public enum Models {
    /// A registered architecture.
    public struct Entry: Sendable {
        /// The name used on the command line and in checkpoint metadata.
        public let name: String
        /// One line describing it.
        public let summary: String
        /// The default input shape of one image, [C, H, W] (Fashion-MNIST's 1 × 28 × 28).
        public var inputShape: [Int] { Geometry.fashionMNIST.inputShape }
        /// The layer whose output, L2-normalised, is the model's embedding for similarity search
        /// (a dotted path for `Sequential.split(after:)`).
        public let embeddingLayer: String
        /// True when the model pools globally before its head, so it takes any input size and
        /// channel count; the others are fixed to 1 × 28 × 28 by a flattening layer.
        public let poolsGlobally: Bool
        /// Builds a freshly initialised model for `geometry` (checked with `check(_:)` first).
        let build: @Sendable (_ geometry: Geometry, _ seed: UInt64) -> Sequential

        /// An entry; `build` makes the model for a geometry and a seed.
        init(name: String, summary: String, embeddingLayer: String, poolsGlobally: Bool,
             build: @escaping @Sendable (_ geometry: Geometry, _ seed: UInt64) -> Sequential) {
            self.name = name
            self.summary = summary
            self.embeddingLayer = embeddingLayer
            self.poolsGlobally = poolsGlobally
            self.build = build
        }

        /// A freshly initialised model for Fashion-MNIST (1 × 28 × 28, 10 classes).
        public func make(_ seed: UInt64) -> Sequential { build(.fashionMNIST, seed) }

        /// A freshly initialised model for `geometry`; throws when the architecture cannot take it.
        public func make(_ geometry: Geometry, seed: UInt64) throws -> Sequential {
            try check(geometry)
            return build(geometry, seed)
        }

        /// Throws a one-line error when this architecture cannot take `geometry`.
        public func check(_ geometry: Geometry) throws {
            guard geometry.classes >= 2 else { throw GeometryError("a model needs at least 2 classes, got \(geometry.classes)") }
            guard [1, 3].contains(geometry.channels) else {
                throw GeometryError("--channels must be 1 or 3, got \(geometry.channels)")
            }
            guard (Geometry.smallestSize...Geometry.largestSize).contains(geometry.size) else {
                throw GeometryError("--input-size must be from \(Geometry.smallestSize) to \(Geometry.largestSize) pixels, got \(geometry.size)")
            }
            if !poolsGlobally && (geometry.channels != 1 || geometry.size != 28) {
                let flexible = Models.all.filter(\.poolsGlobally).map(\.name).joined(separator: ", ")
                throw GeometryError("\(name) flattens its features, so it takes only 1 × 28 × 28 inputs; "
                                    + "for \(geometry.channels) × \(geometry.size) × \(geometry.size) choose a model that pools globally (\(flexible))")
            }
        }
    }

    /// What a model is built for: input channels, input side (square) and number of classes.
    public struct Geometry: Codable, Equatable, Sendable, CustomStringConvertible {
        /// Input channels: 1 (grayscale) or 3 (RGB).
        public var channels: Int
        /// Input height and width in pixels.
        public var size: Int
        /// Number of classes (the head's outputs).
        public var classes: Int

        /// A geometry.
        public init(channels: Int = 1, size: Int = 28, classes: Int = 10) {
            self.channels = channels
            self.size = size
            self.classes = classes
        }

        /// Fashion-MNIST's: 1 × 28 × 28, 10 classes.
        public static let fashionMNIST = Geometry()
        /// The smallest input side accepted (three stride-2 stages still leave a pixel).
        public static let smallestSize = 8
        /// The largest input side accepted (memory per image grows with its square).
        public static let largestSize = 256

        /// One image's shape, [C, H, W].
        public var inputShape: [Int] { [channels, size, size] }

        /// "3×64×64, 10 classes".
        public var description: String { "\(channels)×\(size)×\(size), \(classes) classes" }
    }

    /// A geometry an architecture cannot take, or a geometry that makes no sense.
    public struct GeometryError: Error, CustomStringConvertible {
        /// What is wrong, in one line.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Every known architecture.
    public static let all: [Entry] = [
        Entry(name: "seed-cnn", summary: "the notebook's 2-conv CNN with dropout (1×28×28 only)",
              embeddingLayer: "relu_3", poolsGlobally: false, build: { seedCNN(seed: $1, classes: $0.classes) }),
        Entry(name: "seed-resnet50", summary: "the notebook's ResNet50 variant: 7×7/2 stem, bottlenecks 3-4-6-3, Dense 1000, Dense 10",
              embeddingLayer: "avgpool", poolsGlobally: true, build: { seedResNet50(seed: $1, geometry: $0) }),
        Entry(name: "resnet20", summary: "CIFAR-style ResNet-20 for 28×28: 3×3 stem, 3×3 BasicBlocks of 16/32/64 channels",
              embeddingLayer: "avgpool", poolsGlobally: true, build: { resNet(seed: $1, blocksPerStage: 3, width: 16, geometry: $0) }),
        Entry(name: "resnet20-w2", summary: "ResNet-20 twice as wide: BasicBlocks of 32/64/128 channels",
              embeddingLayer: "avgpool", poolsGlobally: true, build: { resNet(seed: $1, blocksPerStage: 3, width: 32, geometry: $0) }),
        Entry(name: "vgg-bn", summary: "VGG-style: 2×(3×3 conv, BN, ReLU) + max-pool at 32/64/128 channels, Dense 256, dropout 0.3 (1×28×28 only)",
              embeddingLayer: "classifier.1", poolsGlobally: false,
              build: { vggBN(seed: $1, widths: [32, 64, 128], hidden: 256, dropout: 0.3, classes: $0.classes) }),
        Entry(name: "vgg-bn-gap", summary: "vgg-bn with global average pooling before its head: any input size, 1 or 3 channels",
              embeddingLayer: "classifier.1", poolsGlobally: true,
              build: { vggBN(seed: $1, widths: [32, 64, 128], hidden: 256, dropout: 0.3, globalPooling: true, geometry: $0) }),
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
