import Foundation
import Hummingbird
import Imaging
import Inference

/// `POST /v1/classify`: a photo in, its class, top classes and abstention out.
struct ClassifyController<Context: RequestContext> {
    let state: ServiceState

    /// The answer.
    struct Answer: ResponseEncodable {
        var label: String
        var index: Int
        var probability: Float
        var topK: [RankedClass]
        var abstained: Bool
        var reason: String?
        var model: String
        var elapsedMilliseconds: Double
        /// The input the model saw, as a PNG data URL (with `?input=1`).
        var input: String?

        enum CodingKeys: String, CodingKey {
            case label, index, probability, topK = "top_k", abstained, reason, model, elapsedMilliseconds = "elapsed_ms", input
        }
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("classify", use: classify)
    }

    /// `?top=K` (default 3) classes; `?min_confidence=P` abstains below P; `?input=1` adds the input picture.
    @Sendable func classify(_ request: Request, context: Context) async throws -> Answer {
        let started = ContinuousClock.now
        let top = try request.integer("top", in: 1...state.model.classifier.classNames.count, default: min(3, state.model.classifier.classNames.count))
        let minimumConfidence = try request.number("min_confidence", in: 0...1)
        let withInput = try request.flag("input")
        let photo = try await ImageUpload.read(request, limits: state.configuration.body)
        let inferred = try await state.infer(photo: photo)
        let c = state.model.classifier.classification(inferred.probabilities, top: top, minimumConfidence: minimumConfidence)
        return Answer(label: c.label, index: c.index, probability: c.probability, topK: c.topK, abstained: c.abstained,
                      reason: c.reason, model: state.model.name, elapsedMilliseconds: milliseconds(since: started),
                      input: withInput ? pngDataURL(inferred.input.picture) : nil)
    }
}

/// Milliseconds since `start`.
func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    let ms = Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15
    return (ms * 1000).rounded() / 1000
}

/// `image` as a `data:image/png;base64,…` URL.
func pngDataURL(_ image: RGBImage) -> String {
    "data:image/png;base64," + PNG.encode(image).base64EncodedString()
}
