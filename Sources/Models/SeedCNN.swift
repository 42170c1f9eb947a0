import NN
import Tensor

extension Models {
    /// The reference notebook's CNN (3,274,634 parameters), for 1×28×28 inputs:
    /// Conv 32 5×5 same + ReLU → MaxPool 2 → Conv 64 5×5 same + ReLU → MaxPool 2 →
    /// Flatten 3136 → Dense 1024 + ReLU → Dropout 0.5 → Dense `classes` (10; logits; softmax is in the loss).
    public static func seedCNN(seed: UInt64, classes: Int = 10) -> Sequential {
        var g = SeededGenerator(seed: seed)
        return Sequential([
            ("conv_1", Conv2D(inputChannels: 1, outputChannels: 32, kernelSize: 5, padding: .same, generator: &g)),
            ("relu_1", ReLU()),
            ("pool_1", MaxPool2D(size: 2)),
            ("conv_2", Conv2D(inputChannels: 32, outputChannels: 64, kernelSize: 5, padding: .same, generator: &g)),
            ("relu_2", ReLU()),
            ("pool_2", MaxPool2D(size: 2)),
            ("flatten", Flatten()),
            ("fc_1", Dense(inputFeatures: 3136, outputFeatures: 1024, generator: &g)),
            ("relu_3", ReLU()),
            ("dropout", Dropout(rate: 0.5, seed: seed &+ 1)),
            ("fc_2", Dense(inputFeatures: 1024, outputFeatures: classes, generator: &g)),
        ])
    }
}
