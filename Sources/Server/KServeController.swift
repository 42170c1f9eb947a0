import Foundation
import Hummingbird
import Tensor

/// KServe's Open Inference Protocol (v2) over REST: liveness, readiness, model metadata and infer.
struct KServeController<Context: RequestContext> {
    let state: ServiceState

    /// A tensor's description in metadata.
    struct TensorMetadata: Codable, Sendable {
        var name: String
        var datatype: String
        var shape: [Int]
    }

    /// `GET /v2/models/{name}`.
    struct ModelMetadata: ResponseEncodable {
        var name: String
        var versions: [String]
        var platform: String
        var inputs: [TensorMetadata]
        var outputs: [TensorMetadata]
        var parameters: [String: [String]]
    }

    /// One tensor of an infer request or answer.
    struct InferTensor: Codable, Sendable {
        var name: String
        var shape: [Int]
        var datatype: String
        var data: FlatNumbers
    }

    /// `POST /v2/models/{name}/infer` body.
    struct InferRequest: Decodable, Sendable {
        var id: String?
        var inputs: [InferTensor]
    }

    /// Its answer.
    struct InferResponse: ResponseEncodable {
        var modelName: String
        var modelVersion: String
        var id: String?
        var outputs: [InferTensor]

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name", modelVersion = "model_version", id, outputs
        }
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("health/live") { _, _ in ["live": true] }
        group.get("health/ready", use: ready)
        group.get("models/{name}", use: metadata)
        group.get("models/{name}/ready", use: modelReady)
        group.post("models/{name}/infer", use: infer)
    }

    @Sendable func ready(_ request: Request, context: Context) async throws -> [String: Bool] {
        try state.checkReady()
        return ["ready": true]
    }

    @Sendable func modelReady(_ request: Request, context: Context) async throws -> [String: String] {
        try checkName(context)
        try state.checkReady()
        return ["name": state.model.name, "ready": "true"]
    }

    @Sendable func metadata(_ request: Request, context: Context) async throws -> ModelMetadata {
        try checkName(context)
        let shape = state.model.inputShape
        return ModelMetadata(
            name: state.model.name, versions: ["1"], platform: "fashion",
            inputs: [TensorMetadata(name: "input", datatype: "FP32", shape: [-1] + shape)],
            outputs: [TensorMetadata(name: "probabilities", datatype: "FP32", shape: [-1, state.model.classifier.classNames.count])],
            parameters: ["classes": state.model.classifier.classNames, "preprocessing": [state.model.classifier.preprocessor.method.rawValue],
                         "weights_sha256": [state.model.weightsSHA256]])
    }

    /// A batch of model inputs [N, C, H, W] in [0, 1] (FP32, row-major, flat or nested) in,
    /// calibrated probabilities [N, classes] out.
    @Sendable func infer(_ request: Request, context: Context) async throws -> InferResponse {
        try checkName(context)
        try state.checkReady()
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/json") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "send the infer request as application/json")
        }
        let body = try await ImageUpload.body(of: request, limits: state.configuration.body)
        let decoded: InferRequest
        do { decoded = try JSONDecoder().decode(InferRequest.self, from: body) } catch {
            throw APIError.badRequest("bad_json", "the body is not an infer request: \(Self.describe(error))")
        }
        guard decoded.inputs.count == 1, let input = decoded.inputs.first else {
            throw APIError.badRequest("bad_input", "send exactly one input tensor, not \(decoded.inputs.count)")
        }
        let expected = state.model.inputShape
        guard input.datatype == "FP32" else { throw APIError.badRequest("bad_input", "the input's datatype must be FP32, not \(input.datatype.prefix(20))") }
        guard input.shape.count == 4, Array(input.shape.dropFirst()) == expected,
              (1...state.configuration.maxInferImages).contains(input.shape[0]) else {
            throw APIError.badRequest("bad_input", "the input's shape must be [N, \(expected.map(String.init).joined(separator: ", "))] "
                                      + "with N from 1 to \(state.configuration.maxInferImages), not \(input.shape.prefix(8))")
        }
        let count = input.shape.reduce(1, *)
        guard input.data.values.count == count else {
            throw APIError.badRequest("bad_input", "shape \(input.shape) holds \(count) values but data has \(input.data.values.count)")
        }
        guard input.data.values.allSatisfy(\.isFinite) else { throw APIError.badRequest("bad_input", "the data holds a value that is not finite") }
        let result = try await state.run(Tensor(shape: input.shape, scalars: input.data.values))
        let classes = state.model.classifier.classNames.count
        return InferResponse(modelName: state.model.name, modelVersion: "1", id: decoded.id,
                             outputs: [InferTensor(name: "probabilities", shape: [input.shape[0], classes], datatype: "FP32",
                                                   data: FlatNumbers(values: result.outputs[0]))])
    }

    /// 404 unless the path names this service's model.
    private func checkName(_ context: Context) throws {
        let name = context.parameters.get("name").flatMap { $0.removingPercentEncoding } ?? ""
        guard name == state.model.name else {
            throw APIError.notFound("unknown_model", "no model '\(name.prefix(100))' here; this service serves '\(state.model.name)'")
        }
    }

    /// A decoding error in one line.
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "at \(path): ") + context.debugDescription
        default: return "\(error)"
        }
    }
}

/// Numbers in row-major order, read flat (`[1, 2, 3, 4]`) or nested (`[[1, 2], [3, 4]]`, at most 8
/// levels), written flat.
struct FlatNumbers: Codable, Sendable {
    var values: [Float]

    init(values: [Float]) { self.values = values }

    init(from decoder: any Decoder) throws {
        values = []
        var container = try decoder.unkeyedContainer()
        try Self.read(&container, into: &values, depth: 0)
    }

    private static func read(_ container: inout any UnkeyedDecodingContainer, into values: inout [Float], depth: Int) throws {
        while !container.isAtEnd {
            if let value = try? container.decode(Float.self) {
                values.append(value)
            } else {
                guard depth < 8 else {
                    throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: "data nested deeper than 8 levels"))
                }
                var nested = try container.nestedUnkeyedContainer()
                try read(&nested, into: &values, depth: depth + 1)
            }
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
