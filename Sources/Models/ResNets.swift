import NN
import Tensor

// Residual networks, named as torchvision names the equivalent modules (`layer1.0.conv1.weight`,
// `layer1.0.downsample.1.running_mean`, `fc.weight`) so checkpoints line up with PyTorch's.
extension Models {
    /// A 3×3 convolution without bias (a batch norm follows), padding 1.
    static func conv3x3(_ inputs: Int, _ outputs: Int, stride: Int = 1, _ g: inout SeededGenerator) -> Conv2D {
        Conv2D(inputChannels: inputs, outputChannels: outputs, kernelSize: 3, stride: stride,
               padding: .explicit(1), useBias: false, generator: &g)
    }

    /// A 1×1 convolution without bias.
    static func conv1x1(_ inputs: Int, _ outputs: Int, stride: Int = 1, _ g: inout SeededGenerator) -> Conv2D {
        Conv2D(inputChannels: inputs, outputChannels: outputs, kernelSize: 1, stride: stride,
               padding: .valid, useBias: false, generator: &g)
    }

    /// The projection shortcut (1×1 convolution + batch norm) when the block changes shape, else nil.
    static func projection(_ inputs: Int, _ outputs: Int, stride: Int, _ g: inout SeededGenerator) -> Sequential? {
        guard stride != 1 || inputs != outputs else { return nil }
        return Sequential([("0", conv1x1(inputs, outputs, stride: stride, &g)), ("1", BatchNorm2D(channels: outputs))])
    }

    /// torchvision's BasicBlock: 3×3 conv, BN, ReLU, 3×3 conv, BN, plus the shortcut, then ReLU.
    static func basicBlock(_ inputs: Int, _ outputs: Int, stride: Int, _ g: inout SeededGenerator) -> Residual {
        let body = Sequential([
            ("conv1", conv3x3(inputs, outputs, stride: stride, &g)),
            ("bn1", BatchNorm2D(channels: outputs)),
            ("relu", ReLU()),
            ("conv2", conv3x3(outputs, outputs, &g)),
            ("bn2", BatchNorm2D(channels: outputs)),
        ])
        return Residual(body: body, shortcut: projection(inputs, outputs, stride: stride, &g))
    }

    /// torchvision's Bottleneck (v1.5, stride on the 3×3): 1×1 to `width`, 3×3, 1×1 to `outputs`,
    /// each followed by BN (and ReLU but the last), plus the shortcut, then ReLU.
    static func bottleneck(_ inputs: Int, width: Int, _ outputs: Int, stride: Int, _ g: inout SeededGenerator) -> Residual {
        let body = Sequential([
            ("conv1", conv1x1(inputs, width, &g)),
            ("bn1", BatchNorm2D(channels: width)),
            ("relu1", ReLU()),
            ("conv2", conv3x3(width, width, stride: stride, &g)),
            ("bn2", BatchNorm2D(channels: width)),
            ("relu2", ReLU()),
            ("conv3", conv1x1(width, outputs, &g)),
            ("bn3", BatchNorm2D(channels: outputs)),
        ])
        return Residual(body: body, shortcut: projection(inputs, outputs, stride: stride, &g))
    }

    /// `count` blocks named "0", "1", …; only the first changes the shape.
    static func stage(_ count: Int, _ block: (_ first: Bool, _ g: inout SeededGenerator) -> Residual,
                      _ g: inout SeededGenerator) -> Sequential {
        Sequential((0 ..< count).map { i in (String(i), block(i == 0, &g) as any Layer) })
    }

    /// The notebook's ResNet50 variant for 1×28×28 inputs: 7×7/2 conv 64 + BN + ReLU, 3×3/2
    /// max-pool, bottleneck stages of 3, 4, 6, 3 blocks (outputs 256, 512, 1024, 2048; stages
    /// 2–4 start with stride 2), global average pooling, Dense 1000 + ReLU, Dense 10.
    /// Spatial sizes: 28 → 14 → 7 → 7 → 4 → 2 → 1. `geometry` sets the input channels and the
    /// last Dense's outputs (the classes).
    public static func seedResNet50(seed: UInt64, geometry: Geometry = .fashionMNIST) -> Sequential {
        var g = SeededGenerator(seed: seed)
        let stem: [(String, any Layer)] = [
            ("conv1", Conv2D(inputChannels: geometry.channels, outputChannels: 64, kernelSize: 7, stride: 2, padding: .explicit(3),
                             useBias: false, generator: &g)),
            ("bn1", BatchNorm2D(channels: 64)),
            ("relu", ReLU()),
            ("maxpool", MaxPool2D(size: 3, stride: 2, padding: 1)),
        ]
        var stages: [(String, any Layer)] = []
        var inputs = 64
        for (index, (blocks, width)) in [(3, 64), (4, 128), (6, 256), (3, 512)].enumerated() {
            let outputs = width * 4, stride = index == 0 ? 1 : 2, stageInputs = inputs
            stages.append(("layer\(index + 1)", stage(blocks, { first, g in
                bottleneck(first ? stageInputs : outputs, width: width, outputs, stride: first ? stride : 1, &g)
            }, &g)))
            inputs = outputs
        }
        let head: [(String, any Layer)] = [
            ("avgpool", GlobalAvgPool2D()),
            ("fc", Dense(inputFeatures: 2048, outputFeatures: 1000, generator: &g)),
            ("fc_relu", ReLU()),
            ("classifier", Dense(inputFeatures: 1000, outputFeatures: geometry.classes, generator: &g)),
        ]
        return Sequential(stem + stages + head)
    }

    /// A ResNet sized for 28×28 inputs (He et al.'s CIFAR ResNet-6n+2): a 3×3 stem of `width`
    /// channels, no early down-sampling, three stages of `blocksPerStage` BasicBlocks with
    /// `width`, 2·`width`, 4·`width` channels (28 → 28 → 14 → 7), global average pooling, Dense to
    /// the classes (10). `geometry` sets the input channels and the classes.
    public static func resNet(seed: UInt64, blocksPerStage: Int, width: Int, geometry: Geometry = .fashionMNIST) -> Sequential {
        var g = SeededGenerator(seed: seed)
        var layers: [(String, any Layer)] = [
            ("conv1", conv3x3(geometry.channels, width, &g)),
            ("bn1", BatchNorm2D(channels: width)),
            ("relu", ReLU()),
        ]
        var inputs = width
        for index in 0 ..< 3 {
            let outputs = width << index, stride = index == 0 ? 1 : 2, stageInputs = inputs
            layers.append(("layer\(index + 1)", stage(blocksPerStage, { first, g in
                basicBlock(first ? stageInputs : outputs, outputs, stride: first ? stride : 1, &g)
            }, &g)))
            inputs = outputs
        }
        layers += [
            ("avgpool", GlobalAvgPool2D()),
            ("fc", Dense(inputFeatures: inputs, outputFeatures: geometry.classes, generator: &g)),
        ]
        return Sequential(layers)
    }
}
