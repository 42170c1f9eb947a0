import Checkpoint
import Models
import NN
import Tensor

/// Starting a model from another one's weights (`fashion train --from W`): every tensor whose name
/// and shape fit is copied, a 1-channel first convolution is adapted to 3 channels, the head is
/// new unless the class names are the same, and chosen layers can be frozen or slowed down.
public enum FineTuning {
    /// What a transfer did, tensor by tensor name.
    public struct Report: Equatable, Sendable {
        /// Copied as they were.
        public var loaded: [String] = []
        /// Copied after adapting a 1-channel convolution to 3 channels (weights repeated, divided by 3).
        public var adapted: [String] = []
        /// Left as initialised: no tensor of that name and shape in the source, or the head for new classes.
        public var fresh: [String] = []

        /// "loaded 40 tensors, adapted 1 to 3 channels (conv1.weight), 2 new (fc.weight, fc.bias)".
        public var summary: String {
            var parts = ["loaded \(loaded.count) tensors"]
            if !adapted.isEmpty { parts.append("adapted \(adapted.count) to 3 channels (\(adapted.joined(separator: ", ")))") }
            let shown = fresh.prefix(6).joined(separator: ", ") + (fresh.count > 6 ? ", …" : "")
            parts.append(fresh.isEmpty ? "none new" : "\(fresh.count) new (\(shown))")
            return parts.joined(separator: ", ")
        }
    }

    /// The names of the head's tensors: the last weight and bias of `model` (its final Dense).
    static func headNames(_ model: any Layer) -> Set<String> {
        guard let last = model.parameters.last?.name, let dot = last.lastIndex(of: ".") else { return [] }
        let prefix = last[..<dot]
        return Set(model.parameters.map(\.name).filter { $0.hasPrefix(prefix + ".") })
    }

    /// Decides and does the transfer of `source`'s tensors into `model`. The head is
    /// kept new unless `keepHead` (the same classes). Throws when nothing at all fits.
    @discardableResult
    public static func transfer(from source: ModelCheckpoint, into model: any Layer, keepHead: Bool) throws -> Report {
        let available = Dictionary(source.model.parameters.map { ($0.name, $0.parameter.value) }
            + source.model.buffers.map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { a, _ in a })
        let head = keepHead ? [] : headNames(model)
        enum Decision { case load, adapt, fresh }
        let slots = model.parameters + model.buffers
        var decisions: [String: Decision] = [:]
        for (name, slot) in slots {
            let target = slot.value.shape
            guard !head.contains(name), let tensor = available[name] else { decisions[name] = .fresh; continue }
            if tensor.shape == target {
                decisions[name] = .load
            } else if tensor.rank == 4, target.count == 4, tensor.shape[1] == 1, target[1] == 3,
                      tensor.shape[0] == target[0], tensor.shape[2...] == target[2...] {
                decisions[name] = .adapt
            } else {
                decisions[name] = .fresh
            }
        }
        // A layer is taken whole: when one of its tensors cannot be (a Dense whose inputs changed),
        // its others (the bias) stay new as well.
        func layer(_ name: String) -> Substring { name[..<(name.lastIndex(of: ".") ?? name.endIndex)] }
        let freshLayers = Set(slots.filter { decisions[$0.name] == .fresh }.map { layer($0.name) })
        var report = Report()
        for (name, slot) in slots {
            switch freshLayers.contains(layer(name)) ? .fresh : decisions[name]! {
            case .load:
                slot.value = available[name]!
                report.loaded.append(name)
            case .adapt:
                slot.value = repeatedChannels(available[name]!, 3)
                report.adapted.append(name)
            case .fresh:
                report.fresh.append(name)
            }
        }
        guard !(report.loaded.isEmpty && report.adapted.isEmpty) else {
            throw TrainingError(description: "none of the layers of the --from weights (\(source.architecture.name), \(source.geometry)) fits this model; fine-tune the same architecture or one with the same layer names")
        }
        return report
    }

    /// A convolution weight [O, 1, kh, kw] as [O, c, kh, kw]: the kernel repeated in every input
    /// channel and divided by `c`, so a gray image given as c equal planes gives the same output.
    static func repeatedChannels(_ weight: Tensor, _ c: Int) -> Tensor {
        let outputs = weight.shape[0], kernel = weight.shape[2] * weight.shape[3]
        var scalars = [Float](repeating: 0, count: outputs * c * kernel)
        for o in 0 ..< outputs {
            for channel in 0 ..< c {
                for k in 0 ..< kernel { scalars[(o * c + channel) * kernel + k] = weight.scalars[o * kernel + k] / Float(c) }
            }
        }
        return Tensor(shape: [outputs, c, weight.shape[2], weight.shape[3]], scalars: scalars)
    }

    /// Sets each parameter's learning-rate scale: 0 for names under a `freeze` prefix (a whole dotted
    /// component: `layer1` freezes `layer1.0.conv1.weight`, not `layer10…`), `loadedScale` for the
    /// loaded and adapted ones, 1 for the rest. Throws when a prefix names no parameter or every
    /// parameter would be frozen. Returns how many parameters are frozen.
    @discardableResult
    public static func setLearningRateScales(_ model: any Layer, report: Report?, loadedScale: Float,
                                             freeze prefixes: [String]) throws -> Int {
        let parameters = model.parameters
        func frozen(_ name: String) -> Bool { prefixes.contains { name == $0 || name.hasPrefix($0 + ".") } }
        for prefix in prefixes where !parameters.contains(where: { $0.name == prefix || $0.name.hasPrefix(prefix + ".") }) {
            var tops: [String] = []
            for name in parameters.map({ String($0.name.split(separator: ".")[0]) }) where tops.last != name { tops.append(name) }
            throw TrainingError(description: "--freeze '\(prefix)' names no layer of this model (its layers: \(tops.joined(separator: ", ")))")
        }
        let loaded = Set((report?.loaded ?? []) + (report?.adapted ?? []))
        var count = 0
        for (name, parameter) in parameters {
            if frozen(name) {
                parameter.learningRateScale = 0
                count += 1
            } else {
                parameter.learningRateScale = loaded.contains(name) ? loadedScale : 1
            }
        }
        guard count < parameters.count else { throw TrainingError(description: "--freeze would fix every layer; nothing would train") }
        return count
    }
}
