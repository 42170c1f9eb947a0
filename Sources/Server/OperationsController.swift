import Hummingbird

/// The web page (`GET /`) and the Prometheus metrics (`GET /metrics`).
struct OperationsController<Context: RequestContext> {
    let state: ServiceState

    func addRoutes(to router: Router<Context>) {
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: state.metrics.exposition(
                        indexItems: state.catalogue?.snapshot.count, queueDepth: state.queue.depth))))
        }
    }
}
