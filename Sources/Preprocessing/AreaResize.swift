import Imaging

/// Exact area (box) resampling: each output pixel is the average of the source area it covers,
/// source pixels cut by the output pixel's edges counting by the fraction that lies inside.
public enum AreaResize {
    /// `image` resampled to `width` × `height` (each at least 1) by area averaging, rounded.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        var out = RGBImage(width: max(1, width), height: max(1, height), fill: .black)
        out.pixels = resample(image.pixels, width: image.width, height: image.height, channels: 3,
                              toWidth: out.width, toHeight: out.height)
        return out
    }

    /// `image` resampled to `width` × `height` (each at least 1) by area averaging, rounded.
    public static func resize(_ image: GrayImage, width: Int, height: Int) -> GrayImage {
        let w = max(1, width), h = max(1, height)
        return GrayImage(width: w, height: h,
                         pixels: resample(image.pixels, width: image.width, height: image.height, channels: 1,
                                          toWidth: w, toHeight: h))
    }

    /// `image` resampled by area averaging so its longest edge is `longestEdge` (aspect kept,
    /// shorter edge rounded, at least 1).
    public static func fit(_ image: RGBImage, longestEdge: Int) -> RGBImage {
        let (w, h) = fittedSize(width: image.width, height: image.height, longestEdge: longestEdge)
        return resize(image, width: w, height: h)
    }

    /// Interleaved `channels`-channel pixels resampled separably: columns first (whole rows at a
    /// time, which vectorises), then rows.
    static func resample(_ pixels: [UInt8], width: Int, height: Int, channels: Int,
                         toWidth: Int, toHeight: Int) -> [UInt8] {
        if width == toWidth && height == toHeight { return pixels }
        let across = AxisWeights(from: width, to: toWidth)
        let down = AxisWeights(from: height, to: toHeight)
        // Vertical pass: toHeight rows of width pixels.
        let rowLength = width * channels
        // (The one hot loop of the pipeline, over every byte of the photo: buffer pointers let it vectorise.)
        var rows = [Float](repeating: 0, count: rowLength * toHeight)
        pixels.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { target in
                for y in 0 ..< toHeight {
                    let t = y * rowLength
                    for k in down.start[y] ..< down.start[y + 1] {
                        let weight = down.weight[k], s = down.index[k] * rowLength
                        for i in 0 ..< rowLength { target[t + i] += weight * Float(source[s + i]) }
                    }
                }
            }
        }
        // Horizontal pass.
        var out = [UInt8](repeating: 0, count: toWidth * toHeight * channels)
        for y in 0 ..< toHeight {
            let source = y * rowLength, target = y * toWidth * channels
            for x in 0 ..< toWidth {
                for c in 0 ..< channels {
                    var sum: Float = 0
                    for k in across.start[x] ..< across.start[x + 1] {
                        sum += across.weight[k] * rows[source + across.index[k] * channels + c]
                    }
                    out[target + x * channels + c] = clampedByte(sum)
                }
            }
        }
        return out
    }
}

/// For each output position along one axis, the source positions it covers and their weights
/// (overlap length / output pixel length, so they sum to 1); output i's taps are `start[i] ..< start[i + 1]`.
struct AxisWeights {
    var start: [Int] = [0]
    var index: [Int] = []
    var weight: [Float] = []

    /// Weights resampling `from` source pixels to `to` output pixels.
    init(from n: Int, to m: Int) {
        let scale = Double(n) / Double(m)
        for j in 0 ..< m {
            let lo = Double(j) * scale, hi = Double(j + 1) * scale
            var i = Int(lo.rounded(.down))
            while Double(i) < hi && i < n {
                let overlap = min(Double(i + 1), hi) - max(Double(i), lo)
                if overlap > 1e-9 {
                    index.append(i)
                    weight.append(Float(overlap / scale))
                }
                i += 1
            }
            start.append(index.count)
        }
    }
}
