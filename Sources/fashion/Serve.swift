import ArgumentParser
import Foundation
import Kernels
import Logging
import Server

extension Fashion {
    /// `fashion serve`: the HTTP service and its web page.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a model over HTTP: classify photos, find similar catalogue items, keep the index up to date, and a web page.",
            discussion: "Routes (docs/SERVING.md): GET / (web page), POST /v1/classify, POST /v1/similar, GET /v1/items/{id}/similar, "
                + "GET /v1/items/{id}/image, PUT and DELETE /v1/items/{id}, KServe v2 (/v2/health/live, /v2/health/ready, "
                + "/v2/models/{name}, /v2/models/{name}/ready, /v2/models/{name}/infer) and GET /metrics (Prometheus). "
                + "Every error answer is JSON {\"error\", \"code\"}. Requests are batched on one inference thread: a batch runs "
                + "when it holds --max-batch images or its oldest request has waited --max-delay-ms. SIGTERM or SIGINT: "
                + "requests in flight are answered, then the process exits 0. --threads sets the threads of each model pass "
                + "(default 1 here: photos are decoded and preprocessed on the other cores, several at a time).")

        @Option(help: "The weights to serve (a safetensors checkpoint).") var weights: String
        @Option(help: "A catalogue index built from the same weights (fashion index build); enables similar items and updates.")
        var index: String?
        @Option(help: "The address to listen on (0.0.0.0 for every interface).") var host = "127.0.0.1"
        @Option(help: "The port (0: any free port, printed at start).") var port = 8080
        @Option(help: "The model's name in the KServe routes (default: its architecture).") var modelName: String?
        @Option(help: "The most images run in one model pass.") var maxBatch = 16
        @Option(help: "How long the oldest waiting request waits for others to join its batch, in ms (0: run at once).")
        var maxDelayMs: Double = 2
        @Option(help: "The most images waiting for the model; requests beyond get 503 with Retry-After.") var queueCapacity = 1024
        @Option(help: "The largest request body in MiB (413 above; checked from Content-Length before reading).") var maxBodyMib = 16
        @Option(help: "Seconds a client may take to send its body (408 after).") var bodyTimeout: Double = 30
        @Option(help: "Seconds an idle connection stays open.") var idleTimeout: Double = 60
        @Option(help: "A file holding the bearer token PUT and DELETE need (without it, they need none).") var tokenFile: String?
        @Option(help: "The most neighbours one search returns.") var maxK = 100
        @OptionGroup var photo: PhotoOptions
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535") }
            if !(1...256).contains(maxBatch) { throw ValidationError("--max-batch must be from 1 to 256") }
            if !(maxDelayMs >= 0 && maxDelayMs <= 1000) { throw ValidationError("--max-delay-ms must be from 0 to 1000") }
            if !(1...1_000_000).contains(queueCapacity) { throw ValidationError("--queue-capacity must be from 1 to 1000000") }
            if !(1...1024).contains(maxBodyMib) { throw ValidationError("--max-body-mib must be from 1 to 1024") }
            if !(bodyTimeout > 0 && bodyTimeout <= 3600) { throw ValidationError("--body-timeout must be more than 0 and at most 3600 seconds") }
            if !(idleTimeout > 0 && idleTimeout <= 86400) { throw ValidationError("--idle-timeout must be more than 0 and at most 86400 seconds") }
            if !(1...10000).contains(maxK) { throw ValidationError("--max-k must be from 1 to 10000") }
            if let modelName, modelName.isEmpty || modelName.contains("/") || modelName.count > 100 {
                throw ValidationError("--model-name must be 1 to 100 characters without '/'")
            }
        }

        func run() async throws {
            // The model runs on one thread unless told otherwise: the other cores decode and preprocess photos.
            if dataOptions.threadOptions.threads == nil { Threads.set(1) }
            let datasetDirectory = dataOptions.prepare()
            var configuration = ServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.batching = .init(maxBatch: maxBatch, maxDelay: .nanoseconds(Int64(maxDelayMs * 1e6)), capacity: queueCapacity)
            configuration.body = BodyLimits(maxBytes: maxBodyMib << 20, timeout: .nanoseconds(Int64(bodyTimeout * 1e9)))
            configuration.idleTimeout = .nanoseconds(Int64(idleTimeout * 1e9))
            configuration.maxK = maxK
            configuration.datasetDirectory = datasetDirectory
            if let tokenFile { configuration.token = try Self.token(in: tokenFile) }

            let model = try ServingModel.load(weights: URL(fileURLWithPath: weights), name: modelName) { try photo.classifier($0) }
            let catalogue = try index.map {
                try Catalogue(url: URL(fileURLWithPath: $0), source: model.embeddingSource, datasetDirectory: datasetDirectory)
            }
            let state = ServiceState(model: model, catalogue: catalogue, configuration: configuration)
            LoggingSystem.bootstrap { StreamLogHandler.standardOutput(label: $0) }  // stderr is for the one Error: line
            print("serving \(model.name)" + (model.classifier.int8Layers.isEmpty ? "" : " (int8: \(model.classifier.int8Layers.joined(separator: ", ")))") + " from \(weights)" + (catalogue.map { ", catalogue \($0.url.path) (\($0.snapshot.count) items)" } ?? "")
                  + "; batches of up to \(maxBatch) within \(maxDelayMs) ms")
            let app = buildApplication(state) { port in
                print("listening on http://\(host):\(port) (ready after a warm-up inference; SIGTERM to stop)")
            }
            do {
                try await app.runService()
            } catch {
                throw UsageError("the service stopped: \(error)")
            }
            print("stopped")
        }

        /// The token in `path` (surrounding white space removed); refuses a missing or empty file.
        static func token(in path: String) throws -> String {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw UsageError("--token-file \(path): cannot read (\(error.localizedDescription))")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, !token.contains(where: \.isNewline) else {
                throw UsageError("--token-file \(path): must hold one non-empty line (the token)")
            }
            return token
        }
    }
}
