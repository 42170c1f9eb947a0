import NN
import Tensor

extension Models {
    /// A VGG-style network with batch norm for 28×28 inputs: for each width in `widths`, two
    /// 3×3 convolutions (BN, ReLU) and a 2×2 max-pool (28 → 14 → 7 → 3), then Dense `hidden`
    /// + ReLU + Dropout `dropout` + Dense to the classes (10). Named as torchvision's `vgg*_bn`
    /// (`features.N`, `classifier.N`). With `globalPooling`, the features are averaged over the
    /// image (`avgpool`) instead of flattened, so any input size and channel count fit.
    public static func vggBN(seed: UInt64, widths: [Int], hidden: Int, dropout: Float, classes: Int = 10) -> Sequential {
        vggBN(seed: seed, widths: widths, hidden: hidden, dropout: dropout, globalPooling: false,
              geometry: Geometry(classes: classes))
    }

    /// `vggBN` for `geometry`; see above.
    static func vggBN(seed: UInt64, widths: [Int], hidden: Int, dropout: Float, globalPooling: Bool,
                      geometry: Geometry) -> Sequential {
        var g = SeededGenerator(seed: seed)
        var features: [(String, any Layer)] = []
        var channels = geometry.channels, side = geometry.size
        func add(_ layer: any Layer) { features.append((String(features.count), layer)) }
        for width in widths {
            for _ in 0 ..< 2 {
                add(conv3x3(channels, width, &g))
                add(BatchNorm2D(channels: width))
                add(ReLU())
                channels = width
            }
            add(MaxPool2D(size: 2))
            side /= 2
        }
        let flat = globalPooling ? channels : channels * side * side
        return Sequential([
            ("features", Sequential(features)),
            globalPooling ? ("avgpool", GlobalAvgPool2D()) : ("flatten", Flatten()),
            ("classifier", Sequential([
                ("0", Dense(inputFeatures: flat, outputFeatures: hidden, generator: &g)),
                ("1", ReLU()),
                ("2", Dropout(rate: dropout, seed: seed &+ 1)),
                ("3", Dense(inputFeatures: hidden, outputFeatures: geometry.classes, generator: &g)),
            ])),
        ])
    }
}
