import Foundation
import Hummingbird
import Kernels
import Logging
import ServiceLifecycle

/// The service for `state`: its router on HTTP/1.1 at the configured address, with a warm-up that
/// makes it ready and a queue that finishes its requests when the server stops (SIGTERM, SIGINT).
public func buildApplication(_ state: ServiceState, logger: Logger? = nil,
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    var logger = logger ?? Logger(label: "fashion.serve")
    if logger.logLevel > .info { logger.logLevel = .info }
    let configuration = state.configuration
    return Application(
        router: buildRouter(state),
        server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(InferenceQueue.seconds(configuration.idleTimeout) * 1e9)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "fashion"),
        services: [EngineService(state: state, logger: logger)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// The routes: the page and metrics at the top, `/v1` (classify, similar, items) and `/v2` (KServe),
/// behind the metrics and JSON-error middleware.
public func buildRouter(_ state: ServiceState) -> Router<ServiceRequestContext> {
    // The error middleware tells 405 from 404 by the routes the controllers add, listed first.
    let listing = Router(context: ServiceRequestContext.self)
    addControllers(state, to: listing)
    var routes = RouteTable()
    for route in listing.routes { routes.add(route.method, route.path.description) }

    let router = Router(context: ServiceRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: state.metrics))
    router.add(middleware: ErrorMiddleware(routes: routes))
    addControllers(state, to: router)
    return router
}

/// Every controller's routes.
private func addControllers(_ state: ServiceState, to router: Router<ServiceRequestContext>) {
    OperationsController(state: state).addRoutes(to: router)
    ClassifyController(state: state).addRoutes(to: router.group("v1"))
    CatalogueController(state: state).addRoutes(to: router.group("v1"))
    KServeController(state: state).addRoutes(to: router.group("v2"))
}

/// Warms the model up (then the service is ready), hands freed memory back to the system every
/// 10 s while it runs (the program keeps freed blocks for training's sake; a service's come and go
/// with the load) and, at shutdown, after the server has finished its requests, stops the
/// inference queue.
struct EngineService: Service {
    let state: ServiceState
    let logger: Logger

    func run() async throws {
        let started = ContinuousClock.now
        try await state.warmUp()
        logger.info("ready: \(state.model.name), warm-up \(milliseconds(since: started)) ms")
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(10))
                Allocator.returnFreeMemory()
            }
        }
        state.queue.stop()
    }
}

/// The context of every request: Hummingbird's basics, with answers encoded with sorted keys and
/// unescaped slashes (ids are paths).
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) { coreContext = .init(source: source) }

    public var responseEncoder: JSONEncoder { .sorted }
}
