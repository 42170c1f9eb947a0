import NN

/// Forward-pass arithmetic of `layer` for an input of `shape` (batch included), in FLOP:
/// two per multiply-add of its convolutions and dense layers (normalisation, activations and
/// pooling are left out; they are a few percent).
public func forwardFLOPs(_ layer: any Layer, input shape: [Int]) -> Double {
    switch layer {
    case let chain as Sequential:
        var shape = shape, total = 0.0
        for entry in chain.layers {
            total += forwardFLOPs(entry.layer, input: shape)
            shape = entry.layer.outputShape(for: shape)
        }
        return total
    case let block as Residual:
        return forwardFLOPs(block.body, input: shape) + (block.shortcut.map { forwardFLOPs($0, input: shape) } ?? 0)
    case let conv as Conv2D:
        let out = conv.outputShape(for: shape)
        return 2 * Double(out.reduce(1, *)) * Double(conv.inputChannels * conv.kernelSize * conv.kernelSize)
    case let dense as Dense:
        return 2 * Double(shape[0] * dense.inputFeatures * dense.outputFeatures)
    default:
        return 0
    }
}
